//! Time to churn: how long customers stay and what changes that. Kaplan–Meier
//! curves overall and per driver level with log-rank tests ([`curves`]), the
//! Cox model on all drivers with its proportional-hazards check ([`model`]),
//! the restricted mean survival time, and each driver's Cox verdict set
//! beside the logistic model's, with one sentence where they disagree
//! ([`compare`]). [`analyse`] is pure: typed study in, serialisable
//! [`SurvivalReport`] out.

pub mod compare;
pub mod counted;
pub mod curves;
pub mod model;
pub mod predict;

use rayon::prelude::*;
use serde::Serialize;

use crate::config::{StudyConfig, SurvivalConfig};
use crate::data::durations::DurationSource;
use crate::data::Study;
use crate::drivers::design::DriverInfo;
use crate::drivers::DriverReport;
use crate::error::{Error, Result};
use crate::stats::survival::grid::TimeGrid;
use crate::stats::survival::km::{ConfType, KaplanMeier};
use crate::stats::survival::Subjects;
pub use compare::VerdictComparison;
pub use curves::{Curves, KmGroup, LogRankOut, RmstRow};
pub use model::{CoxReport, PhReport};

/// Everything the survival stage found.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SurvivalReport {
    pub source: DurationSource,
    pub unit: &'static str,
    pub n: usize,
    pub events: usize,
    pub n_left_truncated: usize,
    pub conf_type: ConfType,
    pub horizons: Vec<f64>,
    pub tau: Option<f64>,
    /// `[survival] curves`: the drivers the report draws curves for (default:
    /// the recommended ones).
    pub curves: Option<Vec<String>>,
    /// The curves of the main grouping: everyone (`All accounts`), or the
    /// levels of `--group` in the generic form.
    pub kaplan_meier: KaplanMeierSection,
    pub logrank: Option<LogRankOut>,
    pub rmst: Vec<RmstRow>,
    /// Curves, tests and RMST per driver level.
    pub drivers: Vec<DriverSurvival>,
    pub cox: Option<CoxReport>,
    pub ph_test: Option<PhReport>,
    /// Plain-words warnings of the PH check, one per driver whose effect changes with tenure.
    pub ph_warnings: Vec<String>,
    /// Each driver's Cox verdict beside the logistic model's.
    pub comparison: Vec<VerdictComparison>,
    /// Median lifetime and survival at the first horizon, for the KPI feed.
    pub kpis: SurvivalKpis,
    pub notes: Vec<String>,
    /// The Cox fit as a predictor, for the renewals at risk (not in results.json).
    #[serde(skip)]
    pub predictor: Option<predict::CoxPredictor>,
}

/// `kaplan_meier.groups[]`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KaplanMeierSection {
    pub groups: Vec<KmGroup>,
}

/// One driver's curves.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DriverSurvival {
    pub driver: String,
    pub label: String,
    #[serde(flatten)]
    pub curves: Curves,
}

/// The survival KPIs of the feed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SurvivalKpis {
    pub median_lifetime: Option<f64>,
    pub median_lifetime_ci: (Option<f64>, Option<f64>),
    /// `horizon`, S(horizon) and its interval.
    pub survival_at: Option<(f64, f64, f64, f64)>,
}

/// Runs the stage; `None` when the study has no durations. `group` (the
/// generic form's `--group`) makes that driver's levels the main curves.
///
/// # Errors
/// [`Error::Analysis`] when the durations hold no event, and the errors of
/// the reference levels (a configured reference that is not in the data).
pub fn analyse(
    study: &Study,
    cfg: &StudyConfig,
    drivers: Option<&DriverReport>,
    group: Option<&str>,
) -> Result<Option<SurvivalReport>> {
    analyse_beside(study, cfg, drivers, group, |_| ()).map(|(s, _)| s)
}

