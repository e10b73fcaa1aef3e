//! `churnlab spc`: any series from a file on any chart (like R qcc), and
//! `churnlab control`: the study's KPI control charts.

use std::path::{Path, PathBuf};

use super::{load_config, print};
use crate::data::parse::{self, Ctx};
use crate::data::read::{read_table, ColumnRequest, ReadOptions, Want};
use crate::error::Error;
use crate::output::ensure_absent;
use crate::report::charts::control::ControlPlot;
use crate::report::charts::write_chart;
use crate::report::{csv, text};
use crate::spc::{self, ControlChart, Kind, Options, Rule, RuleParams, Series};

use super::TabularFormat as Format;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data file (CSV, Parquet or NDJSON), one row per point (or per
    /// observation, grouped with --subgroup).
    #[arg(long)]
    pub input: PathBuf,
    #[arg(long, value_enum)]
    pub chart: Kind,
    /// Counts (p, np, c, u, laney-p, laney-u), values (xmr, run) or
    /// observations (xbar-r/s).
    #[arg(long)]
    pub value: String,
    /// Subgroup sizes (p, np, laney-p) or exposure (u, laney-u); for a run
    /// chart, an optional denominator (the chart plots value ÷ size).
    #[arg(long)]
    pub size: Option<String>,
    /// Groups observations into subgroups (xbar-r, xbar-s).
    #[arg(long)]
    pub subgroup: Option<String>,
    /// Phase of each point (a column); each phase gets its own limits.
    #[arg(long, conflicts_with = "phase_after")]
    pub phase: Option<String>,
    /// New phases after these 1-based points, e.g. `10` or `10,20`
    /// (qicharts2's `part`).
    #[arg(long, value_delimiter = ',')]
    pub phase_after: Vec<usize>,
    /// Point labels (default: the subgroup, else the row number).
    #[arg(long)]
    pub label: Option<String>,
    /// Points that set the limits, 1-based and inclusive, e.g. `1..25`; the rest are phase II.
    #[arg(long)]
    pub baseline_rows: Option<String>,
    /// Drop baseline points beyond the first limits and recompute once.
    #[arg(long)]
    pub revise: bool,
    /// `we`, `nelson`, `none`, or a list such as `we1,we4,nelson3`.
    #[arg(long, default_value = "we")]
    pub rules: String,
    /// Points in a row on one side for we4 / nelson2 (default 8 / 9).
    #[arg(long)]
    pub run_length: Option<usize>,
    /// Points in a row steadily up or down for nelson3 (default 6).
    #[arg(long)]
    pub trend_length: Option<usize>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the chart as PNG (and SVG beside it).
    #[arg(long)]
    pub png: Option<PathBuf>,
    /// Replace chart files that already exist.
    #[arg(long)]
    pub force: bool,
}

fn usage(flag: &str, message: String) -> Error {
    Error::Usage {
        flag: flag.into(),
        message,
    }
}

/// `A..B` (1-based, inclusive) → 0-based pair.
fn range(s: &str) -> Result<(usize, usize), Error> {
    let err = || {
        usage(
            "--baseline-rows",
            format!("`{s}` is not a range like 1..25"),
        )
    };
    let (a, b) = s.split_once("..").ok_or_else(err)?;
    let a: usize = a.trim().parse().map_err(|_| err())?;
    let b: usize = b.trim().parse().map_err(|_| err())?;
    if a == 0 || b < a {
        return Err(err());
    }
    Ok((a - 1, b - 1))
}

fn ctx<'a>(path: &'a Path, column: &'a str) -> Ctx<'a> {
    Ctx {
        path,
        column,
        missing_tokens: &[],
    }
}

