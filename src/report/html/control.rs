//! The control-chart section of `report.html`: each KPI chart with its
//! limits per phase, the points that break a rule, its status light and a
//! paragraph on how to read its signals.

use serde::Serialize;

use super::{heads, Cell, Figure, Table};
use crate::format::sig;
use crate::kpis::KpiControl;
use crate::report::summary::Light;
use crate::report::words::{dispersion_sentence, runs_sentence};
use crate::results::Results;
use crate::spc::{ControlChart, Rule};

#[derive(Debug, Clone, Serialize)]
pub(super) struct ControlView {
    title: String,
    figure: Option<Figure>,
    light: Light,
    limits: Vec<String>,
    rules: String,
    signals: Option<Table>,
    /// Whether this chart sets its KPI's status light, and why.
    judging: Option<String>,
    /// The run-chart verdict of the latest phase.
    runs: Option<String>,
    /// The dispersion diagnostic (p, p′, u and u′ charts).
    dispersion: Option<String>,
    reading: String,
}

pub(super) fn control_views(
    r: &Results,
    figure: &dyn Fn(&str, String) -> Option<Figure>,
) -> Vec<ControlView> {
    r.kpis
        .control
        .iter()
        .map(|k| {
            let c = &k.chart;
            let limits = c
                .phases
                .iter()
                .map(|ph| {
                    let pts = &c.points[ph.first.saturating_sub(1)..ph.last.min(c.points.len())];
                    let lo = pts.iter().map(|p| p.lcl).fold(f64::INFINITY, f64::min);
                    let hi = pts.iter().map(|p| p.ucl).fold(f64::NEG_INFINITY, f64::max);
                    let varies = pts.iter().any(|p| p.ucl != hi || p.lcl != lo);
                    format!(
                        "{}{} to {}: center {}, limits {}{} to {}{}, sigma {}{}, from {} baseline points{}.",
                        if c.phases.len() > 1 { format!("Phase {}, ", ph.phase) } else { String::new() },
                        pts.first().map_or("", |p| p.label.as_str()),
                        pts.last().map_or("", |p| p.label.as_str()),
                        sig(ph.center),
                        if varies { "from " } else { "" },
                        sig(lo),
                        sig(hi),
                        if varies { " (they vary with the subgroup size)" } else { "" },
                        sig(ph.sigma),
                        ph.sigma_z.map_or(String::new(), |z| format!(", overdispersion sigma_z {}", sig(z))),
                        ph.baseline_points,
                        if ph.excluded.is_empty() { String::new() } else { format!(", {} excluded as out of control", ph.excluded.len()) }
                    )
                })
                .collect();
            let flagged: Vec<_> = c.signals().collect();
            let signals = (!flagged.is_empty()).then(|| Table {
                caption: "Points that break a rule".into(),
                heads: heads(&[("point", false), ("value", true), ("center", true), ("LCL", true), ("UCL", true), ("rules", false)]),
                rows: flagged
                    .iter()
                    .map(|p| {
                        vec![
                            Cell::text(p.label.clone()),
                            Cell::num(sig(p.value), p.value),
                            Cell::num(sig(p.center), p.center),
                            Cell::num(sig(p.lcl), p.lcl),
                            Cell::num(sig(p.ucl), p.ucl),
                            Cell::text(crate::spc::rules::codes(&p.violations, ", ")),
                        ]
                    })
                    .collect(),
            });
            ControlView {
                title: k.title.clone(),
                figure: figure(&k.stem, k.title.clone()),
                light: Light::of(&k.status),
                limits,
                rules: c.rules_note.clone(),
                signals,
                judging: judging(r, k),
                runs: c.runs().map(runs_sentence),
                dispersion: c.dispersion().map(dispersion_sentence),
                reading: reading(c),
            }
        })
        .collect()
}

/// Which chart sets a KPI's status light, said under each chart of a KPI
/// that has two (logo churn's p and p′; a drifting level and its change).
fn judging(r: &Results, k: &KpiControl) -> Option<String> {
    if k.change {
        return Some("The level of this KPI drifts (its run chart signals), so this chart of its month-over-month change sets the status light: a steady trend is not a special cause to chase each month, while a change unlike the usual ones is.".into());
    }
    if k.judges {
        return None;
    }
    let by = r.kpis.control.iter().find(|o| o.kpi == k.kpi && o.judges)?;
    Some(format!(
        "This chart does not set the status light; “{}” does.",
        by.title
    ))
}

/// One paragraph on how to read a chart's signals.
fn reading(c: &ControlChart) -> String {
    let n = c.points.len();
    let flagged = c.signals().count();
    let runs_signal = c.runs().is_some_and(|r| r.signal());
    if flagged == 0 && runs_signal {
        return format!("No point breaks a 3-sigma rule, but the run chart signals a sustained shift or trend that limits this wide do not show: look at when the long run or the few crossings began, not at single months ({n} points).");
    }
    if flagged == 0 {
        return format!("All {n} points are in control: the month-to-month variation is what this process ordinarily produces, so no single month needs an explanation.");
    }
    let sustained = c
        .signals()
        .filter(|p| {
            p.violations
                .iter()
                .any(|r| !matches!(r, Rule::We1 | Rule::Nelson1))
        })
        .count();
    let mut s = format!("{flagged} of {n} points signal a special cause.");
    if flagged * 2 > n {
        s.push_str(" When most points signal, the process is not stable around one level: look for a trend or a shift (for ARPA, steady expansion lifts the level month after month) rather than a single bad month; the limits describe a level the process has left.");
    } else if sustained > 0 {
        s.push_str(" Run-rule signals (not only single points beyond the limits) point to a sustained shift rather than a one-off.");
    } else {
        s.push_str(" Investigate those months: something outside the ordinary happened then.");
    }
    if c.dispersion().is_some_and(|d| d.recommended != c.chart) {
        s.push_str(" The dispersion diagnostic finds the variation is not what this chart assumes, so judge by the chart it names rather than by these limits.");
    }
    s
}
