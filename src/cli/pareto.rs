//! `churnlab pareto`: cancellation reasons ranked by frequency and by lost
//! revenue, for a study or, like R qcc's `pareto.chart`, for any table.

use std::path::{Path, PathBuf};

use clap::ValueEnum;

use super::{load_config, print};
use crate::data::parse::{self, Ctx};
use crate::data::read::{read_table, ColumnRequest, ReadOptions, Want};
use crate::error::Error;
use crate::format::thousands;
use crate::output::ensure_absent;
use crate::pareto::{pareto, study_pareto, Measure, Pareto, ParetoParams};
use crate::report::charts::pareto::ParetoChart;
use crate::report::charts::write_chart;
use crate::report::{csv, text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum By {
    Frequency,
    Revenue,
    Both,
}

use super::TabularFormat as Format;

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["config", "input"])))]
pub struct Args {
    /// The study config (TOML): ranks its churned accounts' reasons.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Any table (CSV, Parquet, NDJSON): ranks every row by --category.
    #[arg(long, requires = "category")]
    pub input: Option<PathBuf>,
    /// With --input: the label column to rank.
    #[arg(long, requires = "input")]
    pub category: Option<String>,
    /// With --input: a numeric column to rank by as well (revenue, cost, …).
    #[arg(long, requires = "input")]
    pub weight: Option<String>,
    /// Which ranking(s) to show.
    #[arg(long, value_enum, default_value_t = By::Both)]
    pub by: By,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    // --png DIR: the Pareto charts.
    #[command(flatten)]
    pub charts: super::ChartDir,
    /// Cumulative share that defines the vital few (default 0.8, or the config's).
    #[arg(long)]
    pub cutoff: Option<f64>,
    /// Fold reasons below this share into "Other" (default 0, or the config's).
    #[arg(long)]
    pub other_below: Option<f64>,
    /// With --config: the SQL engine its tables live in (`postgres://…`,
    /// `sc://host:15002`), over `[engine] url`.
    #[arg(long, value_name = "URL", requires = "config")]
    pub engine: Option<String>,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let measures: Vec<Measure> = match a.by {
        By::Frequency => vec![Measure::Frequency],
        By::Revenue => vec![Measure::Revenue],
        By::Both => vec![Measure::Frequency, Measure::Revenue],
    };
    let mut notes: Vec<String> = Vec::new();
    let (title, value_label, mut json, p) = match (&a.config, &a.input) {
        (Some(config), _) => {
            let mut cfg = load_config(config)?;
            if let Some(c) = a.cutoff {
                cfg.pareto.cutoff = c;
            }
            if let Some(o) = a.other_below {
                cfg.pareto.other_below = o;
            }
            super::engine_override(&mut cfg, &a.engine);
            let (name, report, usage) = if super::on_engine(&cfg) {
                let (report, usage) = crate::pipeline::engine::pareto(&cfg)?.unzip();
                (cfg.name(), report, usage)
            } else {
                let study = crate::load_study(&cfg)?;
                (
                    study.name.clone(),
                    study_pareto(&study.accounts, &cfg.pareto)?,
                    None,
                )
            };
            let report = report.ok_or_else(|| Error::Usage {
                flag: "--config".into(),
                message: format!(
                    "{} has no cancellation-reason column; set accounts.reason in the config",
                    config.display()
                ),
            })?;
            let mut json = serde_json::to_value(&report)?;
            // On an engine, what the stage asked of it.
            if let Some(u) = usage {
                json["usage"] = serde_json::to_value(u)?;
            }
            notes = report.notes.clone();
            let value_label = format!(
                "Lost revenue ({})",
                report.revenue_column.clone().unwrap_or_default()
            );
            (name, value_label, json, report.overall)
        }
        (None, Some(input)) => {
            let p = generic(input, &a)?;
            let value_label = a.weight.clone().unwrap_or_default();
            (
                format!(
                    "{} ({})",
                    a.category.clone().unwrap_or_default(),
                    input.display()
                ),
                value_label,
                serde_json::to_value(&p)?,
                p,
            )
        }
        (None, None) => unreachable!("clap requires --config or --input"),
    };
    if !measures.contains(&Measure::Revenue) {
        json["by_revenue"] = serde_json::Value::Null;
    }
    if !measures.contains(&Measure::Frequency) {
        json["by_frequency"] = serde_json::Value::Null;
    }
    if let Some(dir) = &a.charts.dir {
        write_charts(&p, &measures, dir, &title, &value_label, a.charts.force)?;
    }
    match a.format {
        Format::Json => print(&(serde_json::to_string_pretty(&json)? + "\n")),
        Format::Csv => print(&csv::pareto(&p, &measures)),
        Format::Table => {
            let mut out = String::new();
            for &m in &measures {
                let Some(rows) = p.ranking(m) else {
                    out.push_str("by revenue: no revenue column, so no revenue ranking\n\n");
                    continue;
                };
                let head = match m {
                    Measure::Frequency => format!(
                        "Cancellation reasons by frequency ({} accounts, cut-off {:.0} %)",
                        thousands(p.total_count),
                        100.0 * p.cutoff
                    ),
                    Measure::Revenue => format!(
                        "Cancellation reasons by lost revenue ({:.2} in all, cut-off {:.0} %)",
                        p.total_revenue,
                        100.0 * p.cutoff
                    ),
                };
                out.push_str(&text::pareto_ranking(&head, rows, m));
                out.push('\n');
            }
            for n in &notes {
                out.push_str(&format!("note: {n}\n"));
            }
            print(&out)
        }
    }
}

/// The qcc-like form: every row of any table.
fn generic(input: &Path, a: &Args) -> anyhow::Result<Pareto> {
    let category = a.category.as_deref().unwrap_or_default();
    let mut req = vec![ColumnRequest::new(category, "category", Want::Text)];
    if let Some(w) = &a.weight {
        req.push(ColumnRequest::new(w, "weight", Want::Number));
    }
    let table = read_table(
        input,
        &req,
        ReadOptions {
            strict_structure: true,
        },
    )?;
    let ctx = |column| Ctx {
        path: input,
        column,
        missing_tokens: &[],
    };
    let labels = parse::texts(table.column(category)?, ctx(category))?;
    let weights = match &a.weight {
        Some(w) => {
            let v = parse::numbers(table.column(w)?, ctx(w))?;
            if let Some(i) = v.iter().position(|x| *x < 0.0) {
                return Err(ctx(w)
                    .bad(
                        i,
                        crate::format::plain(v[i]),
                        "is negative; weights must be ≥ 0",
                    )
                    .into());
            }
            Some(v)
        }
        None => None,
    };
    let params = ParetoParams::new(a.cutoff.unwrap_or(0.8), a.other_below.unwrap_or(0.0))?;
    let refs: Vec<Option<&str>> = labels.iter().map(|l| l.as_deref()).collect();
    Ok(pareto(&refs, weights.as_deref(), &params)?)
}

fn write_charts(
    p: &Pareto,
    measures: &[Measure],
    dir: &Path,
    title: &str,
    value_label: &str,
    force: bool,
) -> anyhow::Result<()> {
    let mut targets = Vec::new();
    for m in measures {
        for ext in ["png", "svg"] {
            targets.push(dir.join(format!("{}.{ext}", ParetoChart::stem(*m))));
        }
    }
    ensure_absent(&targets, force)?;
    for &m in measures {
        if let Some(chart) = ParetoChart::of(p, m, title, value_label) {
            write_chart(&chart, dir, ParetoChart::stem(m))?;
        }
    }
    Ok(())
}
