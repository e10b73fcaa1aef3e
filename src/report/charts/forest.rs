//! Forest plot of the model's odds ratios: one row per term, the estimate as
//! a dot, the 95 % CI as a whisker, a log axis with round ticks (…, 0.2, 0.5,
//! 1, 2, 5, …) and a line at OR = 1. Numeric and ordinal drivers are drawn
//! per +1 SD, so that a 0–1 share and a count of days compare on one scale;
//! yes/no drivers as yes vs no, categorical levels against the reference.
//! The per-unit figures stay in the model table.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{draw_err, header, palette, Chart, FONT};
use crate::config::DriverKind;
use crate::drivers::DriverReport;
use crate::error::Result;
use crate::stats::dist::Z975;

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
    /// The x axis title: odds or hazard ratio.
    pub axis: String,
    pub rows: Vec<ForestRow>,
}

/// The tick values of the odds-ratio axis: 1-2-5 steps.
const TICKS: [f64; 19] = [
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0,
    200.0, 500.0, 1000.0,
];

/// Finer round ticks for a narrow axis, where the 1-2-5 steps give fewer
/// than four.
const FINE: [f64; 9] = [0.3, 0.4, 0.6, 0.7, 0.8, 0.9, 1.5, 3.0, 4.0];

impl ForestChart {
    pub const STEM: &'static str = "drivers_forest";
    /// The Cox model's hazard ratios.
    pub const COX_STEM: &'static str = "survival_forest";

    /// The hazard ratios of a survival result's Cox model (`None` without one),
    /// on the same scales as the odds-ratio plot.
    pub fn of_cox(r: &crate::survival::SurvivalReport, study: &str) -> Option<Self> {
        let c = r.cox.as_ref()?;
        let rows = c
            .coefficients
            .iter()
            .map(|t| {
                let label = r
                    .drivers
                    .iter()
                    .find(|d| d.driver == t.driver)
                    .map_or(t.driver.as_str(), |d| d.label.as_str());
                let level = t
                    .term
                    .strip_prefix(&format!("{}[", t.driver))
                    .and_then(|x| x.strip_suffix(']'));
                let binary = r
                    .drivers
                    .iter()
                    .find(|d| d.driver == t.driver)
                    .is_some_and(|d| {
                        d.curves
                            .groups
                            .iter()
                            .map(|g| g.group.as_str())
                            .eq(["no", "yes"])
                    });
                let (scale, label) = match (level, t.sd) {
                    (Some(level), _) => (1.0, format!("{label} = {level}")),
                    (None, Some(sd)) if !binary => {
                        (sd, format!("{label} (+1 SD = {})", crate::format::sig(sd)))
                    }
                    (None, _) if binary => (1.0, format!("{label}: yes vs no")),
                    _ => (1.0, label.to_string()),
                };
                let b = t.estimate * scale;
                let w = Z975 * t.std_error * scale;
                ForestRow {
                    label,
                    or: b.exp(),
                    lo: (b - w).exp(),
                    hi: (b + w).exp(),
                    significant: t.p_value < 0.05,
                }
            })
            .collect();
        Some(ForestChart {
            title: "Hazard ratios of churn, all drivers together (Cox)".into(),
            subtitle: format!(
                "{study}, {} accounts, {} churned: per +1 SD for numeric and ordinal drivers, yes vs no, level vs reference; dark = p < 0.05.",
                crate::format::thousands(c.n),
                crate::format::thousands(c.events),
            ),
            axis: "Hazard ratio (log scale)".into(),
            rows,
        })
    }

    /// The plot of `r`'s model (`None` without one).
    pub fn of(r: &DriverReport, study: &str) -> Option<Self> {
        let m = r.model.as_ref()?;
        let rows = m
            .coefficients
            .iter()
            .filter_map(|c| {
                let col = c.driver.as_deref()?;
                let e = r.drivers.iter().find(|e| e.driver == col);
                let label = e.map_or(col, |e| e.label.as_str());
                let kind = e.map(|e| e.kind);
                // The scale a row is drawn on: +1 SD of a numeric or ordinal
                // driver, one unit otherwise (yes vs no; level vs reference).
                let (scale, label) = match (kind, c.sd, &c.level) {
                    (_, _, Some(level)) => (1.0, format!("{label} = {level}")),
                    (Some(DriverKind::Numeric | DriverKind::Ordinal), Some(sd), None) => {
                        (sd, format!("{label} (+1 SD = {})", crate::format::sig(sd)))
                    }
                    (Some(DriverKind::Binary), _, None) => (1.0, format!("{label}: yes vs no")),
                    _ => (1.0, label.to_string()),
                };
                let b = c.estimate * scale;
                let w = Z975 * c.std_error * scale;
                Some(ForestRow {
                    label,
                    or: b.exp(),
                    lo: (b - w).exp(),
                    hi: (b + w).exp(),
                    significant: c.p_value < 0.05,
                })
            })
            .collect();
        Some(ForestChart {
            title: "Odds ratios of churn, all drivers together".into(),
            axis: "Odds ratio (log scale)".into(),
            subtitle: format!(
                "{study}, {} accounts: per +1 SD for numeric and ordinal drivers, yes vs no, level vs reference; dark = p < 0.05.",
                crate::format::thousands(m.n),
            ),
            rows,
        })
    }
}

