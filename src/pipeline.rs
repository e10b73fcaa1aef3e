//! Runs the stages of a study in order (load → validate → analyses → report)
//! and writes the outputs into a temporary folder that is renamed into place
//! only when every stage succeeded.

use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::config::StudyConfig;
use crate::data::{load_study, LoadSummary};
use crate::error::{Error, Result};
use crate::kpidb::KpiDb;
use crate::output::write_atomic;
use crate::pareto::Measure;
use crate::report::charts::control::ControlPlot;
use crate::report::charts::forest::ForestChart;
use crate::report::charts::funnel::FunnelChart;
use crate::report::charts::pareto::ParetoChart;
use crate::report::charts::{to_png, to_svg, Chart};
use crate::report::csv;
use crate::report::html::RenderedChart;
use crate::report::summary::Summary;

/// Options of one run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Output folder; default from the config.
    pub out: Option<PathBuf>,
    /// Replace an existing output folder.
    pub force: bool,
    /// Where the KPI feed table goes: `None` = no database, else SQLite or
    /// PostgreSQL. [`default_kpi_db`] gives the usual `reports/kpis.sqlite`.
    pub kpi_db: Option<KpiDb>,
}

/// The stages of a run, in order, for progress reporting.
pub const STAGES: [&str; 6] = [
    "load and validate",
    "pareto and drivers",
    "kpis and control charts",
    "charts",
    "report",
    "kpi database",
];

/// The full result model of a run: the single source every renderer reads.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub churnlab_version: &'static str,
    pub study: String,
    /// `[study] currency`, shown with money in the report.
    pub currency: Option<String>,
    /// The only field that differs between two runs on the same input
    /// (fixed by `SOURCE_DATE_EPOCH` when that is set).
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

/// What a finished run wrote.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub out: PathBuf,
    pub results: Results,
    /// The KPI database and the rows upserted into it.
    pub kpi_db: Option<(KpiDb, usize)>,
}

/// The default KPI database: `kpis.sqlite` beside the output folder, so the
/// default `reports/<study>/` run feeds `reports/kpis.sqlite`.
pub fn default_kpi_db(out: &Path) -> KpiDb {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    KpiDb::Sqlite(parent.join("kpis.sqlite"))
}