/// [`analyse`], running `beside` on the fitted Cox model while the rest of
/// the stage (the LR refits, the PH test) runs; its result is `None` when
/// there is no Cox model.
///
/// # Errors
/// Those of [`analyse`].
pub fn analyse_beside<T: Send>(
    study: &Study,
    cfg: &StudyConfig,
    drivers: Option<&DriverReport>,
    group: Option<&str>,
    beside: impl FnOnce(&predict::CoxPredictor) -> T + Send,
) -> Result<(Option<SurvivalReport>, Option<T>)> {
    let Some(dur) = &study.durations else {
        return Ok((None, None));
    };
    let sc: &SurvivalConfig = &cfg.survival;
    let a = &study.accounts;
    let s = Subjects {
        entry: dur.entry.as_deref(),
        exit: &dur.exit,
        event: &dur.event,
    };
    let all: Vec<usize> = (0..dur.exit.len())
        .filter(|&i| dur.exit[i].is_finite())
        .collect();
    let events = all.iter().filter(|&&i| dur.event[i]).count();
    if events == 0 {
        return Err(Error::Analysis {
            analysis: "survival",
            message: format!(
                "none of the {} accounts with a duration churned, so there is no time to churn to analyse; check accounts.churned",
                all.len()
            ),
        });
    }
    let references = crate::drivers::model::references(&a.drivers)?;
    let mut notes = Vec::new();
    let strata: Option<(&str, Vec<u32>)> = sc.strata.as_deref().and_then(|col| {
        a.segments
            .iter()
            .find(|c| c.column == col)
            .map(|c| c.codes.clone())
            .or_else(|| {
                a.drivers
                    .iter()
                    .find(|d| d.config.column == col)
                    .and_then(|d| match &d.values {
                        crate::data::DriverValues::Categorical(c) => Some(c.codes.clone()),
                        _ => None,
                    })
            })
            .map(|codes| (col, codes))
    });
    crate::timing::mark("survival: start");
    let grid = TimeGrid::new(&s);
    let overall_km = grid.curve(|_| true, sc.conf_type);
    let (horizons, tau) = horizons_and_tau(sc, &overall_km, &mut notes);
    let params = curves::CurveParams {
        grid: &grid,
        settings: curves::CurveSettings {
            conf_type: sc.conf_type,
            horizons: &horizons,
            tau,
            correction: cfg.analysis.correction,
        },
        strata: strata.as_ref().map(|(_, c)| c.as_slice()),
    };
    let (skip, has_curves) = left_out(&a.drivers, sc, &mut notes);
    // Each driver's curves and tests are a sequential sweep: drivers side by side.
    let per_driver: Vec<DriverSurvival> = a
        .drivers
        .par_iter()
        .enumerate()
        .filter(|(k, _)| has_curves[*k])
        .map(|(k, d)| {
            let (labels, codes, reference) =
                curves::driver_groups(d, cfg.analysis.bins, references[k]);
            DriverSurvival {
                driver: d.config.column.clone(),
                label: d.config.display_label().to_string(),
                curves: curves::curves(&s, &labels, &codes, reference, &params),
            }
        })
        .collect();
    crate::timing::mark("survival: driver curves");
    let (groups, logrank, rmst) = match group {
        Some(g) => match per_driver.iter().find(|d| d.driver == g) {
            Some(d) => (
                d.curves.groups.clone(),
                d.curves.logrank.clone(),
                d.curves.rmst.clone(),
            ),
            None => (Vec::new(), None, Vec::new()),
        },
        None => {
            let one = vec![0u32; dur.exit.len()];
            let c = curves::curves(&s, &["All accounts".to_string()], &one, 0, &params);
            (c.groups, None, c.rmst)
        }
    };
    let model_skip = model_skip(&a.drivers, &skip, sc);
    let input = model::ModelInput {
        drivers: &a.drivers,
        durations: dur,
        references: &references,
        skip: &model_skip,
        strata: strata.as_ref().map(|(c, v)| (*c, v.as_slice())),
        ties: sc.ties,
        transform: sc.transform,
        alpha: cfg.analysis.alpha,
        correction: cfg.analysis.correction,
    };
    let (cox, ph, predictor, extra) = match model::fit_cox(&input, beside) {
        Some((c, p, f, x)) => (Some(c), p, Some(f), Some(x)),
        None => (None, None, None, None),
    };
    let ph_warnings =
        compare::ph_warnings(ph.as_ref(), cox.as_ref(), &a.drivers, cfg.analysis.alpha);
    let comparison = compare::compare(drivers, cox.as_ref(), &a.drivers);
    let kpis = SurvivalKpis::of(&overall_km, &horizons);
    let report = SurvivalReport {
        source: dur.source.clone(),
        unit: dur.unit.as_str(),
        n: all.len(),
        events,
        n_left_truncated: dur.n_left_truncated,
        conf_type: sc.conf_type,
        horizons,
        tau,
        curves: sc.curves.clone(),
        kaplan_meier: KaplanMeierSection { groups },
        logrank,
        rmst,
        drivers: per_driver,
        cox,
        ph_test: ph,
        ph_warnings,
        comparison,
        kpis,
        notes,
        predictor,
    };
    Ok((Some(report), extra))
}

