//! Kaplan–Meier curves overall and per level of each driver (numeric
//! drivers in the rate tables' quantile bins), the log-rank test across the
//! levels (stratified too, when the study names strata), pairwise tests
//! under the study's correction, and the restricted mean survival time per
//! level with its difference from the reference level.

use serde::Serialize;

use crate::config::DriverKind;
use crate::data::{Driver, DriverValues, MISSING};
use crate::drivers::univariate::numeric_groups;
use crate::stats::dist::{norm_two_sided, Z975};
use crate::stats::multitest::{adjust, Correction};
use crate::stats::survival::grid::{Tally, TimeGrid};
use crate::stats::survival::km::{curves_on, ConfType, KaplanMeier, KmRow, Rmst};
use crate::stats::survival::logrank::Counts;
use crate::stats::survival::Subjects;

/// One curve: a group of accounts.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KmGroup {
    pub group: String,
    pub n: usize,
    pub events: usize,
    /// First time the curve reaches ½; `None` when it never does.
    pub median: Option<f64>,
    pub median_ci_low: Option<f64>,
    pub median_ci_high: Option<f64>,
    pub table: Vec<KmRow>,
    /// Survival at the study's horizons; `None` beyond the group's follow-up.
    pub at_horizons: Vec<Horizon>,
}

/// S(t) at one horizon.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Horizon {
    pub time: f64,
    pub survival: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

/// A log-rank test, with its adjusted p-value where it belongs to a family.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LogRankOut {
    pub statistic: f64,
    pub df: usize,
    pub p_value: f64,
    pub q_value: Option<f64>,
}

/// Two levels compared.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Pairwise {
    pub a: String,
    pub b: String,
    pub statistic: f64,
    pub p_value: f64,
    pub q_value: f64,
}

/// RMST of one group up to τ.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RmstRow {
    pub group: String,
    pub tau: f64,
    pub rmst: f64,
    pub std_error: f64,
}

/// A level's RMST minus the reference level's, with a 95 % interval.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RmstDifference {
    pub group: String,
    pub versus: String,
    pub tau: f64,
    pub difference: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub p_value: f64,
}

/// The curves of one grouping (a driver, or everyone).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Curves {
    pub groups: Vec<KmGroup>,
    pub logrank: Option<LogRankOut>,
    pub stratified_logrank: Option<LogRankOut>,
    pub pairwise: Vec<Pairwise>,
    pub rmst: Vec<RmstRow>,
    pub rmst_differences: Vec<RmstDifference>,
}

/// Settings shared by every grouping, however its counts were made.
#[derive(Debug, Clone, Copy)]
pub struct CurveSettings<'a> {
    pub conf_type: ConfType,
    pub horizons: &'a [f64],
    pub tau: Option<f64>,
    pub correction: Correction,
}

/// The in-memory path's settings: those, the strata, and the grid.
#[derive(Debug, Clone, Copy)]
pub struct CurveParams<'a> {
    pub settings: CurveSettings<'a>,
    pub strata: Option<&'a [u32]>,
    /// The subjects placed once on the grid of exit times, for every curve of the study.
    pub grid: &'a TimeGrid,
}

/// A driver's levels as groups: labels and a code per row ([`MISSING`] for blanks).
pub fn driver_groups(d: &Driver, bins: usize, reference: usize) -> (Vec<String>, Vec<u32>, usize) {
    match (&d.values, d.config.kind) {
        (DriverValues::Categorical(c), _) => (c.levels.clone(), c.codes.clone(), reference),
        (DriverValues::Numeric(v), DriverKind::Binary) => {
            let codes = v
                .iter()
                .map(|x| {
                    if x.is_nan() {
                        MISSING
                    } else {
                        (*x == 1.0) as u32
                    }
                })
                .collect();
            (vec!["no".into(), "yes".into()], codes, 0)
        }
        (DriverValues::Numeric(v), _) => {
            let g = numeric_groups(v, bins);
            (g.labels, g.codes, 0)
        }
    }
}

/// One group's curve and its summary at the horizons.
pub fn km_group(km: &KaplanMeier, name: &str, horizons: &[f64]) -> KmGroup {
    let (lo, hi) = km.median_ci();
    KmGroup {
        group: name.to_string(),
        n: km.n,
        events: km.events,
        median: km.median(),
        median_ci_low: lo,
        median_ci_high: hi,
        at_horizons: horizons
            .iter()
            .map(|&t| {
                let pt = km.at(t);
                Horizon {
                    time: t,
                    survival: pt.as_ref().map(|x| x.survival),
                    ci_low: pt.as_ref().map(|x| x.ci_low),
                    ci_high: pt.as_ref().map(|x| x.ci_high),
                }
            })
            .collect(),
        table: km.table.clone(),
    }
}

