//! `churnlab drivers`: univariate screening, the multivariable logistic
//! model and per-driver LR tests, printed like statsmodels' summary.

use std::path::PathBuf;

use clap::ValueEnum;

use super::{load_config, print};
use crate::data::load_study;
use crate::drivers::analyse;
use crate::output::ensure_absent;
use crate::report::charts::forest::ForestChart;
use crate::report::charts::write_chart;
use crate::report::{csv, text};
use crate::stats::multitest::Correction;

use super::TabularFormat as Format;

/// Which table `--format csv` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Table {
    Univariate,
    Rates,
    Model,
    Drivers,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The study config (TOML).
    #[arg(long, short)]
    pub config: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// With --format csv: the table to print.
    #[arg(long, value_enum, default_value_t = Table::Model)]
    pub table: Table,
    /// Multiple-testing correction across drivers (default: the config's, else bh).
    #[arg(long, value_enum)]
    pub correction: Option<Correction>,
    /// Significance level for q-values (default: the config's, else 0.05).
    #[arg(long)]
    pub alpha: Option<f64>,
    /// Also fit an OLS model of this numeric driver on the others.
    #[arg(long)]
    pub outcome: Option<String>,
    // --png DIR: the odds-ratio forest plot.
    #[command(flatten)]
    pub charts: super::ChartDir,
    /// The SQL engine the config's tables live in (`postgres://…`,
    /// `sc://host:15002`), over `[engine] url`: the model and its LR tests
    /// run there (table or JSON output).
    #[arg(long, value_name = "URL")]
    pub engine: Option<String>,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let mut cfg = load_config(&a.config)?;
    if let Some(c) = a.correction {
        cfg.analysis.correction = c;
    }
    if let Some(al) = a.alpha {
        cfg.analysis.alpha = al;
    }
    if let Some(o) = &a.outcome {
        cfg.analysis.outcome = Some(o.clone());
    }
    cfg.recheck()?;
    super::engine_override(&mut cfg, &a.engine);
    if super::on_engine(&cfg) {
        return on_engine(&cfg, &a);
    }
    let study = load_study(&cfg)?;
    let report = analyse(&study.accounts, &cfg.analysis)?;
    if let Some(dir) = &a.charts.dir {
        if let Some(chart) = ForestChart::of(&report, &study.name) {
            ensure_absent(
                &[
                    dir.join(format!("{}.png", ForestChart::STEM)),
                    dir.join(format!("{}.svg", ForestChart::STEM)),
                ],
                a.charts.force,
            )?;
            write_chart(&chart, dir, ForestChart::STEM)?;
        }
    }
    match a.format {
        Format::Table => print(&text::drivers(&report)),
        Format::Json => print(&(serde_json::to_string_pretty(&report)? + "\n")),
        Format::Csv => print(&match a.table {
            Table::Univariate => csv::univariate(&report),
            Table::Rates => csv::churn_rates(&report),
            Table::Model => csv::coefficients(&report),
            Table::Drivers => csv::driver_tests(&report),
        }),
    }
}

/// The model and its LR tests on the study's engine.
fn on_engine(cfg: &crate::StudyConfig, a: &Args) -> anyhow::Result<()> {
    let m = crate::pipeline::engine::model(cfg)?.ok_or_else(|| crate::error::Error::Analysis {
        analysis: "multivariable model",
        message: "no driver has a usable term (each is constant or blank)".into(),
    })?;
    match a.format {
        Format::Table => print(&crate::report::engine_text::model(&m)),
        Format::Json => print(&(serde_json::to_string_pretty(&m)? + "\n")),
        Format::Csv => Err(crate::error::Error::Usage {
            flag: "--format".into(),
            message: "on an engine, drivers prints a table or JSON".into(),
        }
        .into()),
    }
}
