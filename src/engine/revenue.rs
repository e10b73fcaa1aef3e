//! The monthly revenue table on an engine, checked by the data contract's
//! rules in three scans: every row's account in the accounts table and
//! each (account, month) once (one join); the months valid (their distinct
//! cells, by the file's month rule); the MRR a number ≥ 0 (its first bad
//! cell by account), present on every row.

use super::accounts::EngineAccounts;
use super::sql::{self, NumberRule, Relation};
use super::table::{open, PerAccount, Table};
use super::{Cell, Engine};
use crate::config::StudyConfig;
use crate::data::revenue::{BLANK_MRR, MAX_MONTHS};
use crate::data::{parse, Month};
use crate::error::{Error, Result};

/// The revenue relation as checked.
#[derive(Debug, Clone)]
pub struct EngineRevenue {
    pub name: String,
    /// The `FROM` clause that reads it.
    pub from: String,
    pub rows: usize,
    /// Its distinct month cells and the month each one reads as.
    pub months: Vec<(String, Month)>,
}

impl EngineRevenue {
    /// The first and last month of the table; `None` without rows.
    pub fn span(&self) -> Option<(Month, Month)> {
        span(&self.months)
    }
}

fn span(months: &[(String, Month)]) -> Option<(Month, Month)> {
    let m = months.iter().map(|m| m.1);
    m.clone().min().zip(m.max())
}

/// Checks the `[revenue]` table of `cfg` on `engine`; `None` without one
/// there.
///
/// # Errors
/// The first broken rule, naming table, column, key and value.
pub fn check(
    engine: &mut Engine,
    cfg: &StudyConfig,
    acc: &EngineAccounts,
) -> Result<Option<EngineRevenue>> {
    let Some(rc) = &cfg.revenue else {
        return Ok(None);
    };
    let Some(rel) = Relation::of(&rc.table, &rc.query) else {
        return Ok(None);
    };
    let d = engine.dialect();
    let wanted = [
        (rc.id.as_str(), "account id"),
        (rc.period.as_str(), "month"),
        (rc.mrr.as_str(), "MRR"),
    ];
    let (name, from) = open(engine, &rel, "revenue", &wanted)?;
    let t = Table {
        name: &name,
        from: &from,
        key: &rc.id,
        missing: &[],
    };
    // Scan 1: the rows, their accounts, the (account, month) pairs.
    let rows = PerAccount {
        table: &t,
        second: &rc.period,
        row: "revenue row",
        pairs: "account-months",
        rule: "each account has one row per month",
        quote: |id, month, n| format!("`{id}` in `{month}` ({n} rows)"),
    }
    .links(engine, &acc.table())?;
    // Scan 2: the months, by the file's rule.
    let months = t
        .distinct(engine, &[rc.period.as_str()])?
        .pop()
        .unwrap_or_default();
    let parsed = t.rule(&rc.period, &months, parse::months)?;
    let months: Vec<(String, Month)> = months
        .into_iter()
        .zip(parsed)
        .filter_map(|(c, m)| Some((c.value?, m)))
        .collect();
    if let Some((lo, hi)) = span(&months).filter(|(lo, hi)| hi.0 - lo.0 >= MAX_MONTHS) {
        return Err(Error::TableColumn {
            table: name,
            column: rc.period.clone(),
            message: format!(
                "spans {lo} to {hi}, more than {MAX_MONTHS} months; check the month column"
            ),
        });
    }
    // Scan 3: the MRR.
    let rule = NumberRule {
        column: &rc.mrr,
        low: 0.0,
        high: f64::INFINITY,
        whole: false,
    };
    let facts = t.numbers(engine, &[(rule, "is negative; MRR must be ≥ 0".into())])?;
    // Every row needs its MRR: a blank cell is refused, as in a file.
    if facts.first().is_some_and(|f| f.present < rows) {
        let q = sql::first_blank(d, &from, &[&rc.id, &rc.period], &rc.mrr);
        let r = engine.query(&q, &[&name])?;
        let cell = |j: usize| {
            r.first()
                .and_then(|row| row.get(j))
                .and_then(Cell::text)
                .unwrap_or_default()
        };
        return Err(Error::TableValue {
            table: name,
            column: rc.mrr.clone(),
            key: format!("{} {}, {} {}", rc.id, cell(0), rc.period, cell(1)),
            value: String::new(),
            problem: BLANK_MRR.into(),
        });
    }
    Ok(Some(EngineRevenue {
        name,
        from,
        rows,
        months,
    }))
}
