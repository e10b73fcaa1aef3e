//! The accounts table on an engine, checked by the data contract's rules as
//! aggregate queries: every configured column present, the ids present and
//! unique, the outcome and the labels valid, the revenue weight a number
//! ≥ 0. Labels come home as their distinct values (each with its count and
//! first key) and go through the same rules as a file's cells, so an error
//! names the table, the column, the row's key and the value.

use std::path::Path;

use polars::prelude::{Column, NamedFrom, Series};

use super::sql::{self, Relation};
use super::{Cell, Engine};
use crate::config::StudyConfig;
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
    /// Its FROM clause.
    pub from: String,
    pub rows: usize,
    /// Cells of the outcome column that mean churned (as `Dialect::cell` gives them).
    pub churned_cells: Vec<String>,
    pub n_churned: usize,
    /// Per segment column: its levels in the in-memory order (count, then name).
    pub segments: Vec<(String, Vec<String>)>,
}

/// One distinct cell: the value, how many rows hold it, the first key.
struct Distinct {
    value: Option<String>,
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
    let rel = match (&a.table, &a.query) {
        (Some(t), _) => Relation::Table(t.clone()),
        (None, Some(q)) => Relation::Query(q.clone()),
        (None, None) => {
            return Err(Error::Config {
                path: cfg.source.clone(),
                message: "[accounts] has no `table` or `query` for the engine".into(),
            })
        }
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
    let have = engine.columns(&from, &name)?;
    for (col, role) in wanted(cfg) {
        if !have.iter().any(|h| h == col) {
            let hint = crate::config::nearest(col, &have)
                .map(|n| format!("; did you mean `{n}`?"))
                .unwrap_or_default();
            return Err(Error::TableColumn {
                table: name.clone(),
                column: col.to_string(),
                message: format!("is not in the table (the {role}){hint}"),
            });
        }
    }
    let t = Table {
        name: &name,
        from: &from,
        key: &key,
        missing: &a.missing_values,
    };
    let rows = t.ids(engine)?;
    // The outcome: a flag in every row, by the file's rules.
    let outcome = t.distinct(engine, &a.churned)?;
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
    let mut label_cols: Vec<&String> = a.reason.iter().collect();
    label_cols.extend(a.owner.iter());
    for col in label_cols {
        let cells = t.distinct(engine, col)?;
        t.rule(col, &cells, parse::texts)?;
    }
    let mut segments = Vec::new();
    for col in &a.segments {
        let mut cells = t.distinct(engine, col)?;
        t.rule(col, &cells, parse::texts)?;
        cells.retain(|c| c.value.is_some());
        cells.sort_by(|x, y| y.count.cmp(&x.count).then_with(|| x.value.cmp(&y.value)));
        segments.push((
            col.clone(),
            cells.into_iter().filter_map(|c| c.value).collect(),
        ));
    }
    if let Some(col) = &a.revenue {
        t.numbers(
            engine,
            col,
            (0.0, f64::INFINITY),
            "is negative; a revenue weight must be ≥ 0",
        )?;
    }
    Ok(EngineAccounts {
        name,
        from,
        rows,
        churned_cells,
        n_churned,
        segments,
    })
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
    out
}

/// The relation under check, for queries and messages.
struct Table<'a> {
    name: &'a str,
    from: &'a str,
    key: &'a str,
    missing: &'a [String],
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

    /// The distinct cells of `column`, at most [`MAX_LEVELS`].
    fn distinct(&self, engine: &mut Engine, column: &str) -> Result<Vec<Distinct>> {
        let d = engine.dialect();
        let q = sql::distinct_cells(d, self.from, self.key, column, self.missing, MAX_LEVELS + 1);
        let rows = engine.query(&q, &[self.name])?;
        if rows.len() > MAX_LEVELS {
            return Err(Error::TableColumn {
                table: self.name.to_string(),
                column: column.to_string(),
                message: format!(
                    "has more than {MAX_LEVELS} distinct values; a label column must have fewer"
                ),
            });
        }
        Ok(rows
            .iter()
            .map(|r| Distinct {
                value: r.first().and_then(Cell::text),
                count: r.get(1).and_then(Cell::count).unwrap_or(0),
                key: r.get(2).and_then(Cell::text).unwrap_or_default(),
            })
            .collect())
    }

    /// Runs a file rule on the distinct cells; its error, which names a
    /// row of that list, is reworded to name the table, key and value.
    fn rule<T>(
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
    fn key_text(&self, key: &str) -> String {
        format!("{} {key}", self.key)
    }

    /// A number column: its first cell (by key) that is not a number, or is
    /// outside `range`.
    fn numbers(
        &self,
        engine: &mut Engine,
        column: &str,
        range: (f64, f64),
        out_of_range: &str,
    ) -> Result<()> {
        let d = engine.dialect();
        let q = sql::bad_numbers(d, self.from, self.key, column, self.missing, range, 1);
        let rows = engine.query(&q, &[self.name])?;
        let Some(r) = rows.first() else {
            return Ok(());
        };
        let key = r.first().and_then(Cell::text).unwrap_or_default();
        let value = r.get(1).and_then(Cell::text).unwrap_or_default();
        let problem = match parse::parse_number(&value) {
            Some(_) => out_of_range.to_string(),
            None => "is not a number".to_string(),
        };
        Err(Error::TableValue {
            table: self.name.to_string(),
            column: column.to_string(),
            key: self.key_text(&key),
            value,
            problem,
        })
    }
}
