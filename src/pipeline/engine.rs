//! The stages that run on a SQL engine so far: the data contract's checks
//! of the accounts and revenue tables, the Pareto stage, the driver stage
//! (the univariate screen, the multivariable model with its LR tests), the
//! KPI stage (the period KPIs with their control charts, the account KPIs,
//! the recommendation with its cohort charts, the feed) and the survival
//! stage (the curves, the Cox model and its PH check), each as aggregate
//! queries whose small answers the in-memory code ranks, tests, fits and
//! charts.

use crate::config::StudyConfig;
use crate::drivers::model::LogitParams;
use crate::engine::design::EngineDesign;
use crate::engine::{
    account_kpis, accounts, driver_kpis, durations, pareto, periods, renewals, revenue, summary,
    survival, univariate, Engine, EngineDrivers, EngineKpis, EngineRenewalKpis, EngineSummary,
    EngineSurvival, EngineUrl, EngineUse,
};
use crate::error::{Error, Result};
use crate::pareto::{tallied_pareto, ParetoReport};

/// Connects to the study's engine (`[engine] url`).
///
/// # Errors
/// [`Error::Config`] without one; the engine's own when it cannot be reached.
pub fn connect(cfg: &StudyConfig) -> Result<Engine> {
    let Some(e) = &cfg.engine else {
        return Err(Error::Config {
            path: cfg.source.clone(),
            message: "no [engine] url (or --engine) to run on".into(),
        });
    };
    let url = EngineUrl::parse(&e.url, "[engine] url")?.ok_or_else(|| Error::Config {
        path: cfg.source.clone(),
        message: "[engine] url is in-memory, but [accounts] names a table or query".into(),
    })?;
    Engine::connect(&url)
}

/// `churnlab validate` on an engine: the accounts and revenue tables'
/// checks, the durations' when the study has them, and the load summary
/// with its warnings (one more scan of the accounts, one of the revenue
/// table).
///
/// # Errors
/// The first broken rule, naming table, column, key and value.
pub fn validate(cfg: &StudyConfig) -> Result<EngineSummary> {
    let mut engine = connect(cfg)?;
    let summary = checked_summary(&mut engine, cfg)?.summary;
    Ok(EngineSummary {
        summary,
        usage: engine.usage(),
    })
}

/// The accounts checks and the revenue checks, each its own stage.
///
/// # Errors
/// As [`validate`].
fn accounts_and_revenue(
    engine: &mut Engine,
    cfg: &StudyConfig,
) -> Result<(accounts::EngineAccounts, Option<revenue::EngineRevenue>)> {
    engine.stage("accounts checks");
    let acc = accounts::check(engine, cfg)?;
    if cfg.revenue.is_some() {
        engine.stage("revenue checks");
    }
    let rev = revenue::check(engine, cfg, &acc)?;
    Ok((acc, rev))
}

/// Every table checked, and the load summary.
pub(super) struct Checked {
    pub summary: crate::data::LoadSummary,
    pub acc: accounts::EngineAccounts,
    pub rev: Option<revenue::EngineRevenue>,
    pub dur: Option<durations::EngineDurations>,
    pub ren: Option<renewals::EngineRenewals>,
}

/// The checks of every table and the load summary, with the checked
/// accounts, revenue, durations and renewals.
///
/// # Errors
/// As [`validate`].
pub(super) fn checked_summary(engine: &mut Engine, cfg: &StudyConfig) -> Result<Checked> {
    let (acc, rev) = accounts_and_revenue(engine, cfg)?;
    let dur = if acc.tenure.is_some() || (acc.start_date.is_some() && acc.end_date.is_some()) {
        engine.stage("durations checks");
        durations::check(engine, cfg, &acc, rev.as_ref())?
    } else {
        None
    };
    if renewals::on_engine(cfg) {
        engine.stage("renewals checks");
    }
    let ren = renewals::check(engine, cfg, &acc, rev.as_ref())?;
    engine.stage("summary");
    let mut summary = summary::load_summary(engine, cfg, &acc, rev.as_ref(), dur.as_ref())?;
    summary.renewals = ren.as_ref().map(renewals::EngineRenewals::summary);
    Ok(Checked {
        summary,
        acc,
        rev,
        dur,
        ren,
    })
}

