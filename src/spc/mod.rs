//! Statistical process control: p, np, c, u, Laney p′ and u′, individuals
//! (XmR), X̄-R and X̄-S charts and run charts, with phases, baseline (phase I /
//! phase II) limits, optional revised limits, Western Electric / Nelson rules
//! ([`rules`]), Anhøj's run-chart rules on every chart ([`runs`]) and the
//! P/U-chart dispersion diagnostic ([`dispersion`]). Charts are validated on
//! construction: bad series are errors.

mod check;
pub mod constants;
pub mod dispersion;
mod limits;
pub mod rules;
pub mod runs;

use serde::Serialize;

use crate::error::{Error, Result};
use check::check;
pub use dispersion::Dispersion;
use limits::{dispersion_limits, estimate, limits, plain_z, prepare};
pub use rules::{Rule, RuleParams};
pub use runs::Runs;

/// The chart types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Proportion defective, variable subgroup sizes (stepped limits).
    P,
    /// Number defective, constant subgroup size.
    Np,
    /// Count of defects per equal unit.
    C,
    /// Defects per unit, variable sizes.
    U,
    /// Individuals and moving range.
    Xmr,
    /// Subgroup means and ranges.
    XbarR,
    /// Subgroup means and standard deviations.
    XbarS,
    /// Laney p′: a p chart whose limits are widened (or narrowed) by σz,
    /// the between-subgroup variation of the standardized proportions.
    LaneyP,
    /// Laney u′: the rate analogue, a u chart whose limits are scaled by σz
    /// of the rates standardised against their Poisson σ.
    LaneyU,
    /// Run chart: the values around their median, judged by Anhøj's rules
    /// (no 3σ limits); for short series such as 12–24 months of a KPI.
    Run,
    /// The range chart under an X̄-R chart (not charted on its own).
    #[value(skip)]
    R,
    /// The standard-deviation chart under an X̄-S chart.
    #[value(skip)]
    S,
    /// The moving-range chart under an XmR chart.
    #[value(skip)]
    Mr,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::P => "p",
            Kind::Np => "np",
            Kind::C => "c",
            Kind::U => "u",
            Kind::Xmr => "xmr",
            Kind::XbarR => "xbar-r",
            Kind::XbarS => "xbar-s",
            Kind::LaneyP => "laney-p",
            Kind::LaneyU => "laney-u",
            Kind::Run => "run",
            Kind::R => "r",
            Kind::S => "s",
            Kind::Mr => "mr",
        }
    }
    /// The chart's name in sentences: `Laney p′ chart`, `XmR chart`, …
    pub fn title(self) -> &'static str {
        match self {
            Kind::P => "p chart",
            Kind::Np => "np chart",
            Kind::C => "c chart",
            Kind::U => "u chart",
            Kind::Xmr => "XmR chart",
            Kind::XbarR => "X̄-R chart",
            Kind::XbarS => "X̄-S chart",
            Kind::LaneyP => "Laney p′ chart",
            Kind::LaneyU => "Laney u′ chart",
            Kind::Run => "run chart",
            Kind::R => "R chart",
            Kind::S => "S chart",
            Kind::Mr => "moving-range chart",
        }
    }

    fn attribute(self) -> bool {
        matches!(
            self,
            Kind::P | Kind::Np | Kind::C | Kind::U | Kind::LaneyP | Kind::LaneyU
        )
    }
    fn needs_size(self) -> bool {
        matches!(
            self,
            Kind::P | Kind::Np | Kind::U | Kind::LaneyP | Kind::LaneyU
        )
    }
}

/// A series to chart: one entry per point (subgroup).
#[derive(Debug, Clone, Default)]
pub struct Series {
    pub labels: Vec<String>,
    /// Counts (attribute charts) or values (XmR); empty for X̄ charts.
    pub values: Vec<f64>,
    /// Subgroup sizes (p, np, u, Laney p′).
    pub sizes: Option<Vec<f64>>,
    /// Observations per subgroup (X̄-R, X̄-S).
    pub groups: Option<Vec<Vec<f64>>>,
    /// Or the subgroups' summaries (X̄-R, X̄-S), when the observations are
    /// summed where they live (on an engine) and only these come home.
    pub subgroups: Option<Vec<Subgroup>>,
    /// Phase label per point; each run of equal labels gets its own limits.
    pub phases: Option<Vec<String>>,
}