/// A log-rank test as reported, before any adjustment.
fn logrank_out(r: crate::stats::survival::logrank::LogRank) -> LogRankOut {
    LogRankOut {
        statistic: r.statistic,
        df: r.df,
        p_value: r.p_value,
        q_value: None,
    }
}

/// The curves, tests and RMST of one grouping; `reference` is the level the
/// RMST differences are taken against.
pub fn curves(
    s: &Subjects,
    labels: &[String],
    codes: &[u32],
    reference: usize,
    p: &CurveParams,
) -> Curves {
    let k = labels.len();
    // One count of the groups on the grid (which leaves out rows without a
    // finite exit) serves the curves and the unstratified test with all its pairs.
    let tally = p.grid.tally(codes, k, s.entry.is_some());
    let all_groups: Vec<usize> = (0..k).collect();
    let stratified = match (k > 1, p.strata) {
        (true, Some(st)) => Counts::new(s, p.grid, codes, k, Some(st))
            .test(&all_groups)
            .map(logrank_out),
        _ => None,
    };
    of_tally(
        p.grid.times(),
        &tally,
        labels,
        reference,
        &p.settings,
        stratified,
    )
}

/// [`curves`] from the grouping's counts on the grid `times` (one group
/// per label), with its stratified test when there is one: the part both
/// the in-memory path and an engine's counts go through.
pub fn of_tally(
    times: &[f64],
    tally: &Tally,
    labels: &[String],
    reference: usize,
    p: &CurveSettings,
    stratified: Option<LogRankOut>,
) -> Curves {
    let k = labels.len().min(tally.k);
    let fits = curves_on(times, tally, p.conf_type);
    let groups: Vec<KmGroup> = (0..k)
        .filter(|&g| fits[g].n > 0)
        .map(|g| km_group(&fits[g], &labels[g], p.horizons))
        .collect();
    let counts = (k > 1).then(|| Counts::of_tally(tally, true));
    let all_groups: Vec<usize> = (0..k).collect();
    let lr = counts
        .as_ref()
        .and_then(|c| c.test(&all_groups))
        .map(logrank_out);
    let mut pairwise = Vec::new();
    if let (true, Some(c)) = (k > 2, &counts) {
        for a in 0..k {
            for b in a + 1..k {
                if let Some(r) = c.test(&[a, b]) {
                    pairwise.push(Pairwise {
                        a: labels[a].clone(),
                        b: labels[b].clone(),
                        statistic: r.statistic,
                        p_value: r.p_value,
                        q_value: f64::NAN,
                    });
                }
            }
        }
        let q = adjust(
            &pairwise.iter().map(|x| x.p_value).collect::<Vec<_>>(),
            p.correction,
        );
        pairwise.iter_mut().zip(q).for_each(|(x, q)| x.q_value = q);
    }
    let mut rmst = Vec::new();
    let mut by_group: Vec<Option<Rmst>> = vec![None; k];
    if let Some(tau) = p.tau {
        for g in 0..k {
            if let Some(r) = fits[g].rmst(tau) {
                rmst.push(RmstRow {
                    group: labels[g].clone(),
                    tau,
                    rmst: r.rmst,
                    std_error: r.std_error,
                });
                by_group[g] = Some(r);
            }
        }
    }
    let mut rmst_differences = Vec::new();
    if let Some(base) = by_group.get(reference).cloned().flatten() {
        for g in (0..k).filter(|&g| g != reference) {
            if let Some(r) = &by_group[g] {
                let d = r.rmst - base.rmst;
                let se = (r.std_error.powi(2) + base.std_error.powi(2)).sqrt();
                rmst_differences.push(RmstDifference {
                    group: labels[g].clone(),
                    versus: labels[reference].clone(),
                    tau: r.tau,
                    difference: d,
                    ci_low: d - Z975 * se,
                    ci_high: d + Z975 * se,
                    p_value: if se > 0.0 {
                        norm_two_sided(d / se)
                    } else {
                        f64::NAN
                    },
                });
            }
        }
    }
    Curves {
        groups,
        logrank: lr,
        stratified_logrank: stratified,
        pairwise,
        rmst,
        rmst_differences,
    }
}
