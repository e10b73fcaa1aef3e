//! `churnlab kpis`: period retention KPIs, account and efficiency KPIs, and
//! the effectiveness-KPI recommendation built on the driver statistics.

use std::path::PathBuf;

use super::{load_config, print};
use crate::data::load_study;
use crate::kpis::{self, keep_grain, FeedDoc, FeedRow, Grain};
use crate::output::ensure_absent;
use crate::report::charts::funnel::FunnelChart;
use crate::report::charts::write_chart;
use crate::report::{csv, text};
use clap::ValueEnum;

use super::TabularFormat as Format;

/// Which table `--format csv` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Table {
    /// The KPI feed (one row per KPI × period × segment).
    Feed,
    /// One row per candidate driver with its verdict.
    Recommendation,
    /// Efficiency KPIs per owner with funnel limits.
    Owners,
    /// Account KPIs overall and per segment.
    Accounts,
    /// The period KPIs, one row per grain × period.
    Periods,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The study config (TOML).
    #[arg(long, short)]
    pub config: PathBuf,
    /// Period grain of the period KPIs shown (TTM, YTD and account KPIs always are).
    #[arg(long, value_enum)]
    pub grain: Option<Grain>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// With --format csv: the table to print.
    #[arg(long, value_enum, default_value_t = Table::Feed)]
    pub table: Table,
    // --png DIR: the funnel plot of churn by owner.
    #[command(flatten)]
    pub charts: super::ChartDir,
    /// The SQL engine the config's tables live in (`postgres://…`,
    /// `sc://host:15002`), over `[engine] url`: the same KPIs, charts,
    /// recommendation and feed, from one pass over the revenue table and a
    /// few over the accounts (the driver model's among them).
    #[arg(long, value_name = "URL")]
    pub engine: Option<String>,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let mut cfg = load_config(&a.config)?;
    super::engine_override(&mut cfg, &a.engine);
    if super::on_engine(&cfg) {
        return on_engine(&a, &cfg);
    }
    let study = load_study(&cfg)?;
    let mut report = match crate::drivers::analyse(&study.accounts, &cfg.analysis) {
        Ok(d) => kpis::analyse(&study, Some(&d), &cfg),
        Err(e) => {
            let mut r = kpis::analyse(&study, None, &cfg);
            r.notes
                .push(format!("Effectiveness-KPI recommendation skipped: {e}"));
            r
        }
    };
    if let Some(dir) = &a.charts.dir {
        match &report.efficiency {
            Some(e) => {
                ensure_absent(
                    &[
                        dir.join(format!("{}.png", FunnelChart::STEM)),
                        dir.join(format!("{}.svg", FunnelChart::STEM)),
                    ],
                    a.charts.force,
                )?;
                write_chart(&FunnelChart::of(e, &study.name), dir, FunnelChart::STEM)?;
            }
            None => report
                .notes
                .push("No funnel plot: the config names no accounts.owner column.".into()),
        }
    }
    let grain = a.grain;
    match a.format {
        Format::Table => print(&text::kpis(&report, grain.unwrap_or(cfg.kpis.grain))),
        Format::Json => print(
            &(serde_json::to_string_pretty(&FeedDoc::of(&study.name, &report, grain))? + "\n"),
        ),
        Format::Csv => print(&csv_table(&report, a.table, grain)),
    }
}

/// The `--format csv` table `table` of a KPI report (the feed at `grain`).
fn csv_table(report: &kpis::KpiReport, table: Table, grain: Option<kpis::Grain>) -> String {
    match table {
        Table::Feed => {
            let rows: Vec<FeedRow> = report
                .feed
                .iter()
                .filter(|f| keep_grain(f, grain))
                .cloned()
                .collect();
            csv::kpi_feed(&rows)
        }
        Table::Recommendation => report
            .recommendation
            .as_ref()
            .map_or_else(String::new, csv::kpi_recommendation),
        Table::Owners => report
            .efficiency
            .as_ref()
            .map_or_else(String::new, csv::kpi_owners),
        Table::Accounts => csv::kpi_accounts(&report.accounts),
        Table::Periods => report
            .periods
            .as_ref()
            .map_or_else(String::new, csv::kpi_periods),
    }
}

/// `kpis --engine`: the same report as from files, the KPIs counted and
/// summed by the engine; the table adds what was asked of it, the JSON is
/// the whole report with its usage.
fn on_engine(a: &Args, cfg: &crate::StudyConfig) -> anyhow::Result<()> {
    let e = crate::pipeline::engine::kpis(cfg)?;
    if let Some(dir) = &a.charts.dir {
        if let Some(eff) = &e.report.efficiency {
            ensure_absent(
                &[
                    dir.join(format!("{}.png", FunnelChart::STEM)),
                    dir.join(format!("{}.svg", FunnelChart::STEM)),
                ],
                a.charts.force,
            )?;
            write_chart(&FunnelChart::of(eff, &cfg.name()), dir, FunnelChart::STEM)?;
        }
    }
    match a.format {
        Format::Table => print(&crate::report::engine_text::kpis(
            &e,
            a.grain.unwrap_or(cfg.kpis.grain),
        )),
        Format::Json => print(&(serde_json::to_string_pretty(&e)? + "\n")),
        Format::Csv => print(&csv_table(&e.report, a.table, a.grain)),
    }
}
