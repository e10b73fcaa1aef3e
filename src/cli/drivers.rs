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
    /// `sc://host:15002`), over `[engine] url`: the screen, the model and
    /// its LR tests run there as aggregate queries.
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
    // On an engine the same report comes from its aggregates.
    let engine = if super::on_engine(&cfg) {
        Some(crate::pipeline::engine::drivers(&cfg)?)
    } else {
        None
    };
    let in_memory;
    let report = match &engine {
        Some(e) => &e.report,
        None => {
            in_memory = analyse(&load_study(&cfg)?.accounts, &cfg.analysis)?;
            &in_memory
        }
    };
    if let Some(dir) = &a.charts.dir {
        if let Some(chart) = ForestChart::of(report, &cfg.name()) {
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
    match (a.format, &engine) {
        (Format::Table, Some(e)) => print(&crate::report::engine_text::drivers(e)),
        (Format::Json, Some(e)) => print(&(serde_json::to_string_pretty(e)? + "\n")),
        (Format::Table, None) => print(&text::drivers(report)),
        (Format::Json, None) => print(&(serde_json::to_string_pretty(report)? + "\n")),
        (Format::Csv, _) => print(&match a.table {
            Table::Univariate => csv::univariate(report),
            Table::Rates => csv::churn_rates(report),
            Table::Model => csv::coefficients(report),
            Table::Drivers => csv::driver_tests(report),
        }),
    }
}
