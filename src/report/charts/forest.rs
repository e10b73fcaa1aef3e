//! Forest plot of the model's odds ratios: one row per term, the estimate as
//! a dot, the 95 % CI as a whisker, a log axis and a line at OR = 1.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{draw_err, header, palette, Chart, FONT};
use crate::drivers::LogitModel;
use crate::error::Result;

/// One row of the plot.
pub struct ForestRow {
    pub label: String,
    pub or: f64,
    pub lo: f64,
    pub hi: f64,
    pub significant: bool,
}

/// The forest plot of a fitted model.
pub struct ForestChart {
    pub title: String,
    pub subtitle: String,
    pub rows: Vec<ForestRow>,
}

impl ForestChart {
    pub const STEM: &'static str = "drivers_forest";

    pub fn of(m: &LogitModel, study: &str) -> Self {
        let rows = m
            .coefficients
            .iter()
            .filter(|c| c.driver.is_some())
            .map(|c| ForestRow {
                label: c.term.clone(),
                or: c.odds_ratio,
                lo: c.or_ci_low,
                hi: c.or_ci_high,
                significant: c.p_value < 0.05,
            })
            .collect();
        ForestChart {
            title: "Odds ratios of churn, all drivers together".into(),
            subtitle: format!(
                "{study}: logistic regression on {} accounts ({}). Per unit of each driver; dark = p < 0.05.",
                crate::format::thousands(m.n),
                match m.method {
                    crate::stats::logit::Method::Newton => "maximum likelihood",
                    crate::stats::logit::Method::Firth => "Firth's bias-reduced fit",
                }
            ),
            rows,
        }
    }
}

impl Chart for ForestChart {
    fn name(&self) -> String {
        "forest plot of odds ratios".into()
    }

    fn size(&self) -> (u32, u32) {
        let h = (self.rows.len() as u32 * 44 + 220).clamp(super::SIZE.1, 2400);
        (super::SIZE.0, h)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let err = draw_err("forest plot");
        let body = header(root, &self.title, &self.subtitle, "forest plot")?;
        let finite = |v: f64| v.is_finite() && v > 0.0;
        let (mut lo, mut hi) = (1.0f64, 1.0f64);
        for r in &self.rows {
            for v in [r.lo, r.hi, r.or] {
                if finite(v) {
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
        }
        let (llo, lhi) = ((lo.ln() - 0.15).max(-12.0), (hi.ln() + 0.15).min(12.0));
        let n = self.rows.len().max(1);
        let label_w = self
            .rows
            .iter()
            .map(|r| r.label.chars().count())
            .max()
            .unwrap_or(8)
            .clamp(8, 40) as u32
            * 9
            + 20;
        let mut chart = ChartBuilder::on(&body)
            .margin(16)
            .x_label_area_size(56)
            .y_label_area_size(label_w)
            .build_cartesian_2d(llo..lhi, 0f64..n as f64)
            .map_err(&err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .max_light_lines(0)
            .bold_line_style(palette::GRID)
            .x_desc("Odds ratio (log scale)")
            .x_label_formatter(&|v| {
                let e = v.exp();
                if e >= 10.0 {
                    format!("{e:.0}")
                } else if e >= 1.0 {
                    format!("{e:.2}")
                } else {
                    format!("{e:.3}")
                }
            })
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .draw()
            .map_err(&err)?;
        // Row labels, right-aligned left of the plot, at each row's centre.
        let style = TextStyle::from((FONT, 15).into_font())
            .color(&palette::DARK)
            .pos(Pos::new(HPos::Right, VPos::Center));
        for (i, r) in self.rows.iter().enumerate() {
            let y = (n - 1 - i) as f64 + 0.5;
            let (px, py) = chart.backend_coord(&(llo, y));
            root.draw(&Text::new(r.label.clone(), (px - 10, py), style.clone()))
                .map_err(&err)?;
        }
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, 0.0), (0.0, n as f64)],
                palette::DARK.stroke_width(1),
            )))
            .map_err(&err)?;
        for (i, r) in self.rows.iter().enumerate() {
            let y = (n - 1 - i) as f64 + 0.5;
            let colour = if r.significant {
                palette::BLUE
            } else {
                palette::GREY
            };
            let cl = |v: f64| {
                if finite(v) {
                    v.ln().clamp(llo, lhi)
                } else if v <= 0.0 {
                    llo
                } else {
                    lhi
                }
            };
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(cl(r.lo), y), (cl(r.hi), y)],
                    colour.stroke_width(3),
                )))
                .map_err(&err)?;
            chart
                .draw_series(std::iter::once(Circle::new(
                    (cl(r.or), y),
                    7,
                    colour.filled(),
                )))
                .map_err(&err)?;
        }
        Ok(())
    }
}
