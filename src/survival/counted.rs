//! The survival stage's curves from counts made elsewhere (an engine's
//! query): every grouping's exits, events and entries per time on one grid
//! give the same Kaplan–Meier curves, log-rank tests, pairwise tests and
//! restricted means as the in-memory path, through the same code
//! ([`curves::of_tally`]), beside the Cox model fitted on the engine's
//! per-time sums.

use super::{
    compare, curves, horizons_and_tau, left_out, DriverSurvival, KaplanMeierSection, SurvivalKpis,
    SurvivalReport,
};
use crate::config::StudyConfig;
use crate::data::durations::DurationSource;
use crate::drivers::design::DriverInfo;
use crate::error::{Error, Result};
use crate::stats::survival::grid::Tally;
use crate::stats::survival::km::curves_on;
use crate::survival::{CoxReport, PhReport};

/// One grouping's counts: its labels, the level RMST differences are
/// taken against, and its tally on the grid.
#[derive(Debug, Clone)]
pub struct CountedGroups {
    pub labels: Vec<String>,
    pub reference: usize,
    pub tally: Tally,
}

/// The counts of a study's durations: the grid of distinct exit times,
/// everyone's tally, and per driver its groups' (`None` for a driver
/// without curves).
#[derive(Debug, Clone)]
pub struct Counted {
    pub times: Vec<f64>,
    pub overall: Tally,
    pub drivers: Vec<Option<CountedGroups>>,
}

/// Where the durations came from, as the report says it.
#[derive(Debug, Clone)]
pub struct CountedSource {
    pub source: DurationSource,
    pub unit: &'static str,
    pub n_left_truncated: usize,
}

/// The survival report of the curves and the Cox model fitted elsewhere
/// (`note` says what the report leaves out).
///
/// # Errors
/// [`Error::Analysis`] when no account with a duration churned.
pub fn report<D: DriverInfo>(
    drivers: &[D],
    logit: Option<&crate::drivers::DriverReport>,
    counted: &Counted,
    source: CountedSource,
    (cox, ph): (Option<CoxReport>, Option<PhReport>),
    cfg: &StudyConfig,
    note: &str,
) -> Result<SurvivalReport> {
    let sc = &cfg.survival;
    let n: usize = counted.overall.exits.iter().map(|&x| x as usize).sum();
    let events: usize = counted.overall.events.iter().map(|&x| x as usize).sum();
    if events == 0 {
        return Err(Error::Analysis {
            analysis: "survival",
            message: format!(
                "none of the {n} accounts with a duration churned, so there is no time to churn to analyse; check accounts.churned"
            ),
        });
    }
    let mut notes = Vec::new();
    let overall = curves_on(&counted.times, &counted.overall, sc.conf_type)
        .pop()
        .unwrap_or_else(|| crate::stats::survival::km::empty(sc.conf_type));
    let (horizons, tau) = horizons_and_tau(sc, &overall, &mut notes);
    let settings = curves::CurveSettings {
        conf_type: sc.conf_type,
        horizons: &horizons,
        tau,
        correction: cfg.analysis.correction,
    };
    let (_, has_curves) = left_out(drivers, sc, &mut notes);
    let per_driver = drivers
        .iter()
        .zip(&counted.drivers)
        .zip(has_curves)
        .filter_map(|((d, g), has)| {
            let g = g.as_ref().filter(|_| has)?;
            Some(DriverSurvival {
                driver: d.config().column.clone(),
                label: d.config().display_label().to_string(),
                curves: curves::of_tally(
                    &counted.times,
                    &g.tally,
                    &g.labels,
                    g.reference,
                    &settings,
                    None,
                ),
            })
        })
        .collect();
    let main = curves::of_tally(
        &counted.times,
        &counted.overall,
        &["All accounts".to_string()],
        0,
        &settings,
        None,
    );
    notes.push(note.to_string());
    let comparison = compare::compare(logit, cox.as_ref(), drivers);
    let ph_warnings = compare::ph_warnings(ph.as_ref(), cox.as_ref(), drivers, cfg.analysis.alpha);
    Ok(SurvivalReport {
        source: source.source,
        unit: source.unit,
        n,
        events,
        n_left_truncated: source.n_left_truncated,
        conf_type: sc.conf_type,
        kpis: SurvivalKpis::of(&overall, &horizons),
        horizons,
        tau,
        curves: sc.curves.clone(),
        kaplan_meier: KaplanMeierSection {
            groups: main.groups,
        },
        logrank: None,
        rmst: main.rmst,
        drivers: per_driver,
        cox,
        ph_test: ph,
        ph_warnings,
        comparison,
        notes,
        predictor: None,
    })
}
