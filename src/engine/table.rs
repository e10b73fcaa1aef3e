//! A relation under check on an engine, and the checks every table shares:
//! its columns present, its ids present and unique, its label columns'
//! distinct cells (each with its count and first key) put through the
//! file's rules, its number columns' first bad cell. Each error names the
//! table, the column, the row's key and the value, as a file's names the
//! path, column, row and value.

use std::path::Path;

use polars::prelude::{Column, NamedFrom, Series};

use super::sql::{self, NumberRule, Relation};
use super::{Cell, Engine};
use crate::data::parse::{self, Ctx};
use crate::error::{Error, Result};

/// Most distinct values of a label column brought home.
pub const MAX_LEVELS: usize = 100_000;
/// Keys quoted in a message about several rows.
const SHOW: usize = 5;

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
    pub(super) count: usize,
    pub(super) key: String,
}

/// The relation `rel` of config section `section` as the checks read it:
/// how messages name it and its FROM clause, once every one of `wanted`
/// (column, role) is found a column of it.
///
/// # Errors
/// [`Error::TableColumn`] naming the first column missing, and the
/// nearest one there; the engine's own.
pub(super) fn open(
    engine: &mut Engine,
    rel: &Relation,
    section: &str,
    wanted: &[(&str, &str)],
) -> Result<(String, String)> {
    let name = rel.describe(section);
    let from = rel.from_clause(engine.dialect(), section)?;
    require_columns(engine, &from, &name, wanted)?;
    Ok((name, from))
}

/// Every one of `wanted` (column, role) is a column of the relation.
fn require_columns(
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
    pub(super) fn ids(&self, engine: &mut Engine) -> Result<usize> {
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
    pub(super) fn bad(&self, column: &str, cell: &Distinct, problem: &str) -> Error {
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

/// A table of rows per account (revenue, renewals) as its first scan
/// checks it: every row's account known, each (account, `second`) pair
/// given once.
pub(super) struct PerAccount<'a> {
    pub(super) table: &'a Table<'a>,
    /// The column that makes a pair with the id (the month, the renewal date).
    pub(super) second: &'a str,
    /// One row as the messages name it ("revenue row", "renewal").
    pub(super) row: &'a str,
    /// The pairs as counted ("account-months") and the rule they break.
    pub(super) pairs: &'a str,
    pub(super) rule: &'a str,
    /// One pair given twice (id, `second`'s cell, rows) as a message quotes it.
    pub(super) quote: fn(&str, &str, &str) -> String,
}

impl PerAccount<'_> {
    /// The rows, their accounts in `accounts` and the pairs, in one scan
    /// (a second only to name pairs given twice); returns the rows.
    pub(super) fn links(&self, engine: &mut Engine, accounts: &Table) -> Result<usize> {
        let d = engine.dialect();
        let t = self.table;
        let q = sql::per_account_links(d, t.from, t.key, self.second, accounts.from, accounts.key);
        let r = engine.query(&q, &[t.name, accounts.name])?;
        let row = r.first().cloned().unwrap_or_default();
        let count = |j: usize| row.get(j).and_then(Cell::count).unwrap_or(0);
        let (rows, unknown, pairs) = (count(0), count(1), count(3));
        if unknown > 0 {
            let message = match row.get(2).and_then(Cell::text) {
                Some(first) => format!(
                    "{unknown} rows name accounts that are not in {}, the first `{first}`; every {} must belong to an account",
                    accounts.name, self.row
                ),
                None => format!(
                    "{unknown} rows have a blank account id; every {} needs its account id",
                    self.row
                ),
            };
            return Err(Error::TableColumn {
                table: t.name.to_string(),
                column: t.key.to_string(),
                message,
            });
        }
        if pairs < rows {
            let dup = engine.query(
                &sql::duplicate_pairs(d, t.from, t.key, self.second, SHOW),
                &[t.name],
            )?;
            let list: Vec<String> = dup
                .iter()
                .map(|r| {
                    let c = |j: usize| r.get(j).and_then(Cell::text).unwrap_or_default();
                    (self.quote)(&c(0), &c(1), &c(2))
                })
                .collect();
            return Err(Error::TableColumn {
                table: t.name.to_string(),
                column: self.second.to_string(),
                message: format!(
                    "{} {} occur more than once: {}; {}",
                    rows - pairs,
                    self.pairs,
                    list.join(", "),
                    self.rule
                ),
            });
        }
        Ok(rows)
    }
}
