//! `churnlab survival`: time to churn for a study (`--config`), or, like
//! lifelines on a data frame, for any table with a duration and an event
//! column (`--input`): Kaplan–Meier curves, log-rank tests, the Cox model,
//! the proportional-hazards check and the restricted mean.

use std::path::{Path, PathBuf};

use clap::ValueEnum;

use super::{load_config, print};
use crate::config::StudyConfig;
use crate::error::Error;
use crate::output::ensure_absent;
use crate::report::charts::forest::ForestChart;
use crate::report::charts::km::KmChart;
use crate::report::charts::write_chart;
use crate::report::{csv, survival_text};
use crate::stats::survival::Ties;
use crate::survival::SurvivalReport;

use super::TabularFormat as Format;

/// Which table `--format csv` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Table {
    /// Kaplan–Meier tables of the main groups.
    Km,
    /// The Cox coefficients.
    Cox,
    /// Log-rank tests per driver.
    Logrank,
    /// Proportional-hazards tests.
    Ph,
    /// Restricted mean survival times.
    Rmst,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["config", "input"])))]
pub struct Args {
    /// The study config (TOML): durations from its dates or `[survival] tenure`.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Any CSV, Parquet or NDJSON table with a duration and an event column.
    #[arg(long, requires_all = ["duration", "event"])]
    pub input: Option<PathBuf>,
    /// With --input: the duration column (positive numbers).
    #[arg(long, requires = "input")]
    pub duration: Option<String>,
    /// With --input: the event column (0/1, true/false, yes/no, or --event-values).
    #[arg(long, requires = "input")]
    pub event: Option<String>,
    /// Labels of the event column that mean the event happened.
    #[arg(long, num_args = 1.., requires = "input")]
    pub event_values: Vec<String>,
    /// With --input: a column whose levels get one curve each and a log-rank test.
    #[arg(long, requires = "input")]
    pub group: Option<String>,
    /// With --input: numeric covariates of the Cox model.
    #[arg(long, num_args = 1.., requires = "input")]
    pub covariate: Vec<String>,
    /// With --input: categorical covariates (one dummy per non-reference level).
    #[arg(long, num_args = 1.., requires = "input")]
    pub categorical: Vec<String>,
    /// With --input: the reference level of a categorical, `COL=LEVEL`.
    #[arg(long, num_args = 1.., requires = "input")]
    pub reference: Vec<String>,
    /// Unit of the durations (default: the config's, else months).
    #[arg(long, value_enum)]
    pub unit: Option<crate::config::TimeUnit>,
    /// Ties in the Cox model (default: the config's, else efron).
    #[arg(long, value_enum)]
    pub ties: Option<Ties>,
    /// Times to report survival at (default 12 24 36 months).
    #[arg(long, num_args = 1..)]
    pub horizon: Vec<f64>,
    /// Horizon of the restricted mean survival time.
    #[arg(long)]
    pub tau: Option<f64>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// With --format csv: the table to print.
    #[arg(long, value_enum, default_value_t = Table::Km)]
    pub table: Table,
    // --png DIR: the Kaplan–Meier chart and the hazard-ratio forest plot.
    #[command(flatten)]
    pub charts: super::ChartDir,
    /// The SQL engine the config's tables live in (`postgres://…`,
    /// `sc://host:15002`), over `[engine] url`: the durations' checks, the
    /// Kaplan–Meier curves, log-rank tests and restricted means (one scan
    /// counting every grouping by time), the Cox model (one scan per
    /// pass) and its PH check, the verdicts beside the logistic model's
    /// (the driver stage, as `drivers --engine`); not its concordance yet.
    #[arg(long, value_name = "URL", requires = "config")]
    pub engine: Option<String>,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let (mut cfg, group) = match (&a.config, &a.input) {
        (Some(c), _) => (load_config(c)?, None),
        (None, Some(input)) => (generic_config(input, &a)?, a.group.clone()),
        (None, None) => unreachable!("clap requires --config or --input"),
    };
    if let Some(t) = a.ties {
        cfg.survival.ties = t;
    }
    if let Some(u) = a.unit {
        cfg.survival.unit = u;
    }
    if !a.horizon.is_empty() {
        cfg.survival.horizons = Some(a.horizon.clone());
    }
    if a.tau.is_some() {
        cfg.survival.tau = a.tau;
    }
    if !cfg.drivers.is_empty() {
        cfg.recheck()?;
    }
    super::engine_override(&mut cfg, &a.engine);
    if a.config.is_some() && super::on_engine(&cfg) {
        return on_engine(&a, &cfg);
    }
    let study = crate::load_study(&cfg)?;
    if let Some(e) = study.accounts.one_class_error() {
        return Err(e.into());
    }
    let drivers = if a.config.is_some() {
        Some(crate::drivers::analyse(&study.accounts, &cfg.analysis)?)
    } else {
        None
    };
    let report = crate::survival::analyse(&study, &cfg, drivers.as_ref(), group.as_deref())?
        .ok_or_else(|| Error::Usage {
            flag: "--config".into(),
            message: crate::results::SURVIVAL_SKIPPED.into(),
        })?;
    if let Some(dir) = &a.charts.dir {
        write_charts(&report, dir, &study.name, group.as_deref(), a.charts.force)?;
    }
    match a.format {
        Format::Table => print(&survival_text::survival(&report)),
        Format::Json => print(&(serde_json::to_string_pretty(&report)? + "\n")),
        Format::Csv => print(&csv_table(&report, a.table)),
    }
}

