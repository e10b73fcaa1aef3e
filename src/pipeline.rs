//! Runs the stages of a study in order (load and validate → analyses →
//! results → report) and writes the outputs into a hidden staging folder
//! that is renamed into place only when every stage succeeded, so a failed
//! run leaves the previous output untouched.

use std::fs;
use std::path::{Path, PathBuf};

use crate::config::StudyConfig;
use crate::data::{load_study, LoadSummary};
use crate::error::{Error, Result};
use crate::output::write_atomic;
use crate::report::kpidb::KpiDb;
use crate::results::{now_utc, Results, PARETO_SKIPPED, SURVIVAL_SKIPPED};

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
    "kpis, control charts and survival",
    "charts",
    "report",
    "kpi database",
];

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
        notes.push(PARETO_SKIPPED.into());
    }
    stage(STAGES[2]);
    let (kpis, survival) = rayon::join(
        || crate::kpis::complete(base_kpis, &study, Some(&drivers), cfg),
        || {
            let r = crate::survival::analyse(&study, cfg, Some(&drivers), None);
            crate::timing::mark("survival");
            r
        },
    );
    let survival = survival?;
    let mut kpis = kpis;
    match &survival {
        Some(s) => crate::kpis::feed::add_survival(&mut kpis, s),
        None => notes.push(SURVIVAL_SKIPPED.into()),
    }
    let results = Results {
        churnlab_version: env!("CARGO_PKG_VERSION"),
        study: study.name.clone(),
        currency: cfg.study.currency.clone(),
        generated_at: now_utc(),
        data,
        pareto,
        drivers,
        kpis,
        survival,
        notes,
    };
    // Freeing a large study takes a while: off the critical path.
    crate::background::drop_in_background(study);
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
    let (files, charts) = rayon::join(
        || crate::report::result_files(results),
        || crate::report::charts(results),
    );
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
    let (html, markdown) = crate::report::pages(results, &charts)?;
    write_atomic(&dir.join("report.html"), html.as_bytes())?;
    write_atomic(&dir.join("summary.md"), markdown.as_bytes())?;
    stage(STAGES[5]);
    kpi_db
        .map(|db| {
            crate::report::kpidb::write(
                db,
                &results.study,
                &results.generated_at,
                &results.kpis.feed,
            )
        })
        .transpose()
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
