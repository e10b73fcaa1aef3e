//! Runs the stages of a study in order (load → validate → analyses → report)
//! and writes the outputs into a temporary folder that is renamed into place
//! only when every stage succeeded.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::StudyConfig;
use crate::data::{load_study, LoadSummary};
use crate::error::{Error, Result};
use crate::output::write_atomic;
use crate::pareto::Measure;
use crate::report::charts::forest::ForestChart;
use crate::report::charts::pareto::ParetoChart;
use crate::report::charts::write_chart;

/// Options of one run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Output folder; default from the config.
    pub out: Option<PathBuf>,
    /// Replace an existing output folder.
    pub force: bool,
}

/// The full result model of a run: the single source every renderer reads.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub churnlab_version: &'static str,
    pub study: String,
    /// The only field that differs between two runs on the same input.
    pub generated_at: String,
    pub data: LoadSummary,
    /// Cancellation reasons ranked by frequency and revenue; absent without a reason column.
    pub pareto: Option<crate::pareto::ParetoReport>,
    /// Driver statistics: univariate screening, the logistic model, LR tests.
    pub drivers: crate::drivers::DriverReport,
    /// Retention KPIs, account and efficiency KPIs, the recommendation, the feed.
    pub kpis: crate::kpis::KpiReport,
    /// Stages skipped and why.
    pub notes: Vec<String>,
}

/// Runs a whole study and returns the output folder.
///
/// # Errors
/// Any load or validation error (nothing is written then), an existing output
/// folder without `force`, or an I/O failure while writing.
pub fn run(cfg: &StudyConfig, opts: &RunOptions) -> Result<(PathBuf, Results)> {
    let out = opts.out.clone().unwrap_or_else(|| cfg.output_dir());
    if out.exists() && !opts.force {
        return Err(Error::OutputExists { path: out });
    }
    let study = load_study(cfg)?;
    let mut notes = Vec::new();
    let pareto = crate::pareto::study_pareto(&study.accounts, &cfg.pareto)?;
    if pareto.is_none() {
        notes.push("Pareto of reasons skipped: no accounts.reason column in the config".into());
    }
    let drivers = crate::drivers::analyse(&study.accounts, &cfg.analysis)?;
    let kpis = crate::kpis::analyse(&study, Some(&drivers), cfg);
    let results = Results {
        churnlab_version: env!("CARGO_PKG_VERSION"),
        study: study.name.clone(),
        generated_at: now_utc(),
        data: LoadSummary::of(&study),
        pareto,
        drivers,
        kpis,
        notes,
    };
    let staging = staging_dir(&out)?;
    let written = write_outputs(&staging, &results);
    if let Err(e) = written {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    promote(&staging, &out)?;
    Ok((out, results))
}

fn write_outputs(dir: &Path, results: &Results) -> Result<()> {
    write_atomic(
        &dir.join("results.json"),
        (serde_json::to_string_pretty(results)? + "\n").as_bytes(),
    )?;
    let charts = dir.join("charts");
    let d = &results.drivers;
    for (name, text) in [
        ("drivers_univariate.csv", crate::report::csv::univariate(d)),
        (
            "drivers_churn_rates.csv",
            crate::report::csv::churn_rates(d),
        ),
        ("drivers_model.csv", crate::report::csv::coefficients(d)),
        ("drivers_tests.csv", crate::report::csv::driver_tests(d)),
    ] {
        write_atomic(&dir.join(name), text.as_bytes())?;
    }
    let k = &results.kpis;
    write_atomic(
        &dir.join("kpis.json"),
        (serde_json::to_string_pretty(&crate::kpis::FeedDoc::of(&results.study, k, None))? + "\n")
            .as_bytes(),
    )?;
    write_atomic(
        &dir.join("kpis.csv"),
        crate::report::csv::kpi_feed(&k.feed).as_bytes(),
    )?;
    write_atomic(
        &dir.join("kpis_accounts.csv"),
        crate::report::csv::kpi_accounts(&k.accounts).as_bytes(),
    )?;
    if let Some(rec) = &k.recommendation {
        write_atomic(
            &dir.join("kpis_recommendation.csv"),
            crate::report::csv::kpi_recommendation(rec).as_bytes(),
        )?;
    }
    if let Some(e) = &k.efficiency {
        write_atomic(
            &dir.join("kpis_owners.csv"),
            crate::report::csv::kpi_owners(e).as_bytes(),
        )?;
        let chart = crate::report::charts::funnel::FunnelChart::of(e, &results.study);
        write_chart(
            &chart,
            &charts,
            crate::report::charts::funnel::FunnelChart::STEM,
        )?;
    }
    for c in &k.control {
        let plot =
            crate::report::charts::control::ControlPlot::new(&c.chart, &c.title, &results.study);
        write_chart(&plot, &charts, &c.stem)?;
    }
    if let Some(m) = &d.model {
        let chart = ForestChart::of(m, &results.study);
        write_chart(&chart, &charts, ForestChart::STEM)?;
    }
    if let Some(p) = &results.pareto {
        let lost = format!(
            "Lost revenue ({})",
            p.revenue_column.clone().unwrap_or_default()
        );
        for m in [Measure::Frequency, Measure::Revenue] {
            if let Some(chart) = ParetoChart::of(&p.overall, m, &results.study, &lost) {
                write_chart(&chart, &charts, ParetoChart::stem(m))?;
            }
        }
        write_atomic(
            &dir.join("pareto.csv"),
            crate::report::csv::pareto(&p.overall, &[Measure::Frequency, Measure::Revenue])
                .as_bytes(),
        )?;
    }
    Ok(())
}

/// A fresh hidden folder beside `out`, on the same file system so rename works.
fn staging_dir(out: &Path) -> Result<PathBuf> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| Error::io(parent, "cannot create folder", e))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    let staging = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if staging.exists() {
        let _ = fs::remove_dir_all(&staging);
    }
    fs::create_dir(&staging).map_err(|e| Error::io(&staging, "cannot create folder", e))?;
    Ok(staging)
}

/// Moves the finished staging folder to `out`, replacing an old one only
/// after the new one is complete.
fn promote(staging: &Path, out: &Path) -> Result<()> {
    if out.exists() {
        let old = staging.with_extension("old");
        fs::rename(out, &old).map_err(|e| Error::io(out, "cannot move old output aside", e))?;
        fs::rename(staging, out).map_err(|e| Error::io(out, "cannot move output into place", e))?;
        let _ = fs::remove_dir_all(&old);
    } else {
        fs::rename(staging, out).map_err(|e| Error::io(out, "cannot move output into place", e))?;
    }
    Ok(())
}

/// Current UTC time, RFC 3339, to the second.
fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}
