//! `churnlab run`: every stage, from data to report.

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::load_config;
use crate::pipeline::{default_kpi_db, run as run_pipeline, RunOptions, STAGES};
use crate::report::kpidb::KpiDb;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The study config (TOML).
    #[arg(long, short)]
    pub config: PathBuf,
    /// Output folder (default: [output] dir, else reports/<study-name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace an existing output folder.
    #[arg(long)]
    pub force: bool,
    /// Where to upsert the KPI feed table `kpi_values`: an SQLite file path
    /// (default: kpis.sqlite beside the output folder, so reports/kpis.sqlite)
    /// or a PostgreSQL URL such as postgres://user@localhost/kpis.
    #[arg(long, value_name = "PATH|URL", conflicts_with = "no_kpi_db")]
    pub kpi_db: Option<String>,
    /// How long to wait, in seconds, when another run holds the KPI
    /// database's write lock, before giving up (and promoting nothing).
    #[arg(long, value_name = "SECS", default_value_t = 120.0, value_parser = wait_secs)]
    pub kpi_db_wait: f64,
    /// Do not write the KPI feed into any database.
    #[arg(long)]
    pub no_kpi_db: bool,
    /// Print nothing but errors (no progress bar, no summary line).
    #[arg(long, short)]
    pub quiet: bool,
    /// Print each step (wall and CPU time so far) as it ends, and each
    /// stage's wall time when the run ends, on stderr.
    #[arg(long)]
    pub timings: bool,
    /// The SQL engine the config's tables live in (`postgres://…`,
    /// `sc://host:15002`), over `[engine] url`: every stage runs there as
    /// aggregate passes but the renewals (the report says so); --timings
    /// adds each stage's queries, table reads and seconds.
    #[arg(long, value_name = "URL")]
    pub engine: Option<String>,
}

/// `--kpi-db-wait`: a number of seconds, 0 to one day.
fn wait_secs(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if (0.0..=86_400.0).contains(&x) => Ok(x),
        _ => Err(format!("`{s}` is not a number of seconds from 0 to 86400")),
    }
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let mut cfg = load_config(&a.config)?;
    super::engine_override(&mut cfg, &a.engine);
    let out = a.out.clone().unwrap_or_else(|| cfg.output_dir());
    let kpi_db = if a.no_kpi_db {
        None
    } else {
        Some(
            a.kpi_db
                .as_deref()
                .map_or_else(|| default_kpi_db(&out), KpiDb::parse),
        )
    };
    // indicatif draws only when stderr is a terminal; --quiet hides it always.
    let bar = if a.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(Some(STAGES.len() as u64), ProgressDrawTarget::stderr())
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{pos}/{len}] {wide_bar} {elapsed} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    if a.timings {
        crate::timing::enable();
    }
    let mut marks: Vec<(String, std::time::Instant)> = Vec::new();
    let mut on_stage = |name: &str| {
        if !marks.is_empty() {
            bar.inc(1);
        }
        marks.push((name.to_string(), std::time::Instant::now()));
        bar.set_message(name.to_string());
    };
    let opts = RunOptions {
        out: Some(out),
        force: a.force,
        kpi_db,
        kpi_db_wait: Some(std::time::Duration::from_secs_f64(a.kpi_db_wait)),
    };
    let outcome = if super::on_engine(&cfg) {
        crate::pipeline::engine_run::run(&cfg, &opts, &mut on_stage)
    } else {
        run_pipeline(&cfg, &opts, &mut on_stage)
    };
    bar.finish_and_clear();
    let end = std::time::Instant::now();
    if a.timings {
        for (i, (name, t)) in marks.iter().enumerate() {
            let next = marks.get(i + 1).map_or(end, |m| m.1);
            eprintln!("[stage] {name:26} {:7.3} s", (next - *t).as_secs_f64());
        }
    }
    let outcome = outcome?;
    if let (true, Some(u)) = (a.timings, &outcome.usage) {
        // Each stage's queries, table reads and the engine's seconds.
        eprintln!("[engine] {}", crate::report::engine_text::usage(u));
    }
    for note in &outcome.cleaned {
        eprintln!("note: {note}");
    }
    if !a.quiet {
        let r = &outcome.results;
        eprintln!(
            "{}: {} accounts, {} churned; wrote {}",
            r.study,
            r.data.accounts.rows,
            r.data.accounts.churned,
            outcome.out.join("report.html").display()
        );
        if let Some(u) = &outcome.usage {
            eprintln!(
                "engine: {}",
                crate::report::engine_text::usage(u)
                    .lines()
                    .next()
                    .unwrap_or_default()
            );
        }
        if let Some((db, rows)) = &outcome.kpi_db {
            eprintln!("KPI feed: {rows} rows upserted into {}", db.describe());
        }
    }
    // The process ends here: freeing the results (at 1M accounts, hundreds
    // of thousands of ranked renewals, each with its levers) would hold up
    // the exit by a quarter of a second, and nothing waits for it.
    crate::background::drop_in_background(outcome);
    Ok(())
}
