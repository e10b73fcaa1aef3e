//! The accounts table on an engine, checked by the data contract's rules as
//! aggregate queries in three scans: the ids present and unique; every
//! label column's distinct cells (the outcome, reason, owner, segments and
//! the drivers held as labels); every number column's first bad cell (the
//! revenue weight ≥ 0, the drivers' ranges), by the checks of
//! `engine::table`.

use super::dates::DateCells;
use super::drivers::EngineDriver;
use super::sql::{NumberRule, Relation};
pub use super::table::NumberFacts;
use super::table::{open, Distinct, Table};
use super::Engine;
use crate::config::{DriverConfig, DriverKind, StudyConfig};
use crate::data::parse::{self, FlagSpec};
use crate::error::{Error, Result};

/// The accounts relation as checked: how to read it, and what its labels mean.
#[derive(Debug, Clone)]
pub struct EngineAccounts {
    /// How messages name it (`table public.accounts`).
    pub name: String,
    /// Its FROM clause, and its id column.
    pub from: String,
    pub key: String,
    pub rows: usize,
    /// Cells of the outcome column that mean churned (as `Dialect::cell` gives them).
    pub churned_cells: Vec<String>,
    pub n_churned: usize,
    /// Per segment column: its levels in the in-memory order (count, then name).
    pub segments: Vec<(String, Vec<String>)>,
    /// Per segment column (as `segments`): each level's rows, and the blanks.
    pub segment_counts: Vec<(Vec<usize>, usize)>,
    /// The owner column's blank cells.
    pub owner_blanks: Option<usize>,
    /// The owner column and its levels in the in-memory order.
    pub owner: Option<(String, Vec<String>)>,
    /// The revenue weight column's number facts.
    pub revenue_facts: Option<NumberFacts>,
    /// The config's drivers, in order: how the model reads each.
    pub drivers: Vec<EngineDriver>,
    /// The outcome column, and the cells that mean blank.
    pub outcome: String,
    pub missing: Vec<String>,
    /// The start and end date columns: each distinct cell and its day.
    pub start_date: Option<DateCells>,
    pub end_date: Option<DateCells>,
    /// The `[survival] tenure` column, checked as a number ≥ 0.
    pub tenure: Option<String>,
}

impl EngineAccounts {
    /// The relation, as the checks of a table of rows per account read it.
    pub(super) fn table(&self) -> Table<'_> {
        Table {
            name: &self.name,
            from: &self.from,
            key: &self.key,
            missing: &self.missing,
        }
    }

    /// Number column `column` as SQL: its double where the cell reads as a
    /// number, NULL where blank (the checks refused anything else).
    pub fn number_sql(&self, d: super::Dialect, column: &str) -> String {
        let cell = d.cell(column, &self.missing);
        format!(
            "CASE WHEN {} THEN {} END",
            d.is_number(&cell),
            d.double(&cell)
        )
    }

    /// The outcome as SQL: 1 for a churned account, else 0.
    pub fn churned_sql(&self, d: super::Dialect) -> String {
        if self.churned_cells.is_empty() {
            return "0".into();
        }
        let cells: Vec<String> = self.churned_cells.iter().map(|c| d.literal(c)).collect();
        format!(
            "CASE WHEN ({}) IN ({}) THEN 1 ELSE 0 END",
            d.cell(&self.outcome, &self.missing),
            cells.join(", ")
        )
    }
}

