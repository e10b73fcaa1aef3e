//! Runs the stages of a study in order (load and validate → analyses →
//! results → report) and writes the outputs into a hidden staging folder
//! that is renamed into place only when every stage succeeded, so a failed
//! run leaves the previous output untouched.

pub mod engine;
pub mod engine_run;

use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

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
    /// How long to wait for another writer's lock on the KPI database;
    /// `None` = [`crate::report::kpidb::DEFAULT_WAIT`].
    pub kpi_db_wait: Option<std::time::Duration>,
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
    /// Staging folders a killed run left beside the output, and what was
    /// done with each (removed, or restored as the output).
    pub cleaned: Vec<String>,
    /// On an engine: what the run asked of it, per stage.
    pub usage: Option<crate::engine::EngineUse>,
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
    let out = free_output(cfg, opts)?;
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
    // The renewal KPIs are computed while the survival stage runs: the KPI
    // branch finishes long before it.
    let ((kpis, renewals), survival) = rayon::join(
        || {
            (
                crate::kpis::complete(base_kpis, &study, Some(&drivers), cfg),
                crate::renewals::analyse(&study),
            )
        },
        || {
            // The renewals at risk are scored on the Cox fit while the
            // survival stage's refits run.
            let r = crate::survival::analyse_beside(&study, cfg, Some(&drivers), None, |pred| {
                crate::forward::cox_scores(&study, pred)
            });
            crate::timing::mark("survival");
            r
        },
    );
    let (survival, cox_scores) = survival?;
    let mut kpis = kpis;
    match &survival {
        Some(s) => crate::kpis::feed::add_survival(&mut kpis, s),
        None => notes.push(SURVIVAL_SKIPPED.into()),
    }
    if let Some(r) = &renewals {
        crate::kpis::renewal_feed::add_renewals(&mut kpis, r);
    }
    crate::timing::mark("renewals");
    let top = cfg.renewals.as_ref().map_or(5, |r| r.top);
    let forward = crate::forward::analyse(
        &study,
        survival.as_ref().and_then(|s| s.predictor.as_ref()),
        cox_scores.flatten(),
        Some(&drivers),
        kpis.recommendation.as_ref(),
        top,
    );
    crate::timing::mark("renewals at risk");
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
        renewals,
        forward,
        slide: cfg.kpis.slide.clone(),
        notes,
    };
    // Freeing a large study takes a while: off the critical path.
    crate::background::drop_in_background(study);
    write_run(results, out, opts, stage)
}

/// The run's output folder (`--out`, else the config's), unless it exists
/// and the run may not replace it.
///
/// # Errors
/// [`Error::OutputExists`] without `force`.
fn free_output(cfg: &StudyConfig, opts: &RunOptions) -> Result<PathBuf> {
    let out = opts.out.clone().unwrap_or_else(|| cfg.output_dir());
    if out.exists() && !opts.force {
        return Err(Error::OutputExists { path: out });
    }
    Ok(out)
}

/// Writes a finished run's outputs into a staging folder, then the KPI
/// database, and puts the folder in place at `out`: a run from files and
/// one on an engine end here alike.
///
/// # Errors
/// An I/O failure while writing, or a KPI database that cannot be written
/// (then the report is not put in place either).
fn write_run(
    results: Results,
    out: PathBuf,
    opts: &RunOptions,
    stage: &mut dyn FnMut(&str),
) -> Result<RunOutcome> {
    let cleaned = clean_stale(&out);
    let staging = staging_dir(&out)?;
    let written = write_outputs(&staging, &results, opts, stage);
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
        cleaned,
        usage: None,
    })
}

