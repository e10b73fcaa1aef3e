//! Kaplan–Meier chart: one step curve per group with its pointwise 95 %
//! band, the median line at ½, and the number at risk under the x axis at
//! each tick, as survival papers print it. Long curves are thinned to about
//! 800 steps for the picture (the tables keep every time).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{draw_err, header, palette, Chart, FONT};
use crate::error::Result;
use crate::survival::{KmGroup, SurvivalReport};

/// One curve, thinned: (time, S, low, high) steps from (0, 1).
pub struct KmSeries {
    pub label: String,
    pub steps: Vec<(f64, f64, f64, f64)>,
    /// Number at risk at each tick.
    pub at_risk: Vec<usize>,
}

/// The chart of one grouping.
pub struct KmChart {
    pub title: String,
    pub subtitle: String,
    pub unit: String,
    pub x_max: f64,
    pub ticks: Vec<f64>,
    pub series: Vec<KmSeries>,
}

const COLOURS: [RGBColor; 6] = [
    palette::BLUE,
    palette::ORANGE,
    palette::GREEN,
    palette::VERMILION,
    RGBColor(204, 121, 167),
    palette::DARK,
];

/// Round tick step for an axis up to `max`: 1-2-3-6-12 for months, 1-2-5 otherwise.
fn ticks(max: f64, months: bool) -> Vec<f64> {
    let steps: &[f64] = if months {
        &[1.0, 2.0, 3.0, 6.0, 12.0, 24.0, 60.0, 120.0]
    } else {
        &[1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0]
    };
    let step = steps
        .iter()
        .copied()
        .find(|s| max / s <= 10.0)
        .unwrap_or(max / 8.0);
    (0..)
        .map(|k| k as f64 * step)
        .take_while(|t| *t <= max + 1e-9)
        .collect()
}

impl KmChart {
    /// File stem of the main curves (`churnlab survival --png`).
    pub const MAIN: &'static str = "survival_km";

    /// The stem of one driver's curves in a run.
    pub fn stem(driver: &str) -> String {
        format!("survival_km_{}", crate::config::slug(driver))
    }

    /// A chart of `groups`.
    pub fn of(groups: &[KmGroup], title: &str, subtitle: &str, unit: &str) -> Self {
        let x_max = groups
            .iter()
            .filter_map(|g| g.table.last().map(|r| r.time))
            .fold(0.0, f64::max)
            .max(1.0);
        let ticks = ticks(x_max, unit == "months");
        let series = groups
            .iter()
            .map(|g| {
                let mut steps = vec![(0.0, 1.0, 1.0, 1.0)];
                let gap = x_max / 800.0;
                for r in &g.table {
                    let last = steps.last().copied().unwrap_or((0.0, 1.0, 1.0, 1.0));
                    if r.events == 0 && r.time - last.0 < gap {
                        continue;
                    }
                    if r.time - last.0 < gap && (r.survival - last.1).abs() < 0.002 {
                        if let Some(s) = steps.last_mut() {
                            *s = (s.0, r.survival, r.ci_low, r.ci_high);
                        }
                        continue;
                    }
                    steps.push((r.time, r.survival, r.ci_low, r.ci_high));
                }
                if let Some(r) = g.table.last() {
                    steps.push((r.time, r.survival, r.ci_low, r.ci_high));
                }
                let at_risk = ticks
                    .iter()
                    .map(|&t| {
                        g.table
                            .iter()
                            .find(|r| r.time >= t)
                            .map_or(0, |r| r.at_risk)
                    })
                    .collect();
                let label = format!(
                    "{} (n = {}, median {})",
                    g.group,
                    crate::format::thousands(g.n),
                    g.median.map_or("not reached".into(), |m| format!("{m:.1}"))
                );
                KmSeries {
                    label,
                    steps,
                    at_risk,
                }
            })
            .collect();
        KmChart {
            title: title.to_string(),
            subtitle: subtitle.to_string(),
            unit: unit.to_string(),
            x_max,
            ticks,
            series,
        }
    }

    /// The main curves of a survival result.
    pub fn main(r: &SurvivalReport, study: &str, group: Option<&str>) -> Self {
        let title = match group {
            Some(g) => format!("Time to churn by {g}"),
            None => "Time to churn: Kaplan–Meier survival".to_string(),
        };
        let sub = format!(
            "{study}: {} accounts, {} churned; 95 % bands ({}).",
            crate::format::thousands(r.n),
            crate::format::thousands(r.events),
            r.conf_type.as_str()
        );
        KmChart::of(&r.kaplan_meier.groups, &title, &sub, r.unit)
    }
}

impl Chart for KmChart {
    fn name(&self) -> String {
        "Kaplan–Meier chart".into()
    }

