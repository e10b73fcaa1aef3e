//! The accounts table on an engine, checked by the data contract's rules as
//! aggregate queries in three scans: the ids present and unique; every
//! label column's distinct cells (the outcome, reason, owner, segments and
//! the drivers held as labels); every number column's first bad cell (the
//! revenue weight ≥ 0, the drivers' ranges). Labels come home as their
//! distinct values (each with its count and first key) and go through the same rules as a file's cells, so an error
//! names the table, the column, the row's key and the value.

use std::path::Path;

use polars::prelude::{Column, NamedFrom, Series};

use super::dates::DateCells;
use super::drivers::EngineDriver;
use super::sql::{self, NumberRule, Relation};
use super::{Cell, Engine};
use crate::config::{DriverConfig, DriverKind, StudyConfig};
use crate::data::parse::{self, Ctx, FlagSpec};
use crate::error::{Error, Result};

/// Most distinct values of a label column brought home.
pub const MAX_LEVELS: usize = 100_000;
/// Keys quoted in a message about several rows.
const SHOW: usize = 5;

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

/// What the number scan says of a number column: its cells present, their
/// smallest and largest value and their sum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NumberFacts {
    pub present: usize,
    pub low: f64,
    pub high: f64,
    pub sum: f64,
}

/// One distinct cell: the value, how many rows hold it, the first key.
pub(super) struct Distinct {
    pub(super) value: Option<String>,
    count: usize,
    key: String,
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
    let d = engine.dialect();
    let name = rel.describe("accounts");
    let from = rel.from_clause(d, "accounts")?;
    let Some(key) = a.id.clone() else {
        return Err(Error::Config {
            path: cfg.source.clone(),
            message: "[accounts] id is required on an engine (a table has no row numbers to name a row by)".into(),
        });
    };
    require_columns(engine, &from, &name, &wanted(cfg))?;
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
    let mut owner_blanks = None;
    if let Some(col) = &a.owner {
        let cells = next();
        t.rule(col, &cells, parse::texts)?;
        owner_blanks = Some(blanks(&cells));
    }
    let mut segments = Vec::new();
    let mut segment_counts = Vec::new();
    for col in &a.segments {
        let mut cells = next();
        t.rule(col, &cells, parse::texts)?;
        let blank = blanks(&cells);
        cells.retain(|c| c.value.is_some());
        cells.sort_by(|x, y| y.count.cmp(&x.count).then_with(|| x.value.cmp(&y.value)));
        segment_counts.push((cells.iter().map(|c| c.count).collect(), blank));
        segments.push((
            col.clone(),
            cells.into_iter().filter_map(|c| c.value).collect(),
        ));
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
        revenue_facts,
        start_date,
        end_date,
        tenure,
    })
}

/// Every one of `wanted` (column, role) is a column of the relation.
pub(super) fn require_columns(
    engine: &mut Engine,
    from: &str,
    name: &str,
    wanted: &[(&str, &str)],
) -> Result<()> {
    let have = engine.columns(from, name)?;
    for (col, role) in wanted {
        if !have.iter().any(|h| h == col) {
            let hint = crate::config::nearest(col, &have)
                .map(|n| format!("; did you mean `{n}`?"))
                .unwrap_or_default();
            return Err(Error::TableColumn {
                table: name.to_string(),
                column: col.to_string(),
                message: format!("is not in the table (the {role}){hint}"),
            });
        }
    }
    Ok(())
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

/// The relation under check, for queries and messages.
pub(super) struct Table<'a> {
    pub(super) name: &'a str,
    pub(super) from: &'a str,
    pub(super) key: &'a str,
    pub(super) missing: &'a [String],
}