/// What an X̄ chart reads of a subgroup: its size, mean, standard
/// deviation (n − 1) and range.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Subgroup {
    pub n: f64,
    pub mean: f64,
    pub sd: f64,
    pub range: f64,
}

impl Subgroup {
    /// The summary of the observations `obs`.
    pub fn of(obs: &[f64]) -> Self {
        let n = obs.len() as f64;
        let mean = obs.iter().sum::<f64>() / n;
        Subgroup {
            n,
            mean,
            sd: (obs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt(),
            range: obs.iter().copied().fold(f64::NEG_INFINITY, f64::max)
                - obs.iter().copied().fold(f64::INFINITY, f64::min),
        }
    }

    /// Whether every number of the summary is finite.
    fn finite(&self) -> bool {
        [self.n, self.mean, self.sd, self.range]
            .iter()
            .all(|x| x.is_finite())
    }
}

/// How limits are computed and judged.
#[derive(Debug, Clone)]
pub struct Options {
    pub kind: Kind,
    pub rules: Vec<Rule>,
    pub params: RuleParams,
    /// Points (0-based, inclusive) that set the limits (phase I); the rest
    /// are judged against them (phase II). Not with phases.
    pub baseline: Option<(usize, usize)>,
    /// Drop phase-I points beyond the first limits and recompute once
    /// (Montgomery's revised limits).
    pub revise: bool,
}

impl Options {
    pub fn new(kind: Kind) -> Self {
        Options {
            kind,
            rules: rules::WE.to_vec(),
            params: RuleParams::default(),
            baseline: None,
            revise: false,
        }
    }
}

/// One plotted point with its limits and the rules it breaks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// 1-based.
    pub index: usize,
    pub label: String,
    pub value: f64,
    pub center: f64,
    pub lcl: f64,
    pub ucl: f64,
    /// σ of the plotted statistic at this point (zone width).
    pub sigma: f64,
    pub phase: String,
    /// Used to compute its phase's limits.
    pub baseline: bool,
    /// Left out of the revised limits.
    pub excluded: bool,
    pub violations: Vec<Rule>,
}

/// The limits of one phase.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseLimits {
    pub phase: String,
    /// 1-based first and last point.
    pub first: usize,
    pub last: usize,
    pub center: f64,
    /// Process σ behind the limits (for p/np/c/u: the binomial or Poisson σ
    /// of one unit at the centre; for X̄ and XmR: the within σ).
    pub sigma: f64,
    /// Laney's σz (1 = no over- or underdispersion).
    pub sigma_z: Option<f64>,
    pub baseline_points: usize,
    /// 1-based points dropped when revising.
    pub excluded: Vec<usize>,
    /// The run-chart verdict of the phase: Anhøj's rules around the median
    /// of its baseline points (none for dispersion charts).
    pub runs: Option<Runs>,
    /// Observed ÷ expected variation of a p, p′, u or u′ chart's baseline.
    pub dispersion: Option<Dispersion>,
}

/// A computed chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlChart {
    pub chart: Kind,
    /// What is plotted: `proportion`, `count`, `mean`, `range`, …
    pub statistic: &'static str,
    /// Centre of the first phase.
    pub center: f64,
    pub sigma: f64,
    pub sigma_z: Option<f64>,
    pub phases: Vec<PhaseLimits>,
    pub rules: Vec<Rule>,
    /// Which rules were applied here and why.
    pub rules_note: String,
    pub points: Vec<Point>,
    /// The dispersion chart (R, S or MR) under X̄-R, X̄-S and XmR.
    pub secondary: Option<Box<ControlChart>>,
}

impl ControlChart {
    /// Points breaking any rule.
    pub fn signals(&self) -> impl Iterator<Item = &Point> {
        self.points.iter().filter(|p| !p.violations.is_empty())
    }

    /// The run-chart verdict of the latest phase (the process as it is now).
    pub fn runs(&self) -> Option<&Runs> {
        self.phases.last().and_then(|p| p.runs.as_ref())
    }