/// The accounts checks, and both classes among the accounts (all of one
/// class is the outcome column's input error, as for a file).
///
/// # Errors
/// As [`validate`], and that one.
fn both_classes(engine: &mut Engine, cfg: &StudyConfig) -> Result<accounts::EngineAccounts> {
    engine.stage("accounts checks");
    let acc = accounts::check(engine, cfg)?;
    if let Some(message) = crate::data::one_class(acc.rows, acc.n_churned) {
        return Err(Error::TableColumn {
            table: acc.name.clone(),
            column: acc.outcome.clone(),
            message,
        });
    }
    Ok(acc)
}

/// `churnlab pareto` on an engine: the checks, then one pass for every
/// tally; `None` without a reason column.
///
/// # Errors
/// As [`validate`], and the Pareto stage's own.
pub fn pareto(cfg: &StudyConfig) -> Result<Option<(ParetoReport, EngineUse)>> {
    let mut engine = connect(cfg)?;
    engine.stage("accounts checks");
    let acc = accounts::check(&mut engine, cfg)?;
    Ok(pareto_on(&mut engine, cfg, &acc)?.map(|r| (r, engine.usage())))
}

/// The Pareto stage on the checked accounts `acc`: one pass for every
/// tally; `None` without a reason column.
///
/// # Errors
/// No churned account, and the stage's own.
pub(super) fn pareto_on(
    engine: &mut Engine,
    cfg: &StudyConfig,
    acc: &accounts::EngineAccounts,
) -> Result<Option<ParetoReport>> {
    if acc.n_churned == 0 {
        return Err(Error::Analysis {
            analysis: "pareto",
            message: format!(
                "{} has no churned accounts, so there are no cancellation reasons to rank",
                acc.name
            ),
        });
    }
    engine.stage("pareto");
    let Some(t) = pareto::tallies(engine, cfg, acc)? else {
        return Ok(None);
    };
    let a = &cfg.accounts;
    tallied_pareto(
        a.reason.as_deref().unwrap_or_default(),
        a.revenue.as_deref(),
        &t.overall,
        &t.segments,
        &cfg.pareto,
    )
    .map(Some)
}

/// `churnlab drivers` on an engine: the checks, then the univariate
/// screen (one scan), the multivariable model and every driver's LR test,
/// and the report the in-memory path makes of them.
///
/// # Errors
/// As [`validate`]; all accounts of one class is the outcome column's
/// input error, as for a file; an outcome model (`[analysis] outcome`),
/// which does not run on an engine; and the model's own (no complete
/// case, a reference level not in the data).
pub fn drivers(cfg: &StudyConfig) -> Result<EngineDrivers> {
    if let Some(o) = &cfg.analysis.outcome {
        return Err(Error::Config {
            path: cfg.source.clone(),
            message: format!("[analysis] outcome = \"{o}\": the OLS outcome model does not run on an engine; leave it out, or run the study from files"),
        });
    }
    let mut engine = connect(cfg)?;
    let acc = both_classes(&mut engine, cfg)?;
    Ok(EngineDrivers {
        table: acc.name.clone(),
        report: driver_report(&mut engine, &acc, cfg)?,
        usage: engine.usage(),
    })
}

/// The driver report of the checked accounts `acc`: the univariate screen
/// (one scan), the model and its LR tests.
///
/// # Errors
/// The model's own, and the engine's.
pub(super) fn driver_report(
    engine: &mut Engine,
    acc: &accounts::EngineAccounts,
    cfg: &StudyConfig,
) -> Result<crate::drivers::DriverReport> {
    let references = crate::drivers::model::references(&acc.drivers)?;
    engine.stage("univariate screen");
    let univariate = univariate::screen(engine, acc, &references, cfg.analysis.bins)?;
    let skip: Vec<bool> = acc.drivers.iter().map(|d| d.constant).collect();
    let params = LogitParams {
        references: &references,
        skip: &skip,
    };
    engine.stage("model and LR tests");
    let (design, terms) = EngineDesign::build(engine, acc, &skip, &references)?;
    let n_dropped = acc
        .rows
        .saturating_sub(crate::stats::logit::Rows::n(&design));
    let fitted = params.fit_rows(&design, terms, &acc.drivers, n_dropped)?;
    drop(design);
    Ok(crate::drivers::report(
        &acc.drivers,
        univariate,
        fitted,
        None,
        &cfg.analysis,
    ))
}

