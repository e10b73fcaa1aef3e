//! Funnel plot of logo churn rate by owner (CSM) against book size: the
//! centre line p̄ and p-chart limits (2σ dashed, 3σ solid) that narrow as
//! books grow, so books outside common-cause variation stand out.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{draw_err, header, palette, Chart, FONT};
use crate::error::Result;
use crate::kpis::Efficiency;

/// The funnel plot of an [`Efficiency`] table.
pub struct FunnelChart<'a> {
    pub e: &'a Efficiency,
    pub title: String,
    pub subtitle: String,
}

impl<'a> FunnelChart<'a> {
    pub const STEM: &'static str = "csm_funnel";

    pub fn of(e: &'a Efficiency, study: &str) -> Self {
        FunnelChart {
            e,
            title: format!("Logo churn rate by {} book", e.owner_column),
            subtitle: format!(
                "{study}: {} books, overall {:.1} %. Limits: overall rate ± 2σ (dashed) and ± 3σ (solid) for each book size; {} above, {} below.",
                e.owners.len(),
                100.0 * e.center,
                e.n_above,
                e.n_below
            ),
        }
    }
}

impl Chart for FunnelChart<'_> {
    fn name(&self) -> String {
        "funnel plot of churn by owner".into()
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let err = draw_err("funnel plot");
        let body = header(root, &self.title, &self.subtitle, "funnel plot")?;
        let e = self.e;
        let nmax = e.owners.iter().map(|o| o.accounts).max().unwrap_or(1) as f64;
        let nmin = e.owners.iter().map(|o| o.accounts).min().unwrap_or(1) as f64;
        let x_lo = (nmin * 0.9).max(0.5);
        let x_hi = nmax * 1.08;
        let p = e.center;
        let lim = |n: f64, k: f64| {
            let s = (p * (1.0 - p) / n).sqrt();
            ((p - k * s).max(0.0), (p + k * s).min(1.0))
        };
        let mut y_hi = e
            .owners
            .iter()
            .map(|o| o.logo_churn_rate)
            .fold(lim(x_lo, 3.0).1, f64::max);
        y_hi = (y_hi * 1.08).min(1.0);
        let mut chart = ChartBuilder::on(&body)
            .margin(20)
            .x_label_area_size(56)
            .y_label_area_size(76)
            .build_cartesian_2d(x_lo..x_hi, 0f64..y_hi)
            .map_err(&err)?;
        chart
            .configure_mesh()
            .max_light_lines(0)
            .bold_line_style(palette::GRID)
            .x_desc("Accounts in the book")
            .y_desc("Logo churn rate")
            .y_label_formatter(&|v| format!("{:.0} %", 100.0 * v))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .draw()
            .map_err(&err)?;
        let steps = 120;
        let xs: Vec<f64> = (0..=steps)
            .map(|i| x_lo + (x_hi - x_lo) * i as f64 / steps as f64)
            .collect();
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(x_lo, p), (x_hi, p)],
                palette::DARK.stroke_width(2),
            )))
            .map_err(&err)?;
        for (k, dashed) in [(2.0, true), (3.0, false)] {
            for upper in [false, true] {
                let pts: Vec<(f64, f64)> = xs
                    .iter()
                    .map(|&n| {
                        let (l, u) = lim(n, k);
                        (n, if upper { u } else { l })
                    })
                    .collect();
                if dashed {
                    chart
                        .draw_series(DashedLineSeries::new(
                            pts,
                            6,
                            5,
                            palette::GREY.stroke_width(2),
                        ))
                        .map_err(&err)?;
                } else {
                    chart
                        .draw_series(LineSeries::new(pts, palette::VERMILION.stroke_width(2)))
                        .map_err(&err)?;
                }
            }
        }
        for o in &e.owners {
            let colour = match o.signal {
                Some(_) => palette::VERMILION,
                None => palette::BLUE,
            };
            chart
                .draw_series(std::iter::once(Circle::new(
                    (o.accounts as f64, o.logo_churn_rate),
                    6,
                    colour.filled(),
                )))
                .map_err(&err)?;
            if o.signal.is_some() {
                chart
                    .draw_series(std::iter::once(Text::new(
                        o.owner.clone(),
                        (o.accounts as f64, o.logo_churn_rate),
                        (FONT, 14).into_font().color(&palette::DARK),
                    )))
                    .map_err(&err)?;
            }
        }
        Ok(())
    }
}