impl Table<'_> {
    /// Rows, and the ids present and unique (one scan; a second only to
    /// name duplicates).
    fn ids(&self, engine: &mut Engine) -> Result<usize> {
        let d = engine.dialect();
        let k = d.cell(self.key, &[]);
        let q = format!(
            "SELECT COUNT(*), COUNT(DISTINCT {k}), SUM(CASE WHEN ({k}) IS NULL THEN 1 ELSE 0 END) FROM {}",
            self.from
        );
        let r = engine.query(&q, &[self.name])?;
        let get = |j: usize| {
            r.first()
                .and_then(|row| row.get(j))
                .and_then(Cell::count)
                .unwrap_or(0)
        };
        let (rows, distinct, blank) = (get(0), get(1), get(2));
        if rows == 0 {
            return Err(Error::Table {
                table: self.name.to_string(),
                message: "has no rows; a study needs its accounts".into(),
            });
        }
        if blank > 0 {
            return Err(Error::TableColumn {
                table: self.name.to_string(),
                column: self.key.to_string(),
                message: format!("{blank} rows have a blank id; every account needs one"),
            });
        }
        if distinct < rows {
            let dup = engine.query(
                &sql::duplicate_keys(d, self.from, self.key, SHOW),
                &[self.name],
            )?;
            let list: Vec<String> = dup
                .iter()
                .map(|r| {
                    let id = r.first().and_then(Cell::text).unwrap_or_default();
                    let n = r.get(1).and_then(Cell::count).unwrap_or(0);
                    format!("`{id}` ({n} rows)")
                })
                .collect();
            return Err(Error::TableColumn {
                table: self.name.to_string(),
                column: self.key.to_string(),
                message: format!(
                    "{} ids occur more than once: {}; each account must have one row",
                    rows - distinct,
                    list.join(", ")
                ),
            });
        }
        Ok(rows)
    }

    /// The distinct cells of each of `columns`, in one scan; at most
    /// [`MAX_LEVELS`] in all.
    pub(super) fn distinct(
        &self,
        engine: &mut Engine,
        columns: &[&str],
    ) -> Result<Vec<Vec<Distinct>>> {
        let d = engine.dialect();
        let q = sql::distinct_cells(
            d,
            self.from,
            self.key,
            columns,
            self.missing,
            MAX_LEVELS + 1,
        );
        let rows = engine.query(&q, &[self.name])?;
        if rows.len() > MAX_LEVELS {
            return Err(Error::Table {
                table: self.name.to_string(),
                message: format!(
                    "its label columns ({}) have more than {MAX_LEVELS} distinct values in all; a label column must have fewer",
                    columns.join(", ")
                ),
            });
        }
        let mut out: Vec<Vec<Distinct>> = columns.iter().map(|_| Vec::new()).collect();
        for r in &rows {
            let Some(j) = r.first().and_then(Cell::count).filter(|j| *j < out.len()) else {
                continue;
            };
            out[j].push(Distinct {
                value: r.get(1).and_then(Cell::text),
                count: r.get(2).and_then(Cell::count).unwrap_or(0),
                key: r.get(3).and_then(Cell::text).unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// Runs a file rule on the distinct cells; its error, which names a
    /// row of that list, is reworded to name the table, key and value.
    pub(super) fn rule<T>(
        &self,
        column: &str,
        cells: &[Distinct],
        f: impl Fn(&Column, Ctx) -> Result<T>,
    ) -> Result<T> {
        let values: Vec<Option<&str>> = cells.iter().map(|c| c.value.as_deref()).collect();
        let col = Column::from(Series::new(column.into(), values));
        let ctx = Ctx {
            path: Path::new(self.name),
            column,
            missing_tokens: self.missing,
        };
        f(&col, ctx).map_err(|e| match e {
            Error::Value {
                row,
                value,
                problem,
                ..
            } => {
                let at = cells.get(row.saturating_sub(1));
                Error::TableValue {
                    table: self.name.to_string(),
                    column: column.to_string(),
                    key: self.key_text(at.map_or("", |c| c.key.as_str())),
                    value,
                    problem,
                }
            }
            e => e,
        })
    }

    /// A value error on one distinct cell.
    fn bad(&self, column: &str, cell: &Distinct, problem: &str) -> Error {
        Error::TableValue {
            table: self.name.to_string(),
            column: column.to_string(),
            key: self.key_text(&cell.key),
            value: cell.value.clone().unwrap_or_default(),
            problem: problem.to_string(),
        }
    }

    /// `account_id A0001`: how a row is named.
    pub(super) fn key_text(&self, key: &str) -> String {
        format!("{} {key}", self.key)
    }

    /// Every number column's first cell (by key) that is not a number or
    /// breaks its rule, in one scan; a second query fetches that cell.
    ///
    /// Returns, per rule, its cells present, their smallest, largest and sum.
    pub(super) fn numbers(
        &self,
        engine: &mut Engine,
        rules: &[(NumberRule, String)],
    ) -> Result<Vec<NumberFacts>> {
        if rules.is_empty() {
            return Ok(Vec::new());
        }
        let d = engine.dialect();
        let only: Vec<NumberRule> = rules.iter().map(|(r, _)| r.clone()).collect();
        let q = sql::first_bad_numbers(d, self.from, self.key, &only, self.missing);
        let first = engine.query(&q, &[self.name])?;
        let Some(row) = first.first() else {
            return Ok(Vec::new());
        };
        let r = rules.len();
        let num = |j: usize| row.get(j).and_then(Cell::number).unwrap_or(f64::NAN);
        let facts = (0..r)
            .map(|j| {
                let at = r + 4 * j;
                let n = row.get(at).and_then(Cell::count).unwrap_or(0);
                NumberFacts {
                    present: n,
                    low: num(at + 1),
                    high: num(at + 2),
                    sum: if n == 0 { 0.0 } else { num(at + 3) },
                }
            })
            .collect();
        // The first broken rule in config order, at its smallest key.
        let Some((j, key)) = row[..r.min(row.len())]
            .iter()
            .enumerate()
            .find_map(|(j, c)| c.text().map(|k| (j, k)))
        else {
            return Ok(facts);
        };
        let (rule, why) = &rules[j];
        let q = sql::cells_of(d, self.from, self.key, &key, &[rule.column], self.missing);
        let value = engine
            .query(&q, &[self.name])?
            .first()
            .and_then(|r| r.first())
            .and_then(Cell::text)
            .unwrap_or_default();
        let problem = match parse::parse_number(&value) {
            Some(_) => why.clone(),
            None => "is not a number".to_string(),
        };
        Err(Error::TableValue {
            table: self.name.to_string(),
            column: rule.column.to_string(),
            key: self.key_text(&key),
            value,
            problem,
        })
    }
}