/// `churnlab kpis` on an engine, as from files: the checks, one pass over
/// the revenue table for every period comparison (the KPIs and the control
/// charts of the monthly ones are made from those counts), one over the
/// accounts table for the account KPIs and the owners' books; then the
/// driver report and, from it, the recommendation, its drivers' cohort
/// charts and the feed (three scans). A driver stage that cannot run (all
/// accounts of one class, no complete case) leaves the recommendation out
/// with a note, as in memory.
///
/// # Errors
/// As [`validate`], and the engine's own.
pub fn kpis(cfg: &StudyConfig) -> Result<EngineKpis> {
    let mut engine = connect(cfg)?;
    let (acc, rev) = accounts_and_revenue(&mut engine, cfg)?;
    let base = base_kpis(&mut engine, cfg, &acc, rev.as_ref())?;
    let report = match with_drivers(&mut engine, cfg, &acc) {
        Ok(r) => complete_kpis(&mut engine, cfg, &acc, base, Some(&r))?,
        Err(e @ Error::Engine { .. }) => return Err(e),
        Err(e) => {
            let mut k = complete_kpis(&mut engine, cfg, &acc, base, None)?;
            k.notes
                .push(format!("Effectiveness-KPI recommendation skipped: {e}"));
            k
        }
    };
    Ok(EngineKpis {
        table: acc.name.clone(),
        revenue: rev.map(|r| r.name),
        report,
        usage: engine.usage(),
    })
}

/// Why `renewals` on an engine config cannot run without the renewals table there.
pub const RENEWALS_TABLE_NEEDED: &str = "`renewals` on an engine needs the renewals table there ([renewals] `table` or `query`); renewals from a file or derived from start dates and revenue need the study run from files";

/// `renewals --table kpis` on an engine: the accounts, revenue and
/// renewals checks, then the renewal KPIs in one more scan.
///
/// # Errors
/// A config error when `[renewals]` has no table or query on the engine;
/// as [`validate`]; the engine's own.
pub fn renewal_kpis(cfg: &StudyConfig) -> Result<EngineRenewalKpis> {
    let needed = || Error::Config {
        path: cfg.source.clone(),
        message: RENEWALS_TABLE_NEEDED.into(),
    };
    if !renewals::on_engine(cfg) {
        return Err(needed());
    }
    let mut engine = connect(cfg)?;
    let (acc, rev) = accounts_and_revenue(&mut engine, cfg)?;
    engine.stage("renewals checks");
    let ren = renewals::check(&mut engine, cfg, &acc, rev.as_ref())?.ok_or_else(needed)?;
    engine.stage("renewal KPIs");
    let report = renewals::analyse(&mut engine, &acc, &ren)?;
    Ok(EngineRenewalKpis {
        table: acc.name,
        report,
        usage: engine.usage(),
    })
}

/// The driver report, when the accounts have both classes.
pub(super) fn with_drivers(
    engine: &mut Engine,
    cfg: &StudyConfig,
    acc: &accounts::EngineAccounts,
) -> Result<crate::drivers::DriverReport> {
    if let Some(message) = crate::data::one_class(acc.rows, acc.n_churned) {
        return Err(Error::TableColumn {
            table: acc.name.clone(),
            column: acc.outcome.clone(),
            message,
        });
    }
    driver_report(engine, acc, cfg)
}