/// Reads the series the flags describe, with file/column/row errors.
fn read_series<'a>(a: &'a Args) -> Result<Series, Error> {
    let path = a.input.as_path();
    let mut req = vec![ColumnRequest::new(&a.value, "value", Want::Number)];
    for (c, role, want) in [
        (&a.size, "subgroup size", Want::Number),
        (&a.subgroup, "subgroup", Want::Text),
        (&a.phase, "phase", Want::Text),
        (&a.label, "label", Want::Text),
    ] {
        if let Some(c) = c {
            req.push(ColumnRequest::new(c, role, want));
        }
    }
    let t = read_table(
        path,
        &req,
        ReadOptions {
            strict_structure: true,
        },
    )?;
    let c = |column: &'a str| ctx(path, column);
    let values = parse::numbers(t.column(&a.value)?, c(&a.value))?;
    let attribute = matches!(
        a.chart,
        Kind::P | Kind::Np | Kind::C | Kind::U | Kind::LaneyP | Kind::LaneyU
    );
    for (i, v) in values.iter().enumerate() {
        if v.is_nan() {
            return Err(c(&a.value).bad(i, "", "is blank; every point needs a value"));
        }
        if attribute && *v < 0.0 {
            return Err(c(&a.value).bad(
                i,
                crate::format::plain(*v),
                "is negative; counts must be 0 or more",
            ));
        }
    }
    let sizes = match &a.size {
        Some(col) => {
            let s = parse::numbers(t.column(col)?, c(col))?;
            for (i, (m, x)) in s.iter().zip(&values).enumerate() {
                if m.is_nan() || *m <= 0.0 {
                    return Err(c(col).bad(
                        i,
                        crate::format::plain(*m),
                        "is not a positive subgroup size",
                    ));
                }
                if matches!(a.chart, Kind::P | Kind::Np | Kind::LaneyP) && x > m {
                    return Err(c(&a.value).bad(
                        i,
                        crate::format::plain(*x),
                        format!(
                            "is more than its subgroup size {} (column `{col}`)",
                            crate::format::plain(*m)
                        ),
                    ));
                }
            }
            Some(s)
        }
        None => None,
    };
    let texts = |col: &'a Option<String>| -> Result<Option<Vec<String>>, Error> {
        match col {
            None => Ok(None),
            Some(col) => Ok(Some(
                parse::texts(t.column(col)?, c(col))?
                    .into_iter()
                    .map(|v| v.unwrap_or_default())
                    .collect(),
            )),
        }
    };
    let phases = match texts(&a.phase)? {
        Some(p) => Some(p),
        None => phases_after(&a.phase_after, values.len())?,
    };
    let labels = texts(&a.label)?;
    match (&a.subgroup, a.chart) {
        (Some(_), Kind::XbarR | Kind::XbarS) => {
            let sub = texts(&a.subgroup)?.unwrap_or_default();
            let mut keys: Vec<String> = Vec::new();
            let mut groups: Vec<Vec<f64>> = Vec::new();
            let mut ph: Vec<String> = Vec::new();
            let mut first_row: Vec<usize> = Vec::new();
            for (i, k) in sub.iter().enumerate() {
                match keys.iter().position(|x| x == k) {
                    Some(j) => groups[j].push(values[i]),
                    None => {
                        keys.push(k.clone());
                        groups.push(vec![values[i]]);
                        first_row.push(i);
                        if let Some(p) = &phases {
                            ph.push(p[i].clone());
                        }
                    }
                }
            }
            Ok(Series {
                labels: match &labels {
                    Some(l) => first_row.iter().map(|&i| l[i].clone()).collect(),
                    None => keys,
                },
                values: Vec::new(),
                sizes: None,
                groups: Some(groups),
                subgroups: None,
                phases: phases.map(|_| ph),
            })
        }
        (None, Kind::XbarR | Kind::XbarS) => Err(usage(
            "--subgroup",
            "xbar-r and xbar-s need --subgroup COL to group observations".into(),
        )),
        _ => Ok(Series {
            labels: labels.unwrap_or_else(|| (1..=values.len()).map(|i| i.to_string()).collect()),
            values,
            sizes,
            groups: None,
            subgroups: None,
            phases,
        }),
    }
}

/// Phase labels I, II, … for `n` points with a new phase after each of the
/// 1-based points in `breaks`; `None` without breaks.
fn phases_after(breaks: &[usize], n: usize) -> Result<Option<Vec<String>>, Error> {
    if breaks.is_empty() {
        return Ok(None);
    }
    let mut b = breaks.to_vec();
    b.sort_unstable();
    b.dedup();
    if let Some(bad) = b.iter().find(|&&k| k == 0 || k >= n) {
        return Err(usage(
            "--phase-after",
            format!(
                "{bad} is not a point after which a phase can start (the series has {n} points)"
            ),
        ));
    }
    const ROMAN: [&str; 10] = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"];
    Ok(Some(
        (0..n)
            .map(|i| {
                let k = b.iter().filter(|&&x| i >= x).count();
                ROMAN
                    .get(k)
                    .map_or_else(|| format!("P{}", k + 1), |r| r.to_string())
            })
            .collect(),
    ))
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let chart = chart_of(&a)?;
    let title = format!("{} chart of {}", a.chart.as_str(), a.value);
    if let Some(png) = &a.png {
        write_plot(&chart, &title, &a.input.display().to_string(), png, a.force)?;
    }
    emit(&[(title, chart)], a.format)
}

