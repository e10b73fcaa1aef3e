//! Command-line interface: one subcommand per stage (xsv style), each in its
//! own file, plus helpers shared by all of them.

mod demo_data;
mod drivers;
pub mod kpis;
mod pareto;
mod renewals;
mod run;
pub mod spc;
mod survival;
mod validate;

use std::io::Write;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::error::Error;

/// Statistical churn-driver analysis: why customers leave, which drivers the
/// team controls actually move retention, and whether they are under control.
#[derive(Debug, Parser)]
#[command(name = "churnlab", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every stage of a study and write the report folder.
    Run(run::Args),
    /// Rank cancellation reasons by frequency and by lost revenue (Pareto).
    Pareto(pareto::Args),
    /// Test candidate drivers: univariate screening, a multivariable logistic
    /// model with full inference, per-driver LR tests, confounding notes.
    Drivers(drivers::Args),
    /// Retention KPIs (GRR, NRR, logo churn, ARPA per period; NPS, time to
    /// value; efficiency per CSM) and the effectiveness-KPI recommendation.
    Kpis(kpis::Args),
    /// Control chart of any series in a file (p, np, c, u, xmr, xbar-r,
    /// xbar-s, laney-p) with phases and Western Electric / Nelson rules.
    Spc(spc::Args),
    /// The study's KPI control charts (Laney p′ and p of monthly logo churn,
    /// XmR of monthly GRR, NRR and ARPA).
    Control(spc::ControlArgs),
    /// Time to churn: Kaplan–Meier curves, log-rank tests, the Cox model
    /// (Efron or Breslow ties), the proportional-hazards check and the RMST.
    Survival(survival::Args),
    /// Renewals due and their KPIs: renewal quota, closed so far, gross and
    /// net dollar renewal rate, logo renewal rate, quota attainment, late
    /// renewals, per month, quarter and YTD, overall, per segment and owner.
    Renewals(renewals::Args),
    /// Load and check a study's data; print what was loaded, or the errors.
    Validate(validate::Args),
    /// Write demo data with planted ground truth (accounts, revenue, study.toml, truth.json).
    DemoData(demo_data::Args),
}

/// Output format of tabular commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// Output format of commands that can also print CSV tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TabularFormat {
    Table,
    Json,
    Csv,
}

/// `--png DIR` and `--force`: where a command writes its charts (PNG and SVG
/// side by side) and whether it may replace chart files already there.
#[derive(Debug, Clone, clap::Args)]
pub struct ChartDir {
    /// Write the command's charts (PNG and SVG) into this folder.
    #[arg(long = "png", value_name = "DIR")]
    pub dir: Option<std::path::PathBuf>,
    /// Replace chart files that already exist in --png.
    #[arg(long)]
    pub force: bool,
}

/// Runs one parsed command line.
pub fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(a) => run::run(a),
        Command::Pareto(a) => pareto::run(a),
        Command::Drivers(a) => drivers::run(a),
        Command::Kpis(a) => kpis::run(a),
        Command::Spc(a) => spc::run(a),
        Command::Control(a) => spc::control(a),
        Command::Survival(a) => survival::run(a),
        Command::Renewals(a) => renewals::run(a),
        Command::Validate(a) => validate::run(a),
        Command::DemoData(a) => demo_data::run(a),
    }
}

/// Loads a config file, adding its path to any error.
pub(crate) fn load_config(path: &std::path::Path) -> anyhow::Result<crate::StudyConfig> {
    crate::StudyConfig::from_path(path)
        .with_context(|| format!("loading study config {}", path.display()))
}

/// Applies `--engine URL` over the config's `[engine] url`.
pub(crate) fn engine_override(cfg: &mut crate::StudyConfig, engine: &Option<String>) {
    if let Some(url) = engine {
        cfg.engine = Some(crate::config::EngineConfig { url: url.clone() });
    }
}

/// Whether the study's accounts are a table on an engine.
pub(crate) fn on_engine(cfg: &crate::StudyConfig) -> bool {
    cfg.accounts.table.is_some() || cfg.accounts.query.is_some()
}

/// Writes to stdout; a closed pipe (`| head`) surfaces as an error that
/// [`is_broken_pipe`] recognises.
pub(crate) fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// True when the error is a broken pipe on stdout, which is not a failure.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Exit code: 2 for input and config problems the user must fix, 1 otherwise.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    match e.downcast_ref::<Error>() {
        Some(
            Error::Config { .. }
            | Error::File { .. }
            | Error::MissingColumn { .. }
            | Error::Value { .. }
            | Error::Column { .. }
            | Error::Table { .. }
            | Error::TableColumn { .. }
            | Error::TableValue { .. }
            | Error::Usage { .. }
            | Error::Input { .. }
            | Error::OutputExists { .. },
        ) => 2,
        _ => 1,
    }
}
