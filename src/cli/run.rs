//! `churnlab run`: every stage, from data to report.

use std::path::PathBuf;

use super::load_config;
use crate::pipeline::{run as run_pipeline, RunOptions};

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
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let cfg = load_config(&a.config)?;
    let (out, results) = run_pipeline(
        &cfg,
        &RunOptions {
            out: a.out,
            force: a.force,
        },
    )?;
    if !a.quiet {
        eprintln!(
            "{}: {} accounts, {} churned; wrote {}",
            results.study,
            results.data.accounts.rows,
            results.data.accounts.churned,
            out.display()
        );
    }
    Ok(())
}