/// A tick's label: `0.05`, `0.5`, `1`, `20`.
fn tick_label(v: f64) -> String {
    crate::format::plain((v * 1000.0).round() / 1000.0)
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
        let (llo, lhi) = ((lo.ln() - 0.15).max(-6.9), (hi.ln() + 0.15).min(6.9));
        let n = self.rows.len().max(1);
        let label_w = self
            .rows
            .iter()
            .map(|r| r.label.chars().count())
            .max()
            .unwrap_or(8)
            .clamp(8, 48) as u32
            * 9
            + 20;
        let mut chart = ChartBuilder::on(&body)
            .margin(16)
            .x_label_area_size(56)
            .y_label_area_size(label_w)
            .build_cartesian_2d(llo..lhi, 0f64..n as f64)
            .map_err(&err)?;
        // The mesh without x labels: the round ticks are drawn below.
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(0)
            .y_labels(0)
            .x_desc(self.axis.as_str())
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .draw()
            .map_err(&err)?;
        let inside = |t: &f64| (llo..=lhi).contains(&t.ln());
        let mut ticks: Vec<f64> = TICKS.iter().copied().filter(inside).collect();
        if ticks.len() < 4 {
            ticks.extend(FINE.iter().copied().filter(inside));
        }
        let tick_style = TextStyle::from((FONT, 15).into_font())
            .color(&palette::DARK)
            .pos(Pos::new(HPos::Center, VPos::Top));
        for &t in &ticks {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(t.ln(), 0.0), (t.ln(), n as f64)],
                    palette::GRID,
                )))
                .map_err(&err)?;
            let (px, py) = chart.backend_coord(&(t.ln(), 0.0));
            root.draw(&Text::new(tick_label(t), (px, py + 6), tick_style.clone()))
                .map_err(&err)?;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo's forest plot: per-SD rows labelled as configured, the scale
    /// in the subtitle, and only round tick labels on the axis.
    #[test]
    fn per_sd_rows_round_ticks_and_labels() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo/study.toml");
        let cfg = crate::config::StudyConfig::from_path(&path).unwrap();
        let study = crate::data::load_study(&cfg).unwrap();
        let r = crate::drivers::analyse(&study.accounts, &cfg.analysis).unwrap();
        let f = ForestChart::of(&r, "Demo").unwrap();
        assert!(f.subtitle.contains("per +1 SD"), "{}", f.subtitle);
        let labels: Vec<&str> = f.rows.iter().map(|r| r.label.as_str()).collect();
        assert!(labels
            .iter()
            .any(|l| l.starts_with("Product adoption (share of seats) (+1 SD = ")));
        assert!(
            labels.contains(&"Executive sponsor: yes vs no"),
            "{labels:?}"
        );
        assert!(!labels.iter().any(|l| l.contains("training_quality")));
        // Adoption per SD is OR exp(b·sd), not exp(b) per unit share.
        let m = r.model.as_ref().unwrap();
        let c = m
            .coefficients
            .iter()
            .find(|c| c.term == "product_adoption")
            .unwrap();
        let row = f
            .rows
            .iter()
            .find(|r| r.label.starts_with("Product adoption"))
            .unwrap();
        assert!((row.or - (c.estimate * c.sd.unwrap()).exp()).abs() < 1e-12);
        assert!(
            row.or > 0.3,
            "per SD, adoption is no longer OR {}",
            c.odds_ratio
        );
        let svg = crate::report::charts::to_svg(&f).unwrap();
        let texts: Vec<&str> = svg
            .split("<text")
            .skip(1)
            .filter_map(|t| t.split_once('>').and_then(|(_, b)| b.split_once("</text>")))
            .map(|(t, _)| t.trim())
            .collect();
        let ticks: Vec<&str> = texts
            .iter()
            .copied()
            .filter(|t| t.parse::<f64>().is_ok())
            .collect();
        assert!(ticks.len() >= 3, "{texts:?}");
        for t in &ticks {
            assert!(
                TICKS.iter().chain(&FINE).any(|v| tick_label(*v) == *t),
                "tick {t} is not round"
            );
        }
        assert!(ticks.contains(&"1"));
    }
}