/// Runs a whole study. `stage` is called with each stage's name as it starts.
///
/// # Errors
/// Any load or validation error (nothing is written then), an existing output
/// folder without `force`, an I/O failure while writing, or a KPI database
/// that cannot be written (then the report is not put in place either).
pub fn run(
    cfg: &StudyConfig,
    opts: &RunOptions,
    stage: &mut dyn FnMut(&str),
) -> Result<RunOutcome> {
    let out = opts.out.clone().unwrap_or_else(|| cfg.output_dir());
    if out.exists() && !opts.force {
        return Err(Error::OutputExists { path: out });
    }
    stage(STAGES[0]);
    let study = load_study(cfg)?;
    let mut notes = Vec::new();
    stage(STAGES[1]);
    // Independent stages side by side: the Pareto (mostly serial) and the
    // KPIs that need no driver statistics fill the core the driver
    // statistics leave idle between their parallel passes.
    let ((pareto, (base_kpis, data)), drivers) = rayon::join(
        || {
            rayon::join(
                || {
                    let r = crate::pareto::study_pareto(&study.accounts, &cfg.pareto);
                    crate::timing::mark("pareto");
                    r
                },
                || {
                    rayon::join(
                        || crate::kpis::base(&study, cfg),
                        || LoadSummary::of(&study),
                    )
                },
            )
        },
        || crate::drivers::analyse(&study.accounts, &cfg.analysis),
    );
    let (pareto, drivers) = (pareto?, drivers?);
    if pareto.is_none() {
        notes.push("Pareto of reasons skipped: no accounts.reason column in the config".into());
    }
    stage(STAGES[2]);
    let kpis = crate::kpis::complete(base_kpis, &study, Some(&drivers), cfg);
    let results = Results {
        churnlab_version: env!("CARGO_PKG_VERSION"),
        study: study.name.clone(),
        currency: cfg.study.currency.clone(),
        generated_at: now_utc(),
        data,
        pareto,
        drivers,
        kpis,
        notes,
    };
    // Freeing a large study takes a while: off the critical path.
    crate::drop_in_background(study);
    let staging = staging_dir(&out)?;
    let written = write_outputs(&staging, &results, opts.kpi_db.as_ref(), stage);
    let rows = match written {
        Ok(rows) => rows,
        Err(e) => {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    promote(&staging, &out)?;
    Ok(RunOutcome {
        out,
        results,
        kpi_db: opts.kpi_db.clone().zip(rows),
    })
}

/// One chart to draw: a closure rendering it under its file stem.
type ChartJob<'a> = Box<dyn FnOnce() -> Result<RenderedChart> + Send + 'a>;

fn chart_job<'a, C: Chart + Send + 'a>(stem: &str, chart: C) -> ChartJob<'a> {
    let stem = stem.to_string();
    Box::new(move || {
        Ok(RenderedChart {
            stem,
            png: to_png(&chart)?,
            svg: to_svg(&chart)?,
        })
    })
}

/// Draws every chart of a run, as PNG and SVG, side by side.
fn render_charts(results: &Results) -> Result<Vec<RenderedChart>> {
    let mut jobs: Vec<ChartJob> = Vec::new();
    if let Some(p) = &results.pareto {
        let lost = format!(
            "Lost revenue ({}{})",
            p.revenue_column.clone().unwrap_or_default(),
            results
                .currency
                .as_deref()
                .map_or(String::new(), |c| format!(", {c}"))
        );
        for m in [Measure::Frequency, Measure::Revenue] {
            if let Some(chart) = ParetoChart::of(&p.overall, m, &results.study, &lost) {
                jobs.push(chart_job(ParetoChart::stem(m), chart));
            }
        }
    }
    if let Some(m) = &results.drivers.model {
        jobs.push(chart_job(
            ForestChart::STEM,
            ForestChart::of(m, &results.study),
        ));
    }
    let k = &results.kpis;
    if let Some(e) = &k.efficiency {
        jobs.push(chart_job(
            FunnelChart::STEM,
            FunnelChart::of(e, &results.study),
        ));
    }
    for c in &k.control {
        jobs.push(chart_job(
            &c.stem,
            ControlPlot::new(&c.chart, &c.title, &results.study),
        ));
    }
    jobs.into_par_iter().map(|job| job()).collect()
}

/// Writes every file into `dir`, then the KPI database; returns the rows
/// upserted into the database, if one was asked for.
fn write_outputs(
    dir: &Path,
    results: &Results,
    kpi_db: Option<&KpiDb>,
    stage: &mut dyn FnMut(&str),
) -> Result<Option<usize>> {
    // The result files are serialised while the charts are drawn.
    stage(STAGES[3]);
    let (files, charts) = rayon::join(|| result_files(results), || render_charts(results));
    for (name, text) in files? {
        write_atomic(&dir.join(name), text.as_bytes())?;
    }
    let charts = charts?;
    let chart_dir = dir.join("charts");
    if !charts.is_empty() {
        fs::create_dir_all(&chart_dir)
            .map_err(|e| Error::io(&chart_dir, "cannot create folder", e))?;
    }
    for c in &charts {
        write_atomic(&chart_dir.join(format!("{}.png", c.stem)), &c.png)?;
        write_atomic(&chart_dir.join(format!("{}.svg", c.stem)), c.svg.as_bytes())?;
    }
    stage(STAGES[4]);
    let summary = Summary::of(results);
    let html = crate::report::html::render(results, &summary, &charts)?;
    write_atomic(&dir.join("report.html"), html.as_bytes())?;
    write_atomic(
        &dir.join("summary.md"),
        crate::report::summary::markdown(&summary, &results.generated_at).as_bytes(),
    )?;
    stage(STAGES[5]);
    kpi_db
        .map(|db| {
            crate::kpidb::write(
                db,
                &results.study,
                &results.generated_at,
                &results.kpis.feed,
            )
        })
        .transpose()
}

/// `results.json`, one CSV per table and `kpis.json`: (file name, text).
fn result_files(results: &Results) -> Result<Vec<(&'static str, String)>> {
    let d = &results.drivers;
    let k = &results.kpis;
    let mut tables: Vec<(&'static str, String)> = vec![
        (
            "results.json",
            serde_json::to_string_pretty(results)? + "\n",
        ),
        ("drivers_univariate.csv", csv::univariate(d)),
        ("drivers_churn_rates.csv", csv::churn_rates(d)),
        ("drivers_model.csv", csv::coefficients(d)),
        ("drivers_tests.csv", csv::driver_tests(d)),
        ("kpis.csv", csv::kpi_feed(&k.feed)),
        ("kpis_accounts.csv", csv::kpi_accounts(&k.accounts)),
    ];
    if let Some(rec) = &k.recommendation {
        tables.push(("kpis_recommendation.csv", csv::kpi_recommendation(rec)));
    }
    if let Some(e) = &k.efficiency {
        tables.push(("kpis_owners.csv", csv::kpi_owners(e)));
    }
    if let Some(p) = &k.periods {
        tables.push(("kpis_periods.csv", csv::kpi_periods(p)));
    }
    if !k.control.is_empty() {
        let charts: Vec<(String, crate::spc::ControlChart)> = k
            .control
            .iter()
            .map(|c| (c.title.clone(), c.chart.clone()))
            .collect();
        tables.push(("control_points.csv", csv::control_points(&charts)));
    }
    if let Some(p) = &results.pareto {
        tables.push((
            "pareto.csv",
            csv::pareto(&p.overall, &[Measure::Frequency, Measure::Revenue]),
        ));
        if !p.segments.is_empty() {
            tables.push(("pareto_segments.csv", csv::pareto_subsets(&p.segments)));
        }
        if let Some(c) = &p.categories {
            tables.push((
                "pareto_categories.csv",
                csv::pareto(&c.categories, &[Measure::Frequency, Measure::Revenue]),
            ));
            tables.push((
                "pareto_within_categories.csv",
                csv::pareto_subsets(&c.within),
            ));
        }
        if let Some(m) = &p.mix_shift {
            tables.push(("pareto_mix_shift.csv", csv::mix_shift(m)));
        }
    }
    tables.push((
        "kpis.json",
        serde_json::to_string_pretty(&crate::kpis::FeedDoc::of(&results.study, k, None))? + "\n",
    ));
    Ok(tables)
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

/// Current UTC time, RFC 3339, to the second; `SOURCE_DATE_EPOCH` (seconds,
/// the reproducible-builds convention) fixes it for byte-identical reruns.
fn now_utc() -> String {
    let fixed = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok());
    let secs = fixed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    });
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}