/// The KPIs that need no driver statistics: one pass over the revenue
/// table for the periods, one over the accounts for the account KPIs.
pub(super) fn base_kpis(
    engine: &mut Engine,
    cfg: &StudyConfig,
    acc: &accounts::EngineAccounts,
    rev: Option<&revenue::EngineRevenue>,
) -> Result<crate::kpis::BaseKpis> {
    let periods = match (&cfg.revenue, rev) {
        (Some(rc), Some(rev)) => {
            engine.stage("period KPIs");
            Some(periods::period_kpis(engine, rc, rev)?)
        }
        _ => None,
    };
    engine.stage("account KPIs");
    let (groups, efficiency) = account_kpis::account_kpis(engine, cfg, acc)?;
    Ok(crate::kpis::BaseKpis::of_parts(periods, groups, efficiency))
}

/// The KPI report from `base` and, with the driver report, the
/// recommendation, cohorts and values on the engine.
pub(super) fn complete_kpis(
    engine: &mut Engine,
    cfg: &StudyConfig,
    acc: &accounts::EngineAccounts,
    base: crate::kpis::BaseKpis,
    drivers: Option<&crate::drivers::DriverReport>,
) -> Result<crate::kpis::KpiReport> {
    let parts = match drivers {
        Some(r) => {
            engine.stage("recommendation and cohorts");
            let weight = cfg
                .accounts
                .revenue
                .as_deref()
                .map(|c| acc.number_sql(engine.dialect(), c));
            Some(driver_kpis::driver_kpis(
                engine,
                acc,
                r,
                &cfg.kpis,
                weight.as_deref(),
                base.revenue_window(),
            )?)
        }
        None => None,
    };
    Ok(crate::kpis::finish(base, parts, cfg))
}

/// What the survival report on an engine leaves out.
pub const ENGINE_SURVIVAL: &str = "On an engine the survival stage gives the Kaplan-Meier curves, the log-rank tests, the restricted means, the Cox model with its LR, Wald and score tests and its proportional-hazards check (tied events ranked by account id, as a table has no row order) and its verdicts beside the logistic model's; the model's concordance (a sort of every account's risk, not a sum) needs the study run from files for now.";

/// `churnlab survival` on an engine: the checks (the durations' too), the
/// drivers' values (one scan, for the number drivers' groups) and one scan
/// counting every grouping's exits, events and entries per time, from
/// which the curves, the log-rank tests and the restricted means are made
/// as in memory; the Cox model and its PH check; and the driver report,
/// whose verdicts the comparison sets beside the Cox model's.
///
/// # Errors
/// As [`validate`]; a study without durations, or with `[survival]
/// strata` (not on an engine yet), is a config error; no churn among the
/// accounts with a duration is the stage's own.
pub fn survival(cfg: &StudyConfig) -> Result<EngineSurvival> {
    let config_error = |message: String| Error::Config {
        path: cfg.source.clone(),
        message,
    };
    no_strata(cfg)?;
    let mut engine = connect(cfg)?;
    let acc = both_classes(&mut engine, cfg)?;
    if cfg.revenue.is_some() {
        engine.stage("revenue checks");
    }
    let rev = revenue::check(&mut engine, cfg, &acc)?;
    engine.stage("durations checks");
    let Some(dur) = durations::check(&mut engine, cfg, &acc, rev.as_ref())? else {
        return Err(config_error(crate::results::SURVIVAL_SKIPPED.into()));
    };
    // The logistic model's verdicts go beside the Cox model's, as in memory.
    let logit = driver_report(&mut engine, &acc, cfg)?;
    let report = survival_on(&mut engine, cfg, &acc, &dur, &logit)?;
    Ok(EngineSurvival {
        table: acc.name.clone(),
        report,
        n_before_window: dur.n_before,
        usage: engine.usage(),
    })
}

/// `[survival] strata`, which does not run on an engine yet, as a config
/// error.
pub(super) fn no_strata(cfg: &StudyConfig) -> Result<()> {
    match &cfg.survival.strata {
        Some(s) => Err(Error::Config {
            path: cfg.source.clone(),
            message: format!("[survival] strata = \"{s}\": the stratified survival analysis does not run on an engine yet; leave it out, or run the study from files"),
        }),
        None => Ok(()),
    }
}