    fn size(&self) -> (u32, u32) {
        (super::SIZE.0, super::SIZE.1 + 28 * self.series.len() as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let err = draw_err("Kaplan–Meier chart");
        let body = header(root, &self.title, &self.subtitle, "Kaplan–Meier chart")?;
        let table_h = 40 + 28 * self.series.len() as u32;
        let (plot_area, table) =
            body.split_vertically(body.dim_in_pixel().1.saturating_sub(table_h));
        let y_min = self
            .series
            .iter()
            .flat_map(|s| s.steps.iter().map(|x| x.2))
            .fold(1.0f64, f64::min);
        let y_lo = ((y_min * 10.0).floor() / 10.0).clamp(0.0, 0.9);
        let label_w = 96;
        let mut chart = ChartBuilder::on(&plot_area)
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(label_w)
            .build_cartesian_2d(0f64..self.x_max, y_lo..1.0f64)
            .map_err(&err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(palette::GRID)
            .x_labels(0)
            .y_labels(6)
            .y_label_formatter(&|v| format!("{:.0} %", v * 100.0))
            .x_desc(format!("Tenure ({})", self.unit))
            .y_desc("Still a customer")
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .draw()
            .map_err(&err)?;
        // The x ticks are the at-risk table's columns: grid line and label at each.
        let tick_style = TextStyle::from((FONT, 15).into_font())
            .color(&palette::DARK)
            .pos(Pos::new(HPos::Center, VPos::Top));
        for &t in &self.ticks {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(t, y_lo), (t, 1.0)],
                    palette::GRID,
                )))
                .map_err(&err)?;
            let (px, py) = chart.backend_coord(&(t, y_lo));
            root.draw(&Text::new(
                crate::format::short(t),
                (px, py + 6),
                tick_style.clone(),
            ))
            .map_err(&err)?;
        }
        if y_lo < 0.5 {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(0.0, 0.5), (self.x_max, 0.5)],
                    palette::GREY.stroke_width(1),
                )))
                .map_err(&err)?;
        }
        for (k, s) in self.series.iter().enumerate() {
            let c = COLOURS[k % COLOURS.len()];
            // The band as a stepped polygon: upper edge forward, lower back.
            let mut poly = Vec::with_capacity(4 * s.steps.len());
            for w in s.steps.windows(2) {
                poly.push((w[0].0, w[0].3.max(y_lo)));
                poly.push((w[1].0, w[0].3.max(y_lo)));
            }
            for w in s.steps.windows(2).rev() {
                poly.push((w[1].0, w[0].2.max(y_lo)));
                poly.push((w[0].0, w[0].2.max(y_lo)));
            }
            chart
                .draw_series(std::iter::once(Polygon::new(poly, c.mix(0.15).filled())))
                .map_err(&err)?;
            let mut line = Vec::with_capacity(2 * s.steps.len());
            for w in s.steps.windows(2) {
                line.push((w[0].0, w[0].1.max(y_lo)));
                line.push((w[1].0, w[0].1.max(y_lo)));
            }
            if let Some(last) = s.steps.last() {
                line.push((last.0, last.1.max(y_lo)));
            }
            chart
                .draw_series(std::iter::once(PathElement::new(line, c.stroke_width(3))))
                .map_err(&err)?
                .label(s.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(palette::GRID)
            .label_font((FONT, 16))
            .draw()
            .map_err(&err)?;
        // Number at risk, one row per group, under each tick.
        let head = TextStyle::from((FONT, 15).into_font()).color(&palette::DARK);
        table
            .draw(&Text::new("Number at risk", (16, 6), head.clone()))
            .map_err(&err)?;
        let centre = TextStyle::from((FONT, 15).into_font())
            .color(&palette::DARK)
            .pos(Pos::new(HPos::Center, VPos::Top));
        let (x0, _) = chart.backend_coord(&(0.0, y_lo));
        let top = table.get_base_pixel().1;
        for (k, s) in self.series.iter().enumerate() {
            let y = 30 + 28 * k as i32;
            let c = COLOURS[k % COLOURS.len()];
            table
                .draw(&Rectangle::new([(16, y + 3), (28, y + 15)], c.filled()))
                .map_err(&err)?;
            let short: String = s
                .label
                .split(" (n = ")
                .next()
                .unwrap_or_default()
                .chars()
                .take(9)
                .collect();
            table
                .draw(&Text::new(
                    short,
                    (34, y + 1),
                    TextStyle::from((FONT, 13).into_font()).color(&palette::DARK),
                ))
                .map_err(&err)?;
            for (t, n) in self.ticks.iter().zip(&s.at_risk) {
                let (px, _) = chart.backend_coord(&(*t, y_lo));
                if px < x0 - 1 {
                    continue;
                }
                root.draw(&Text::new(
                    crate::format::thousands(*n),
                    (px, top + y),
                    centre.clone(),
                ))
                .map_err(&err)?;
            }
        }
        Ok(())
    }
}