/// Checks the accounts relation of `cfg` on `engine`.
///
/// # Errors
/// [`Error::Table`], [`Error::TableColumn`] or [`Error::TableValue`]
/// naming the table, column, key and value of the first broken rule.
pub fn check(engine: &mut Engine, cfg: &StudyConfig) -> Result<EngineAccounts> {
    let a = &cfg.accounts;
    let Some(rel) = Relation::of(&a.table, &a.query) else {
        return Err(Error::Config {
            path: cfg.source.clone(),
            message: "[accounts] has no `table` or `query` for the engine".into(),
        });
    };
    let Some(key) = a.id.clone() else {
        return Err(Error::Config {
            path: cfg.source.clone(),
            message: "[accounts] id is required on an engine (a table has no row numbers to name a row by)".into(),
        });
    };
    let (name, from) = open(engine, &rel, "accounts", &wanted(cfg))?;
    let t = Table {
        name: &name,
        from: &from,
        key: &key,
        missing: &a.missing_values,
    };
    // Scan 1: rows, and the ids present and unique.
    let rows = t.ids(engine)?;
    // Scan 2: every label column's distinct cells.
    let label_drivers: Vec<&DriverConfig> = cfg.drivers.iter().filter(|d| !is_number(d)).collect();
    let mut label_cols: Vec<&str> = vec![a.churned.as_str()];
    label_cols.extend(a.reason.as_deref());
    label_cols.extend(a.owner.as_deref());
    label_cols.extend(a.segments.iter().map(String::as_str));
    label_cols.extend(label_drivers.iter().map(|d| d.column.as_str()));
    label_cols.extend(a.start_date.iter().chain(&a.end_date).map(String::as_str));
    let mut distinct = t.distinct(engine, &label_cols)?.into_iter();
    let mut next = || distinct.next().unwrap_or_default();
    // The outcome: a flag in every row, by the file's rules.
    let outcome = next();
    let spec = FlagSpec {
        positive: &a.churned_values,
        negative: &a.retained_values,
    };
    let flags = t.rule(&a.churned, &outcome, |c, ctx| parse::flags(c, ctx, &spec))?;
    let mut churned_cells = Vec::new();
    let mut n_churned = 0;
    for (v, f) in outcome.iter().zip(flags) {
        match f {
            None => {
                return Err(t.bad(
                    &a.churned,
                    v,
                    "is blank; the churn outcome is required for every account",
                ))
            }
            Some(true) => {
                n_churned += v.count;
                churned_cells.extend(v.value.clone());
            }
            Some(false) => {}
        }
    }
    // Labels: printable text.
    let blanks = |cells: &[Distinct]| -> usize {
        cells
            .iter()
            .filter(|c| c.value.is_none())
            .map(|c| c.count)
            .sum()
    };
    if let Some(col) = &a.reason {
        t.rule(col, &next(), parse::texts)?;
    }
    // A role column's levels in the in-memory order (count, then name),
    // with each level's rows and the blanks.
    let levels =
        |col: &str, mut cells: Vec<Distinct>| -> Result<(Vec<String>, Vec<usize>, usize)> {
            t.rule(col, &cells, parse::texts)?;
            let blank = blanks(&cells);
            cells.retain(|c| c.value.is_some());
            cells.sort_by(|x, y| y.count.cmp(&x.count).then_with(|| x.value.cmp(&y.value)));
            let counts = cells.iter().map(|c| c.count).collect();
            Ok((
                cells.into_iter().filter_map(|c| c.value).collect(),
                counts,
                blank,
            ))
        };
    let mut owner_blanks = None;
    let mut owner = None;
    if let Some(col) = &a.owner {
        let (names, _, blank) = levels(col, next())?;
        owner_blanks = Some(blank);
        owner = Some((col.clone(), names));
    }
    let mut segments = Vec::new();
    let mut segment_counts = Vec::new();
    for col in &a.segments {
        let (names, counts, blank) = levels(col, next())?;
        segment_counts.push((counts, blank));
        segments.push((col.clone(), names));
    }
    // Drivers held as labels: the file's driver rules (levels, reference,
    // the positive label) on their distinct cells, which then say how the
    // model reads each cell.
    let mut drivers: Vec<Option<EngineDriver>> = cfg.drivers.iter().map(|_| None).collect();
    for (k, d) in cfg
        .drivers
        .iter()
        .enumerate()
        .filter(|(_, d)| !is_number(d))
    {
        let cells = next();
        let driver = t.rule(&d.column, &cells, |c, ctx| {
            let table = crate::data::read::Table {
                path: ctx.path.to_path_buf(),
                df: polars::prelude::DataFrame::new(c.len(), vec![c.clone()])?,
            };
            crate::data::driver_columns::load_driver(
                &table,
                ctx.path,
                d,
                ctx.missing_tokens,
                &mut Vec::new(),
            )
        })?;
        let seen: Vec<(Option<String>, usize)> =
            cells.iter().map(|c| (c.value.clone(), c.count)).collect();
        drivers[k] = Some(EngineDriver::of_labels(d, &driver, &seen, rows));
    }
    // Dates: each distinct cell by the file's date rule.
    let mut date = |col: &Option<String>| -> Result<Option<DateCells>> {
        match col {
            Some(c) => {
                let cells = next();
                let dates = t.rule(c, &cells, parse::dates)?;
                let values = cells.into_iter().map(|c| c.value).collect();
                Ok(Some(DateCells::of(c, values, dates)))
            }
            None => Ok(None),
        }
    };
    let (start_date, end_date) = (date(&a.start_date)?, date(&a.end_date)?);
    // Scan 3: every number column's first bad cell.
    let mut rules: Vec<(NumberRule, String)> = Vec::new();
    if let Some(col) = &a.revenue {
        let rule = NumberRule {
            column: col,
            low: 0.0,
            high: f64::INFINITY,
            whole: false,
        };
        rules.push((rule, "is negative; a revenue weight must be ≥ 0".into()));
    }
    for d in cfg.drivers.iter().filter(|d| is_number(d)) {
        let [low, high] = d.range.unwrap_or([f64::NEG_INFINITY, f64::INFINITY]);
        let why = if d.count {
            "is outside the range set for this driver, or not a whole number ≥ 0 (count = true)"
                .to_string()
        } else {
            format!(
                "is outside the range [{}, {}] set for this driver",
                crate::format::plain(low),
                crate::format::plain(high)
            )
        };
        let rule = NumberRule {
            column: &d.column,
            low: if d.count { low.max(0.0) } else { low },
            high,
            whole: d.count,
        };
        rules.push((rule, why));
    }
    // The account-KPI columns, after the drivers, by the file's rules.
    let k = &cfg.kpis;
    for (col, _) in k.columns() {
        let (low, high, whole, why) =
            k.bounds(col)
                .unwrap_or((f64::NEG_INFINITY, f64::INFINITY, false, ""));
        let rule = NumberRule {
            column: col,
            low,
            high,
            whole,
        };
        rules.push((rule, why.to_string()));
    }
    let tenure = cfg.survival.tenure.clone();
    if let Some(col) = &tenure {
        let rule = NumberRule {
            column: col,
            low: 0.0,
            high: f64::INFINITY,
            whole: false,
        };
        rules.push((rule, crate::data::durations::NOT_POSITIVE.into()));
    }
    let present = t.numbers(engine, &rules)?;
    let revenue_facts = a.revenue.as_ref().and_then(|_| present.first().copied());
    // The number drivers' facts, from the same scan (after the revenue rule).
    let mut facts = present.into_iter().skip(usize::from(a.revenue.is_some()));
    for (slot, d) in drivers.iter_mut().zip(&cfg.drivers) {
        if slot.is_none() {
            let f = facts.next().unwrap_or(NumberFacts {
                present: 0,
                low: f64::NAN,
                high: f64::NAN,
                sum: 0.0,
            });
            *slot = Some(EngineDriver::of_numbers(d, &f, rows));
        }
    }
    Ok(EngineAccounts {
        drivers: drivers.into_iter().flatten().collect(),
        outcome: a.churned.clone(),
        missing: a.missing_values.clone(),
        name,
        from,
        key: key.clone(),
        rows,
        churned_cells,
        n_churned,
        segments,
        segment_counts,
        owner_blanks,
        owner,
        revenue_facts,
        start_date,
        end_date,
        tenure,
    })
}

