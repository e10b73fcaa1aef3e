//! `churnlab run` on an engine: the whole study as aggregate passes where
//! the tables live (the checks and the load summary, the Pareto stage, the
//! driver report, the KPI stage, the survival stage, the renewal KPIs),
//! then the same results, charts, report and KPI feed as a run from files,
//! written the same way ([`super::write_run`]). The renewals at risk need
//! files for now: the run has the renewal KPIs without them, and the
//! report's notes say so.

use super::engine::{
    base_kpis, checked_summary, complete_kpis, connect, no_strata, pareto_on, survival_on,
    with_drivers,
};
use super::{free_output, write_run, RunOptions, RunOutcome, STAGES};
use crate::config::StudyConfig;
use crate::error::{Error, Result};
use crate::results::{now_utc, Results, PARETO_SKIPPED, SURVIVAL_SKIPPED};

/// What a run on an engine leaves out of the renewals stage.
pub const AT_RISK_ON_ENGINE: &str = "The renewals at risk do not run on an engine yet: their ranking, levers and backtest need the study run from files; this run has the renewal KPIs without them.";

/// Why a run on an engine has no renewals stage when the study has `[renewals]`
/// without a table there.
pub const RENEWALS_NOT_ON_ENGINE: &str = "The renewals stage needs its table on the engine (`[renewals] table` or `query`); renewals from a file or derived from start dates and revenue need the study run from files; this run leaves them out.";

/// Runs a whole study on its engine. `stage` is called with each stage's
/// name as it starts, as [`super::run`] does.
///
/// # Errors
/// As [`super::run`]; also a config the engine cannot run (the OLS
/// outcome model, `[survival] strata`), and the engine's own.
pub fn run(
    cfg: &StudyConfig,
    opts: &RunOptions,
    stage: &mut dyn FnMut(&str),
) -> Result<RunOutcome> {
    let out = free_output(cfg, opts)?;
    if let Some(o) = &cfg.analysis.outcome {
        return Err(Error::Config {
            path: cfg.source.clone(),
            message: format!("[analysis] outcome = \"{o}\": the OLS outcome model does not run on an engine; leave it out, or run the study from files"),
        });
    }
    no_strata(cfg)?;
    stage(STAGES[0]);
    let mut engine = connect(cfg)?;
    let super::engine::Checked {
        summary: data,
        acc,
        rev,
        dur,
        ren,
    } = checked_summary(&mut engine, cfg)?;
    stage(STAGES[1]);
    let mut notes = Vec::new();
    // Both classes first: the driver stage needs them, and a run from
    // files stops there too.
    let drivers = with_drivers(&mut engine, cfg, &acc)?;
    let pareto = pareto_on(&mut engine, cfg, &acc)?;
    if pareto.is_none() {
        notes.push(PARETO_SKIPPED.into());
    }
    stage(STAGES[2]);
    let base = base_kpis(&mut engine, cfg, &acc, rev.as_ref())?;
    let mut kpis = complete_kpis(&mut engine, cfg, &acc, base, Some(&drivers))?;
    let survival = match &dur {
        Some(d) => Some(survival_on(&mut engine, cfg, &acc, d, &drivers)?),
        None => None,
    };
    match &survival {
        Some(s) => crate::kpis::feed::add_survival(&mut kpis, s),
        None => notes.push(SURVIVAL_SKIPPED.into()),
    }
    let renewals = match &ren {
        Some(r) => {
            engine.stage("renewal KPIs");
            let report = crate::engine::renewals::analyse(&mut engine, &acc, r)?;
            crate::kpis::renewal_feed::add_renewals(&mut kpis, &report);
            notes.push(AT_RISK_ON_ENGINE.into());
            Some(report)
        }
        None if cfg.renewals.is_some() => {
            notes.push(RENEWALS_NOT_ON_ENGINE.into());
            None
        }
        None => None,
    };
    let results = Results {
        churnlab_version: env!("CARGO_PKG_VERSION"),
        study: cfg.name(),
        currency: cfg.study.currency.clone(),
        generated_at: now_utc(),
        data,
        pareto,
        drivers,
        kpis,
        survival,
        renewals,
        forward: None,
        slide: cfg.kpis.slide.clone(),
        notes,
    };
    let usage = engine.usage();
    drop(engine);
    let mut outcome = write_run(results, out, opts, stage)?;
    outcome.usage = Some(usage);
    Ok(outcome)
}