/// The chart the flags ask for, read and computed but not written: what
/// `churnlab spc` prints (and what the series fuzz target drives).
///
/// # Errors
/// Unusable flags, or the file's errors naming column, row and value.
pub fn chart_of(a: &Args) -> anyhow::Result<spc::ControlChart> {
    let rules = Rule::parse_list(&a.rules).ok_or_else(|| {
        usage(
            "--rules",
            format!(
                "`{}` is not `we`, `nelson`, `none` or a list of we1..we4, nelson1..nelson8",
                a.rules
            ),
        )
    })?;
    let mut params = RuleParams::default();
    if let Some(k) = a.run_length {
        if k < 2 {
            return Err(usage("--run-length", "must be at least 2".into()).into());
        }
        params.same_side_we = k;
        params.same_side_nelson = k;
    }
    if let Some(k) = a.trend_length {
        if k < 3 {
            return Err(usage("--trend-length", "must be at least 3".into()).into());
        }
        params.trend = k;
    }
    let baseline = a.baseline_rows.as_deref().map(range).transpose()?;
    let series = read_series(a)?;
    let opts = Options {
        kind: a.chart,
        rules,
        params,
        baseline,
        revise: a.revise,
    };
    Ok(spc::chart(&series, &opts)?)
}

fn write_plot(
    c: &ControlChart,
    title: &str,
    subtitle: &str,
    png: &Path,
    force: bool,
) -> anyhow::Result<()> {
    let dir = png
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let stem = png
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "control".into());
    ensure_absent(
        &[
            dir.join(format!("{stem}.png")),
            dir.join(format!("{stem}.svg")),
        ],
        force,
    )?;
    write_chart(&ControlPlot::new(c, title, subtitle), dir, &stem)?;
    Ok(())
}

fn emit(charts: &[(String, ControlChart)], format: Format) -> anyhow::Result<()> {
    match format {
        Format::Table => print(
            &charts
                .iter()
                .map(|(t, c)| text::control_chart(t, c))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        Format::Json => {
            let v = if charts.len() == 1 {
                serde_json::to_value(&charts[0].1)?
            } else {
                serde_json::to_value(
                    charts
                        .iter()
                        .map(|(t, c)| serde_json::json!({"title": t, "chart": c}))
                        .collect::<Vec<_>>(),
                )?
            };
            print(&(serde_json::to_string_pretty(&v)? + "\n"))
        }
        Format::Csv => print(&csv::control_points(charts)),
    }
}

#[derive(Debug, clap::Args)]
pub struct ControlArgs {
    /// The study config (TOML).
    #[arg(long, short)]
    pub config: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    // --png DIR: every KPI chart.
    #[command(flatten)]
    pub charts: super::ChartDir,
}

pub fn control(a: ControlArgs) -> anyhow::Result<()> {
    let cfg = load_config(&a.config)?;
    let study = crate::data::load_study(&cfg)?;
    let drivers = crate::drivers::analyse(&study.accounts, &cfg.analysis).ok();
    let report = crate::kpis::analyse(&study, drivers.as_ref(), &cfg);
    if report.control.is_empty() {
        print("No KPI control charts: the study has no [revenue] table with at least 3 months.\n")?;
        return Ok(());
    }
    if let Some(dir) = &a.charts.dir {
        let paths: Vec<PathBuf> = report
            .control
            .iter()
            .flat_map(|k| {
                [
                    dir.join(format!("{}.png", k.stem)),
                    dir.join(format!("{}.svg", k.stem)),
                ]
            })
            .collect();
        ensure_absent(&paths, a.charts.force)?;
        for k in &report.control {
            write_chart(
                &ControlPlot::new(&k.chart, &k.title, &study.name),
                dir,
                &k.stem,
            )?;
        }
    }
    let charts: Vec<(String, ControlChart)> = report
        .control
        .iter()
        .map(|k| (k.title.clone(), k.chart.clone()))
        .collect();
    emit(&charts, a.format)
}