/// Writes every file into `dir`, then the KPI database; returns the rows
/// upserted into the database, if one was asked for.
fn write_outputs(
    dir: &Path,
    results: &Results,
    opts: &RunOptions,
    stage: &mut dyn FnMut(&str),
) -> Result<Option<usize>> {
    // The result files are serialised while the charts are drawn.
    stage(STAGES[3]);
    let (files, charts) = rayon::join(
        || crate::report::result_files(results),
        || crate::report::charts(results),
    );
    // Written side by side: each file is synced to disk before the folder
    // is put in place, and the syncs of the large tables overlap.
    files?
        .par_iter()
        .try_for_each(|(name, text)| write_atomic(&dir.join(name), text.as_bytes()))?;
    let charts = charts?;
    let chart_dir = dir.join("charts");
    if !charts.is_empty() {
        fs::create_dir_all(&chart_dir)
            .map_err(|e| Error::io(&chart_dir, "cannot create folder", e))?;
    }
    charts.par_iter().try_for_each(|c| {
        write_atomic(&chart_dir.join(format!("{}.png", c.stem)), &c.png)?;
        write_atomic(&chart_dir.join(format!("{}.svg", c.stem)), c.svg.as_bytes())
    })?;
    stage(STAGES[4]);
    let (html, markdown) = crate::report::pages(results, &charts)?;
    write_atomic(&dir.join("report.html"), html.as_bytes())?;
    write_atomic(&dir.join("summary.md"), markdown.as_bytes())?;
    stage(STAGES[5]);
    let wait = opts
        .kpi_db_wait
        .unwrap_or(crate::report::kpidb::DEFAULT_WAIT);
    opts.kpi_db
        .as_ref()
        .map(|db| {
            crate::report::kpidb::write(
                db,
                wait,
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

/// Moves the finished staging folder to `out`. An old output is swapped
/// with the new one in one atomic exchange (Linux `renameat2`), so a run
/// killed at any moment leaves either the old folder or the new one at
/// `out`, never neither; elsewhere the old one is moved aside first.
fn promote(staging: &Path, out: &Path) -> Result<()> {
    if !out.exists() {
        return fs::rename(staging, out)
            .map_err(|e| Error::io(out, "cannot move output into place", e));
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        if renameat_with(CWD, staging, CWD, out, RenameFlags::EXCHANGE).is_ok() {
            // The staging path now holds the old output.
            let _ = fs::remove_dir_all(staging);
            return Ok(());
        }
    }
    let old = staging.with_extension("old");
    fs::rename(out, &old).map_err(|e| Error::io(out, "cannot move old output aside", e))?;
    fs::rename(staging, out).map_err(|e| Error::io(out, "cannot move output into place", e))?;
    let _ = fs::remove_dir_all(&old);
    Ok(())
}

/// Removes the staging folders (`.NAME.tmp-PID`, `.NAME.tmp-PID.old`) that
/// killed runs left beside `out`, skipping those of runs still alive; an
/// old output moved aside by a run killed before it swapped the new one in
/// is moved back when `out` is missing. Returns one line per folder.
fn clean_stale(out: &Path) -> Vec<String> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Some(name) = out.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Vec::new();
    };
    let prefix = format!(".{name}.tmp-");
    let Ok(entries) = fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut stale: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let file = p.file_name().map(|n| n.to_string_lossy().into_owned());
            let Some(rest) = file.as_deref().and_then(|f| f.strip_prefix(&prefix)) else {
                return false;
            };
            let pid = rest.strip_suffix(".old").unwrap_or(rest);
            pid.parse::<u32>().is_ok_and(|pid| !process_alive(pid))
        })
        .collect();
    stale.sort();
    let mut notes = Vec::new();
    for p in stale {
        let moved_aside = p.extension().is_some_and(|e| e == "old");
        if moved_aside && !out.exists() && fs::rename(&p, out).is_ok() {
            notes.push(format!(
                "restored {} from {} (a run was killed while replacing it)",
                out.display(),
                p.display()
            ));
        } else if fs::remove_dir_all(&p).is_ok() {
            notes.push(format!(
                "removed {}, left by a run that was killed",
                p.display()
            ));
        }
    }
    notes
}

/// Whether a process with this id exists (Linux: `/proc/PID`; elsewhere
/// assumed alive, so another run's staging folder is never touched).
fn process_alive(pid: u32) -> bool {
    pid == std::process::id() || {
        let proc = Path::new("/proc");
        !proc.exists() || proc.join(pid.to_string()).exists()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder moved aside by a run killed before it swapped the new one in
    /// is moved back; a dead run's staging folder is removed; a live one's
    /// (this process) is left alone.
    #[test]
    fn stale_staging_folders_are_restored_or_removed() {
        let dir = tempfile::tempdir().expect("tmp");
        let out = dir.path().join("out");
        let aside = dir.path().join(".out.tmp-4000000001.old");
        fs::create_dir(&aside).expect("aside");
        fs::write(aside.join("report.html"), "old run").expect("file");
        let dead = dir.path().join(".out.tmp-4000000002");
        fs::create_dir(&dead).expect("dead");
        let live = dir.path().join(format!(".out.tmp-{}", std::process::id()));
        fs::create_dir(&live).expect("live");
        let notes = clean_stale(&out);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].starts_with("restored"), "{notes:?}");
        assert_eq!(
            fs::read_to_string(out.join("report.html")).expect("restored"),
            "old run"
        );
        assert!(!dead.exists() && live.exists() && !aside.exists());
    }

    /// Replacing an output swaps it whole: the new files, none of the old.
    #[test]
    fn promote_replaces_the_old_output() {
        let dir = tempfile::tempdir().expect("tmp");
        let out = dir.path().join("out");
        fs::create_dir(&out).expect("out");
        fs::write(out.join("old.txt"), "old").expect("file");
        let staging = dir.path().join(".out.tmp-1");
        fs::create_dir(&staging).expect("staging");
        fs::write(staging.join("new.txt"), "new").expect("file");
        promote(&staging, &out).expect("promote");
        assert!(out.join("new.txt").exists() && !out.join("old.txt").exists());
        assert!(!staging.exists());
    }
}
