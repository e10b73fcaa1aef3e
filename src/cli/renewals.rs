//! `churnlab renewals`: the renewals due and their KPIs (renewal quota,
//! closed so far, dollar and logo renewal rates, quota attainment, late
//! renewals) per month, quarter and year to date, overall, per segment and
//! per owner; the renewals at risk; and whether the model is fit to rank them.

use std::path::PathBuf;

use clap::ValueEnum;

use super::{load_config, print};
use crate::data::load_study;
use crate::error::Error;
use crate::kpis::Grain;
use crate::report::{csv_renewals, renewals_text};

use super::TabularFormat as Format;

/// Which table `renewals` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Table {
    /// The renewal KPIs of every period and group.
    Kpis,
    /// The open renewals of this quarter and the next, ranked by expected
    /// ARR lost, with their levers (csv: the whole list).
    AtRisk,
    /// Is the model fit to rank renewals: the out-of-time backtest.
    Validation,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The study config (TOML) with a `[renewals]` section.
    #[arg(long, short)]
    pub config: PathBuf,
    /// With --format table: the grain shown (default quarter).
    #[arg(long, value_enum, default_value_t = Grain::Quarter)]
    pub grain: Grain,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// The table to print.
    #[arg(long, value_enum, default_value_t = Table::Kpis)]
    pub table: Table,
    /// The SQL engine the config's tables live in (`postgres://…`,
    /// `sc://host:15002`), over `[engine] url`: the renewal KPIs (`--table
    /// kpis`) from one scan of the renewals table after its checks.
    #[arg(long, value_name = "URL")]
    pub engine: Option<String>,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let mut cfg = load_config(&a.config)?;
    super::engine_override(&mut cfg, &a.engine);
    if cfg.renewals.is_none() {
        return Err(Error::Config {
            path: cfg.source.clone(),
            message: "has no [renewals] section; add one with the renewals table's `path`, or with `term_months` alone to derive renewals from accounts.start_date and the revenue table".into(),
        }
        .into());
    }
    if super::on_engine(&cfg) {
        return on_engine(&a, &cfg);
    }
    let study = load_study(&cfg)?;
    let Some(r) = crate::renewals::analyse(&study) else {
        unreachable!("the study has [renewals], so it has renewals")
    };
    if a.table == Table::Kpis {
        return match a.format {
            Format::Table => print(&renewals_text::renewals(&r, a.grain)),
            Format::Json => print(&(serde_json::to_string_pretty(&r)? + "\n")),
            Format::Csv => print(&csv_renewals::renewal_kpis(&r)),
        };
    }
    // The risks need the driver model (for the levers) and the Cox model.
    let drivers = crate::drivers::analyse(&study.accounts, &cfg.analysis)?;
    let rec = crate::kpis::recommend::recommend(&study.accounts, &drivers, &cfg.kpis);
    let survival = crate::survival::analyse(&study, &cfg, Some(&drivers), None)?;
    let top = cfg.renewals.as_ref().map_or(5, |x| x.top);
    let Some(f) = crate::forward::analyse(
        &study,
        survival.as_ref().and_then(|s| s.predictor.as_ref()),
        None,
        Some(&drivers),
        Some(&rec),
        top,
    ) else {
        unreachable!("the study has [renewals], so it has renewals")
    };
    match (a.table, a.format) {
        (Table::AtRisk, Format::Table) => print(&renewals_text::at_risk(&f, top)),
        (Table::AtRisk, Format::Csv) => print(&csv_renewals::at_risk(&f)),
        (Table::Validation, Format::Table) => print(&renewals_text::validation(&f)),
        (Table::Validation, Format::Csv) => match &f.backtest {
            Some(b) => print(&csv_renewals::validation(b)),
            None => print(&format!("{}\n", f.verdict)),
        },
        (_, Format::Json) => {
            let all: Vec<_> = f.all.iter().map(|x| f.worded(x)).collect();
            let doc = serde_json::json!({ "forward": &f, "all": all });
            print(
                &(serde_json::to_string_pretty(if a.table == Table::AtRisk {
                    &doc
                } else {
                    &doc["forward"]
                })? + "\n"),
            )
        }
        (Table::Kpis, _) => unreachable!("handled above"),
    }
}

/// `renewals --engine`: the renewal KPIs counted and summed by the engine;
/// the renewals at risk and their validation need files for now.
fn on_engine(a: &Args, cfg: &crate::StudyConfig) -> anyhow::Result<()> {
    if a.table != Table::Kpis {
        return Err(Error::Config {
            path: cfg.source.clone(),
            message: format!(
                "`renewals --table {}` does not run on an engine yet: the renewals at risk (their ranking, levers and backtest) need the study run from files; `--table kpis` runs on the engine",
                if a.table == Table::AtRisk { "at-risk" } else { "validation" }
            ),
        }
        .into());
    }
    let e = crate::pipeline::engine::renewal_kpis(cfg)?;
    match a.format {
        Format::Table => print(&crate::report::engine_text::renewals(&e, a.grain)),
        Format::Json => print(&(serde_json::to_string_pretty(&e)? + "\n")),
        Format::Csv => print(&csv_renewals::renewal_kpis(&e.report)),
    }
}