    /// The dispersion diagnostic of the latest phase.
    pub fn dispersion(&self) -> Option<&Dispersion> {
        self.phases.last().and_then(|p| p.dispersion.as_ref())
    }
}

/// A series the chosen chart cannot be drawn on: bad input (exit 2).
fn bad(message: String) -> Error {
    Error::Input {
        what: "control chart",
        message,
    }
}

/// Consecutive runs of equal phase labels: (label, first, last).
fn segments(s: &Series, n: usize) -> Vec<(String, usize, usize)> {
    match &s.phases {
        None => vec![("I".to_string(), 0, n - 1)],
        Some(p) => {
            let mut out: Vec<(String, usize, usize)> = Vec::new();
            for (i, l) in p.iter().enumerate() {
                match out.last_mut() {
                    Some(last) if &last.0 == l => last.2 = i,
                    _ => out.push((l.clone(), i, i)),
                }
            }
            out
        }
    }
}

/// Builds a chart: limits per phase (from its baseline points, optionally
/// revised), then the run rules on the standardized points.
///
/// # Errors
/// Fewer than 2 points, sizes of 0, counts above their size, negative
/// counts, missing values, or inconsistent options.
pub fn chart(s: &Series, o: &Options) -> Result<ControlChart> {
    let n = check(s, o)?;
    let pr = prepare(s, o.kind);
    let kind = o.kind;
    let mut points = Vec::with_capacity(n);
    let mut phases = Vec::new();
    let mut second_points = Vec::new();
    for (label, a, b) in segments(s, n) {
        let (ba, bb) = match o.baseline {
            Some((x, y)) => (x.max(a), y.min(b)),
            None => (a, b),
        };
        let mut idx: Vec<usize> = (ba..=bb).collect();
        if idx.len() < 2 {
            return Err(bad(format!(
                "phase {label} has fewer than 2 points to compute limits from"
            )));
        }
        let mut est = estimate(kind, s, &pr, &idx);
        let mut excluded = Vec::new();
        if o.revise {
            let keep: Vec<usize> = idx
                .iter()
                .copied()
                .filter(|&i| {
                    let (_, l, u, _) = limits(kind, &est, pr.size[i]);
                    pr.value[i] >= l && pr.value[i] <= u
                })
                .collect();
            if keep.len() >= 2 && keep.len() < idx.len() {
                excluded = idx.iter().copied().filter(|i| !keep.contains(i)).collect();
                idx = keep;
                est = estimate(kind, s, &pr, &idx);
            }
        }
        let base_values: Vec<f64> = idx.iter().map(|&i| pr.value[i]).collect();
        let run_center = if kind == Kind::Run {
            est.center
        } else {
            runs::median(&base_values)
        };
        let z: Vec<f64> = idx
            .iter()
            .map(|&i| plain_z(kind, &est, pr.value[i], pr.size[i]))
            .collect();
        phases.push(PhaseLimits {
            phase: label.clone(),
            first: a + 1,
            last: b + 1,
            center: est.center,
            sigma: est.sigma,
            sigma_z: est.sigma_z,
            baseline_points: idx.len(),
            excluded: excluded.iter().map(|i| i + 1).collect(),
            runs: Some(runs::anhoj(&pr.value[a..=b], run_center, a + 1)),
            dispersion: Dispersion::of(&z, kind),
        });
        for i in a..=b {
            let (c, l, u, sd) = limits(kind, &est, pr.size[i]);
            points.push(Point {
                index: i + 1,
                label: s.labels[i].clone(),
                value: pr.value[i],
                center: c,
                lcl: l,
                ucl: u,
                sigma: sd,
                phase: label.clone(),
                baseline: idx.contains(&i),
                excluded: excluded.contains(&i),
                violations: Vec::new(),
            });
            if matches!(kind, Kind::XbarR | Kind::XbarS | Kind::Xmr) {
                let m = if kind == Kind::Xmr {
                    2
                } else {
                    pr.size[i] as usize
                };
                let (c2, l2, u2) = dispersion_limits(kind, est.sigma, m);
                let v = if kind == Kind::Xmr && i == a {
                    f64::NAN
                } else {
                    pr.spread[i]
                };
                second_points.push(Point {
                    index: i + 1,
                    label: s.labels[i].clone(),
                    value: v,
                    center: c2,
                    lcl: l2,
                    ucl: u2,
                    sigma: f64::NAN,
                    phase: label.clone(),
                    baseline: idx.contains(&i),
                    excluded: excluded.contains(&i),
                    violations: if v > u2 || (l2 > 0.0 && v < l2) {
                        vec![Rule::We1]
                    } else {
                        Vec::new()
                    },
                });
            }
        }
    }
    // Rules run within each phase (a new phase starts new runs); a run chart
    // has no σ, only Anhøj's rules.
    for ph in phases.iter().filter(|_| kind != Kind::Run) {
        let z: Vec<f64> = points[ph.first - 1..ph.last]
            .iter()
            .map(|p| {
                let d = p.value - p.center;
                if p.sigma > 0.0 {
                    d / p.sigma
                } else if d == 0.0 {
                    0.0
                } else {
                    // No variation in the baseline: any departure is beyond the limits.
                    d.signum() * f64::INFINITY
                }
            })
            .collect();
        let hits = rules::evaluate(&z, &o.rules, &o.params);
        for (p, h) in points[ph.first - 1..ph.last].iter_mut().zip(hits) {
            p.violations = h;
        }
    }
    let statistic = match kind {
        Kind::P | Kind::LaneyP => "proportion",
        Kind::Np | Kind::C => "count",
        Kind::U | Kind::LaneyU => "count per unit",
        Kind::Xmr | Kind::Run => "individual value",
        Kind::XbarR | Kind::XbarS => "subgroup mean",
        Kind::R => "range",
        Kind::S => "standard deviation",
        Kind::Mr => "moving range",
    };
    let secondary = (!second_points.is_empty()).then(|| {
        let (chart, statistic) = match kind {
            Kind::XbarR => (Kind::R, "range"),
            Kind::XbarS => (Kind::S, "standard deviation"),
            _ => (Kind::Mr, "moving range"),
        };
        Box::new(ControlChart {
            chart,
            statistic,
            center: second_points[if kind == Kind::Xmr { 1 } else { 0 }].center,
            sigma: phases[0].sigma,
            sigma_z: None,
            phases: phases
                .iter()
                .map(|p| PhaseLimits {
                    runs: None,
                    dispersion: None,
                    ..p.clone()
                })
                .collect(),
            rules: vec![Rule::We1],
            rules_note: "rule 1 only (points beyond the limits): a dispersion chart's limits are not symmetric, so zone and run rules do not apply".into(),
            points: second_points,
            secondary: None,
        })
    });
    let rules = if kind == Kind::Run {
        Vec::new()
    } else {
        o.rules.clone()
    };
    let zones = rules.iter().any(|r| r.uses_zones());
    let rules_note = if kind == Kind::Run {
        "Anhøj's rules around the median: an unusually long run on one side, or unusually few crossings of it (points on the median skipped)".to_string()
    } else {
        format!(
            "{} applied to the {statistic} chart{}{}",
            if rules.is_empty() {
                "no rules".to_string()
            } else {
                crate::spc::rules::codes(&rules, ", ")
            },
            if zones {
                " on σ zones of each point's own σ"
            } else {
                ""
            },
            if kind.attribute() {
                "; limits below 0 (and above 1 for proportions) are clipped"
            } else {
                ""
            }
        )
    };
    Ok(ControlChart {
        chart: kind,
        statistic,
        center: phases[0].center,
        sigma: phases[0].sigma,
        sigma_z: phases[0].sigma_z,
        rules_note,
        rules,
        phases,
        points,
        secondary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A baseline with no variation: any later departure is beyond the limits.
    #[test]
    fn zero_sigma_baseline_flags_departures() {
        let s = Series {
            labels: (1..=5).map(|i| i.to_string()).collect(),
            values: vec![4.0, 4.0, 4.0, 4.0, 5.0],
            ..Series::default()
        };
        let mut o = Options::new(Kind::Xmr);
        o.baseline = Some((0, 3));
        let c = chart(&s, &o).unwrap();
        assert!(c.points[..4].iter().all(|p| p.violations.is_empty()));
        assert!(c.points[4].violations.contains(&Rule::We1));
    }
}