/// `survival --engine`: the curves, log-rank tests, restricted means, the
/// Cox model and its PH check, with what was asked of the engine.
fn on_engine(a: &Args, cfg: &StudyConfig) -> anyhow::Result<()> {
    let e = crate::pipeline::engine::survival(cfg)?;
    if let Some(dir) = &a.charts.dir {
        write_charts(&e.report, dir, &cfg.name(), None, a.charts.force)?;
    }
    match (a.format, a.table) {
        (Format::Table, _) => print(&crate::report::engine_text::survival(&e)),
        (Format::Json, _) => print(&(serde_json::to_string_pretty(&e)? + "\n")),
        (Format::Csv, t) => print(&csv_table(&e.report, t)),
    }
}

/// The CSV of table `t`.
fn csv_table(r: &SurvivalReport, t: Table) -> String {
    match t {
        Table::Km => csv::km_tables(&r.kaplan_meier.groups),
        Table::Cox => csv::cox_coefficients(r),
        Table::Logrank => csv::logrank_tests(r),
        Table::Ph => csv::ph_tests(r),
        Table::Rmst => csv::rmst(r),
    }
}

/// The main curves and the forest plot, PNG and SVG.
fn write_charts(
    r: &SurvivalReport,
    dir: &Path,
    study: &str,
    group: Option<&str>,
    force: bool,
) -> anyhow::Result<()> {
    let km = KmChart::main(r, study, group);
    let forest = ForestChart::of_cox(r, study);
    let mut files = vec![
        dir.join(format!("{}.png", KmChart::MAIN)),
        dir.join(format!("{}.svg", KmChart::MAIN)),
    ];
    if forest.is_some() {
        files.push(dir.join(format!("{}.png", ForestChart::COX_STEM)));
        files.push(dir.join(format!("{}.svg", ForestChart::COX_STEM)));
    }
    ensure_absent(&files, force)?;
    write_chart(&km, dir, KmChart::MAIN)?;
    if let Some(f) = forest {
        write_chart(&f, dir, ForestChart::COX_STEM)?;
    }
    Ok(())
}

/// A study config for the generic form: the table as accounts, the duration
/// as `[survival] tenure`, the event as the outcome, the group and the
/// covariates as drivers.
fn generic_config(input: &Path, a: &Args) -> anyhow::Result<StudyConfig> {
    use toml::Value;
    let s = |v: &str| Value::String(v.to_string());
    let mut accounts = toml::Table::new();
    let abs = std::path::absolute(input).unwrap_or_else(|_| input.to_path_buf());
    accounts.insert("path".into(), s(&abs.to_string_lossy()));
    accounts.insert("churned".into(), s(a.event.as_deref().unwrap_or_default()));
    if !a.event_values.is_empty() {
        accounts.insert(
            "churned_values".into(),
            Value::Array(a.event_values.iter().map(|v| s(v)).collect()),
        );
    }
    let mut references = std::collections::HashMap::new();
    for r in &a.reference {
        let (col, lev) = r.split_once('=').ok_or_else(|| Error::Usage {
            flag: "--reference".into(),
            message: format!("`{r}` must be COL=LEVEL, e.g. Contract=Month-to-Month"),
        })?;
        references.insert(col.to_string(), lev.to_string());
    }
    let mut drivers = Vec::new();
    let mut covariates = Vec::new();
    let mut add = |col: &str, kind: &str, covariate: bool| {
        let mut d = toml::Table::new();
        d.insert("column".into(), s(col));
        d.insert("kind".into(), s(kind));
        if let Some(r) = references.get(col) {
            d.insert("reference".into(), s(r));
        }
        if covariate {
            covariates.push(s(col));
        }
        drivers.push(Value::Table(d));
    };
    for c in &a.covariate {
        add(c, "numeric", true);
    }
    for c in &a.categorical {
        add(c, "categorical", true);
    }
    if let Some(g) = &a.group {
        if !a.covariate.contains(g) && !a.categorical.contains(g) {
            add(g, "categorical", false);
        }
    }
    let mut survival = toml::Table::new();
    survival.insert(
        "tenure".into(),
        s(a.duration.as_deref().unwrap_or_default()),
    );
    survival.insert("covariates".into(), Value::Array(covariates));
    let mut study = toml::Table::new();
    let stem = input
        .file_stem()
        .map(|x| x.to_string_lossy().into_owned())
        .unwrap_or_default();
    study.insert("name".into(), s(&stem));
    let mut root = toml::Table::new();
    root.insert("study".into(), Value::Table(study));
    root.insert("accounts".into(), Value::Table(accounts));
    root.insert("drivers".into(), Value::Array(drivers));
    root.insert("survival".into(), Value::Table(survival));
    let text = toml::to_string(&root)?;
    let mut cfg: StudyConfig = toml::from_str(&text).map_err(|e| Error::Usage {
        flag: "--input".into(),
        message: e.message().to_string(),
    })?;
    cfg.source = PathBuf::from("(command line)");
    cfg.base_dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(cfg)
}
