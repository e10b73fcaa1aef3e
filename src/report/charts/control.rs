//! Control chart picture: the plotted statistic, centre line and stepped
//! limits per point, σ zones when zone rules are on, phase boundaries, and
//! violating points marked in red and labelled with their rules. X̄-R, X̄-S
//! and XmR get their dispersion chart as a second panel.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{draw_err, header, palette, Chart, FONT};
use crate::error::Result;
use crate::spc::{ControlChart, Kind};

/// A [`ControlChart`] ready to draw.
pub struct ControlPlot<'a> {
    pub chart: &'a ControlChart,
    pub title: String,
    pub subtitle: String,
}

impl<'a> ControlPlot<'a> {
    pub fn new(chart: &'a ControlChart, title: &str, context: &str) -> Self {
        let ph = &chart.phases[0];
        let n_sig = chart.signals().count();
        let runs = chart.runs().map_or(String::new(), |r| {
            format!(
                " Run chart: longest run {} (max {}), {} crossings (min {}){}.",
                r.longest_run,
                r.longest_run_max,
                r.crossings,
                r.crossings_min,
                if r.signal() { ": signal" } else { "" }
            )
        });
        let subtitle = if chart.chart == Kind::Run {
            format!(
                "{context}: run chart, median {}.{runs}",
                crate::format::sig(ph.center)
            )
        } else {
            format!(
                "{context}: {} chart, centre {}{}; {} of {} points signal ({}).{runs}",
                chart.chart,
                crate::format::sig(ph.center),
                ph.sigma_z
                    .map_or(String::new(), |z| format!(", σz = {z:.2}")),
                n_sig,
                chart.points.len(),
                crate::spc::rules::codes(&chart.rules, " ")
            )
        };
        ControlPlot {
            chart,
            title: title.to_string(),
            subtitle,
        }
    }
}

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &ControlChart,
    ylabel: &str,
    zones: bool,
) -> Result<()> {
    let err = draw_err("control chart");
    let n = c.points.len();
    let finite = |v: f64| v.is_finite();
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for p in &c.points {
        for v in [p.value, p.lcl, p.ucl, p.center] {
            if finite(v) {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
    }
    if !(lo.is_finite() && hi.is_finite()) {
        return Ok(());
    }
    let pad = ((hi - lo) * 0.12).max(1e-9);
    let (lo, hi) = (lo - pad, hi + pad);
    let mut ch = ChartBuilder::on(area)
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(90)
        .build_cartesian_2d(0.5f64..n as f64 + 0.5, lo..hi)
        .map_err(&err)?;
    let labels: Vec<String> = c.points.iter().map(|p| p.label.clone()).collect();
    let step = (n / 12).max(1);
    ch.configure_mesh()
        .disable_x_mesh()
        .max_light_lines(0)
        .bold_line_style(palette::GRID)
        .x_labels(n.min(14))
        .x_label_formatter(&|x| {
            let i = x.round() as usize;
            if i >= 1 && i <= labels.len() && (i - 1) % step == 0 {
                labels[i - 1].clone()
            } else {
                String::new()
            }
        })
        .y_desc(ylabel)
        .y_label_formatter(&|v| crate::format::sig(*v))
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .draw()
        .map_err(&err)?;
    // Stepped centre, limits and zones (a run chart has no limits: its
    // values are NaN and nothing is drawn for them).
    let stepped = |f: &dyn Fn(&crate::spc::Point) -> f64| -> Vec<(f64, f64)> {
        let mut v = Vec::with_capacity(2 * n);
        for p in c.points.iter().filter(|p| f(p).is_finite()) {
            let y = f(p);
            v.push((p.index as f64 - 0.5, y));
            v.push((p.index as f64 + 0.5, y));
        }
        v
    };
    if zones {
        for k in [-2.0, -1.0, 1.0, 2.0] {
            let pts = stepped(&|p| p.center + k * p.sigma);
            ch.draw_series(DashedLineSeries::new(
                pts,
                4,
                4,
                palette::LIGHT_BLUE.stroke_width(1),
            ))
            .map_err(&err)?;
        }
    }
    ch.draw_series(LineSeries::new(
        stepped(&|p| p.center),
        palette::DARK.stroke_width(2),
    ))
    .map_err(&err)?;
    for f in [
        &(|p: &crate::spc::Point| p.ucl) as &dyn Fn(&crate::spc::Point) -> f64,
        &|p: &crate::spc::Point| p.lcl,
    ] {
        ch.draw_series(LineSeries::new(
            stepped(f),
            palette::VERMILION.stroke_width(2),
        ))
        .map_err(&err)?;
    }
    // Phase boundaries.
    for ph in c.phases.iter().skip(1) {
        let x = ph.first as f64 - 0.5;
        ch.draw_series(DashedLineSeries::new(
            vec![(x, lo), (x, hi)],
            6,
            5,
            palette::DARK.stroke_width(1),
        ))
        .map_err(&err)?;
    }
    if c.phases.len() > 1 {
        for ph in &c.phases {
            ch.draw_series(std::iter::once(Text::new(
                format!("phase {}", ph.phase),
                (ph.first as f64 - 0.3, hi - pad * 0.3),
                (FONT, 14).into_font().color(&palette::DARK),
            )))
            .map_err(&err)?;
        }
    }
    // The series.
    let series: Vec<(f64, f64)> = c
        .points
        .iter()
        .filter(|p| p.value.is_finite())
        .map(|p| (p.index as f64, p.value))
        .collect();
    ch.draw_series(LineSeries::new(series, palette::BLUE.stroke_width(2)))
        .map_err(&err)?;
    for p in c.points.iter().filter(|p| p.value.is_finite()) {
        let bad = !p.violations.is_empty();
        let colour = if bad {
            palette::VERMILION
        } else {
            palette::BLUE
        };
        ch.draw_series(std::iter::once(Circle::new(
            (p.index as f64, p.value),
            if bad { 6 } else { 4 },
            colour.filled(),
        )))
        .map_err(&err)?;
        if bad {
            let label = crate::spc::rules::codes(&p.violations, ",");
            ch.draw_series(std::iter::once(Text::new(
                label,
                (p.index as f64 + 0.15, p.value + pad * 0.25),
                (FONT, 13).into_font().color(&palette::VERMILION),
            )))
            .map_err(&err)?;
        }
    }
    Ok(())
}

impl Chart for ControlPlot<'_> {
    fn name(&self) -> String {
        format!("{} chart", self.chart.chart)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let body = header(root, &self.title, &self.subtitle, "control chart")?;
        let zones = self.chart.rules.iter().any(|r| r.uses_zones());
        match &self.chart.secondary {
            None => panel(&body, self.chart, self.chart.statistic, zones),
            Some(s) => {
                let h = body.dim_in_pixel().1;
                let (top, bottom) = body.split_vertically((h as f64 * 0.62) as u32);
                panel(&top, self.chart, self.chart.statistic, zones)?;
                panel(&bottom, s, s.statistic, false)
            }
        }
    }
}