/// The survival stage on the checked accounts `acc` with durations `dur`:
/// the drivers' values, the curves' scan, the Cox model and its PH check,
/// and the report with the verdicts of the driver report `logit` beside
/// the Cox model's.
///
/// # Errors
/// No churn among the accounts with a duration, and the engine's own.
pub(super) fn survival_on(
    engine: &mut Engine,
    cfg: &StudyConfig,
    acc: &accounts::EngineAccounts,
    dur: &durations::EngineDurations,
    logit: &crate::drivers::DriverReport,
) -> Result<crate::survival::SurvivalReport> {
    let references = crate::drivers::model::references(&acc.drivers)?;
    let (skip, has_curves) =
        crate::survival::left_out(&acc.drivers, &cfg.survival, &mut Vec::new());
    let number = |d: &crate::engine::drivers::EngineDriver| {
        !matches!(d.read, crate::engine::drivers::Read::Levels { .. })
            && d.config.kind != crate::config::DriverKind::Binary
    };
    let values = if acc
        .drivers
        .iter()
        .zip(&has_curves)
        .any(|(d, &h)| h && number(d))
    {
        engine.stage("driver values");
        univariate::tallies(engine, acc)?
    } else {
        Vec::new()
    };
    engine.stage("survival curves");
    let counted = survival::count(
        engine,
        acc,
        dur,
        &values,
        &references,
        &has_curves,
        cfg.analysis.bins,
    )?;
    engine.stage("Cox model and LR tests");
    let model_skip = crate::survival::model_skip(&acc.drivers, &skip, &cfg.survival);
    let n_durations = counted.overall.exits.iter().map(|&x| x as usize).sum();
    let cox = cox_model(engine, acc, dur, &model_skip, &references, cfg, n_durations)?;
    let source = crate::survival::counted::CountedSource {
        source: dur.source.clone(),
        unit: dur.unit.as_str(),
        n_left_truncated: dur.n_left_truncated,
    };
    crate::survival::counted::report(
        &acc.drivers,
        Some(logit),
        &counted,
        source,
        cox.map_or((None, None), |(c, ph)| (Some(c), ph)),
        cfg,
        ENGINE_SURVIVAL,
    )
}

/// The Cox model on the engine, and its proportional-hazards check: one
/// scan for the sample's moments, one per pass at β of the fit (Firth's too
/// if a term runs away, its gradient passes in one scan per step), the null
/// and score passes, one per round of all the drivers' LR refits together,
/// and two for the check; `None` when no term is left or the fit fails, as
/// in memory.
///
/// # Errors
/// The engine's own.
fn cox_model(
    engine: &mut Engine,
    acc: &accounts::EngineAccounts,
    dur: &durations::EngineDurations,
    skip: &[bool],
    references: &[usize],
    cfg: &StudyConfig,
    n_durations: usize,
) -> Result<
    Option<(
        crate::survival::CoxReport,
        Option<crate::survival::PhReport>,
    )>,
> {
    use crate::survival::model::{driver_tests, fit_core, Sample};
    let Some(cd) = crate::engine::cox::design(engine, acc, dur, skip, references)? else {
        return Ok(None);
    };
    let terms: Vec<&crate::drivers::design::Term> = cd.terms.iter().collect();
    let core = fit_core(
        &cd.rows,
        &terms,
        &cd.variances,
        &acc.drivers,
        cfg.survival.ties,
    );
    cd.rows.failed()?;
    let Some(core) = core else {
        return Ok(None);
    };
    let a = &cfg.analysis;
    let tests = driver_tests(
        &cd.rows,
        &core,
        &terms,
        &acc.drivers,
        (a.correction, a.alpha),
    );
    cd.rows.failed()?;
    let sample = Sample {
        n: cd.n,
        events: cd.events,
        n_dropped: n_durations.saturating_sub(cd.n),
        strata: None,
    };
    let ph = cd.rows.ph(&core.fit, cfg.survival.transform)?;
    let ph = ph.map(|t| crate::survival::PhReport::of(&t, &terms));
    Ok(Some((core.report(sample, tests, cd.dropped, None), ph)))
}