impl SurvivalKpis {
    /// The feed's figures from the curve of everyone.
    pub fn of(overall: &KaplanMeier, horizons: &[f64]) -> Self {
        SurvivalKpis {
            median_lifetime: overall.median(),
            median_lifetime_ci: overall.median_ci(),
            survival_at: horizons
                .first()
                .copied()
                .and_then(|h| overall.at(h).map(|p| (h, p.survival, p.ci_low, p.ci_high))),
        }
    }
}

/// The horizons, and the restricted mean's τ (`[survival] tau`, else the
/// last horizon within the follow-up of `overall`), with a note when the
/// configured τ is beyond it.
pub(crate) fn horizons_and_tau(
    sc: &SurvivalConfig,
    overall: &KaplanMeier,
    notes: &mut Vec<String>,
) -> (Vec<f64>, Option<f64>) {
    let horizons = sc.horizons();
    let last = overall.table.last().map_or(0.0, |r| r.time);
    let tau = sc
        .tau
        .or_else(|| horizons.iter().copied().rfind(|h| *h <= last));
    if let Some(t) = sc.tau {
        if t > last {
            notes.push(format!(
                "tau = {t} is beyond the longest follow-up ({}), so no restricted mean is reported",
                crate::format::short(last)
            ));
        }
    }
    (horizons, tau)
}

/// Per driver: whether it stays out of the Cox model (constant, the time
/// axis, the stratum) and whether it gets curves (all but the constant and
/// the time axis), with a note for each one left out.
pub(crate) fn left_out<D: DriverInfo>(
    drivers: &[D],
    sc: &SurvivalConfig,
    notes: &mut Vec<String>,
) -> (Vec<bool>, Vec<bool>) {
    let is = |d: &D, c: &Option<String>| c.as_deref() == Some(d.config().column.as_str());
    // The tenure column is the time axis, and a stratum cannot also be a covariate.
    let skip: Vec<bool> = drivers
        .iter()
        .map(|d| d.constant() || is(d, &sc.tenure) || is(d, &sc.strata))
        .collect();
    for (d, _) in drivers.iter().zip(&skip).filter(|(_, s)| **s) {
        if d.constant() {
            notes.push(format!(
                "`{}` does not vary among the accounts, so it has no curves and is not in the Cox model",
                d.config().column
            ));
        } else if is(d, &sc.tenure) {
            notes.push(format!(
                "`{}` is the time axis of the survival analysis, so it is not one of its drivers",
                d.config().column
            ));
        }
    }
    let has_curves = drivers
        .iter()
        .zip(&skip)
        .map(|(d, &s)| !s || (!d.constant() && is(d, &sc.strata)))
        .collect();
    (skip, has_curves)
}

/// The drivers left out of the Cox model: those [`left_out`] skips, and
/// those outside `[survival] covariates` (they have curves, not terms).
pub(crate) fn model_skip<D: DriverInfo>(
    drivers: &[D],
    skip: &[bool],
    sc: &SurvivalConfig,
) -> Vec<bool> {
    drivers
        .iter()
        .zip(skip)
        .map(|(d, &s)| {
            s || sc
                .covariates
                .as_ref()
                .is_some_and(|c| !c.contains(&d.config().column))
        })
        .collect()
}