/// Whether a driver's cells are numbers (else labels: yes/no, levels).
fn is_number(d: &DriverConfig) -> bool {
    matches!(d.kind, DriverKind::Numeric | DriverKind::Ordinal) && d.levels.is_none()
}

/// Every column the engine path reads, with its role.
fn wanted(cfg: &StudyConfig) -> Vec<(&str, &'static str)> {
    let a = &cfg.accounts;
    let mut out: Vec<(&str, &'static str)> = vec![(a.churned.as_str(), "churn outcome")];
    if let Some(id) = &a.id {
        out.push((id, "account id"));
    }
    if let Some(r) = &a.reason {
        out.push((r, "cancellation reason"));
    }
    if let Some(r) = &a.revenue {
        out.push((r, "revenue weight"));
    }
    if let Some(o) = &a.owner {
        out.push((o, "owner"));
    }
    out.extend(a.segments.iter().map(|s| (s.as_str(), "segment")));
    out.extend(cfg.drivers.iter().map(|d| (d.column.as_str(), "driver")));
    out.extend(cfg.kpis.columns());
    out.extend(a.start_date.iter().map(|c| (c.as_str(), "start date")));
    out.extend(a.end_date.iter().map(|c| (c.as_str(), "end date")));
    out.extend(cfg.survival.tenure.iter().map(|c| (c.as_str(), "tenure")));
    out
}
