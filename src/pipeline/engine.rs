//! The stages that run on a SQL engine so far: the data contract's checks
//! of the accounts table, the Pareto stage and the multivariable model
//! with its LR tests, each as aggregate queries whose small answers the
//! in-memory code ranks and fits.

use crate::config::StudyConfig;
use crate::drivers::model::LogitParams;
use crate::engine::design::EngineDesign;
use crate::engine::drivers::EngineDriver;
use crate::engine::{
    accounts, pareto, revenue, Engine, EngineLrTest, EngineModel, EngineSummary, EngineUrl,
    EngineUse,
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

fn usage(engine: &Engine) -> EngineUse {
    EngineUse {
        engine: engine.target().to_string(),
        queries: engine.queries,
        scans: engine.scans.clone(),
    }
}

/// `churnlab validate` on an engine: the accounts and revenue tables' checks.
///
/// # Errors
/// The first broken rule, naming table, column, key and value.
pub fn validate(cfg: &StudyConfig) -> Result<EngineSummary> {
    let mut engine = connect(cfg)?;
    let acc = accounts::check(&mut engine, cfg)?;
    let rev = revenue::check(&mut engine, cfg, &acc)?;
    Ok(EngineSummary {
        revenue: rev.map(|r| (r.name, r.rows, r.months)),
        table: acc.name.clone(),
        rows: acc.rows,
        churned: acc.n_churned,
        segments: acc
            .segments
            .iter()
            .map(|(c, l)| (c.clone(), l.len()))
            .collect(),
        usage: usage(&engine),
    })
}

/// `churnlab pareto` on an engine: the checks, then one pass for every
/// tally; `None` without a reason column.
///
/// # Errors
/// As [`validate`], and the Pareto stage's own.
pub fn pareto(cfg: &StudyConfig) -> Result<Option<(ParetoReport, EngineUse)>> {
    let mut engine = connect(cfg)?;
    let acc = accounts::check(&mut engine, cfg)?;
    if acc.n_churned == 0 {
        return Err(Error::Analysis {
            analysis: "pareto",
            message: format!(
                "{} has no churned accounts, so there are no cancellation reasons to rank",
                acc.name
            ),
        });
    }
    let Some(t) = pareto::tallies(&mut engine, cfg, &acc)? else {
        return Ok(None);
    };
    let a = &cfg.accounts;
    let report = tallied_pareto(
        a.reason.as_deref().unwrap_or_default(),
        a.revenue.as_deref(),
        &t.overall,
        &t.segments,
        &cfg.pareto,
    )?;
    Ok(Some((report, usage(&engine))))
}

/// `churnlab drivers` on an engine: the checks, then the multivariable
/// model and every driver's LR test; `None` when no driver has a usable
/// term.
///
/// # Errors
/// As [`validate`]; all accounts of one class is the outcome column's
/// input error, as for a file; and the model's own (no complete case).
pub fn model(cfg: &StudyConfig) -> Result<Option<EngineModel>> {
    let mut engine = connect(cfg)?;
    let acc = accounts::check(&mut engine, cfg)?;
    if let Some(message) = crate::data::one_class(acc.rows, acc.n_churned) {
        return Err(Error::TableColumn {
            table: acc.name.clone(),
            column: acc.outcome.clone(),
            message,
        });
    }
    let skip: Vec<bool> = acc.drivers.iter().map(|d| d.constant).collect();
    let references: Vec<usize> = acc.drivers.iter().map(EngineDriver::reference).collect();
    let params = LogitParams {
        references: &references,
        skip: &skip,
    };
    let (design, terms) = EngineDesign::build(&mut engine, &acc, &skip)?;
    let n_dropped = acc
        .rows
        .saturating_sub(crate::stats::logit::Rows::n(&design));
    let fitted = params.fit_rows(&design, terms, &acc.drivers, n_dropped)?;
    drop(design);
    Ok(fitted.map(|f| EngineModel {
        table: acc.name.clone(),
        lr_tests: acc
            .drivers
            .iter()
            .zip(&f.lr)
            .filter_map(|(d, t)| {
                t.map(|t| EngineLrTest {
                    driver: d.config.column.clone(),
                    statistic: t.statistic,
                    df: t.df,
                    p_value: t.p_value,
                })
            })
            .collect(),
        model: f.model,
        usage: usage(&engine),
    }))
}
