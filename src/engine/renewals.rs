//! The renewals table on an engine (data contract §5), checked by the
//! file's rules in four scans — every row's account known and each
//! (account, renewal date) once (one join); the dates and outcome labels
//! (their distinct cells, read at home by the file's rules); the ARR
//! columns numbers ≥ 0, ARR due on every row; renewed ARR only and always
//! on renewed rows, closed dates only on decided ones and not more than a
//! term before the due date — and its KPIs, every month × group's sums in
//! one more scan joined to the accounts, ranged into the periods at home by
//! the in-memory code ([`crate::renewals::kpis::rows_of`]).

use chrono::{Months, NaiveDate};
use rustc_hash::FxHashMap;

use super::accounts::EngineAccounts;
use super::dates::day_of;
use super::revenue::EngineRevenue;
use super::sql::renewals::{self as q, AccountGroups, DueCell, RenewalColumns};
use super::sql::{self, NumberRule, Relation};
use super::table::{open, PerAccount, Table};
use super::{Cell, Engine};
use crate::config::{RenewalsConfig, StudyConfig};
use crate::data::renewals::{
    closed_too_early, default_as_of, not_an_outcome, outcome_of, renewed_arr_not_renewed, Outcome,
    ARR_DUE_BLANK, ARR_DUE_NEGATIVE, CLOSED_ON_OPEN, DUE_BLANK, RENEWED_ARR_BLANK,
    RENEWED_ARR_NEGATIVE,
};
use crate::data::summary::RenewalsSummary;
use crate::data::{parse, Month};
use crate::error::{Error, Result};
use crate::renewals::kpis::{rows_of, Groups, RenewalCube, RenewalRow, RenewalSums};
use crate::renewals::RenewalReport;

/// The renewals relation as checked.
#[derive(Debug, Clone)]
pub struct EngineRenewals {
    pub name: String,
    /// The rows as the stage reads them ([`q::frame`]).
    frame: String,
    pub rows: usize,
    pub open: usize,
    /// The first and last renewal date.
    pub due: Option<(NaiveDate, NaiveDate)>,
    pub as_of: NaiveDate,
    pub term_months: u32,
}

impl EngineRenewals {
    /// The load summary's line.
    pub fn summary(&self) -> RenewalsSummary {
        RenewalsSummary {
            source: self.name.clone(),
            rows: self.rows,
            open: self.open,
            first_due: self.due.map(|d| d.0.to_string()),
            last_due: self.due.map(|d| d.1.to_string()),
            as_of: self.as_of.to_string(),
        }
    }
}

/// Whether `[renewals]` of `cfg` names a table or query on the engine.
pub fn on_engine(cfg: &StudyConfig) -> bool {
    cfg.renewals.as_ref().is_some_and(RenewalsConfig::on_engine)
}

/// Checks the `[renewals]` table of `cfg`; `None` without one on the engine.
///
/// # Errors
/// The first broken rule, naming table, column, key and value.
pub fn check(
    engine: &mut Engine,
    cfg: &StudyConfig,
    acc: &EngineAccounts,
    rev: Option<&EngineRevenue>,
) -> Result<Option<EngineRenewals>> {
    let Some(rc) = &cfg.renewals else {
        return Ok(None);
    };
    let Some(rel) = Relation::of(&rc.table, &rc.query) else {
        return Ok(None);
    };
    let d = engine.dialect();
    let wanted = [
        (rc.id.as_str(), "account id"),
        (rc.renewal_date.as_str(), "renewal date"),
        (rc.arr_due.as_str(), "ARR due"),
        (rc.outcome.as_str(), "renewal outcome"),
        (rc.renewed_arr.as_str(), "renewed ARR"),
        (rc.closed_date.as_str(), "closed date"),
    ];
    let (name, from) = open(engine, &rel, "renewals", &wanted)?;
    let t = Table {
        name: &name,
        from: &from,
        key: &rc.id,
        missing: &acc.missing,
    };
    // Scan 1: the rows, their accounts, the (account, date) pairs.
    let rows = PerAccount {
        table: &t,
        second: &rc.renewal_date,
        row: "renewal",
        pairs: "renewals",
        rule: "one row per renewal",
        quote: |id, date, n| format!("account `{id}` on {date} ({n} rows)"),
    }
    .links(engine, &acc.table())?;
    // Scan 2: the dates and the outcome labels, by the file's rules.
    let mut cells = t
        .distinct(engine, &[&rc.renewal_date, &rc.closed_date, &rc.outcome])?
        .into_iter();
    let mut next = || cells.next().unwrap_or_default();
    let (due_cells, closed_cells, outcome_cells) = (next(), next(), next());
    if let Some(blank) = due_cells.iter().find(|c| c.value.is_none()) {
        return Err(t.bad(&rc.renewal_date, blank, DUE_BLANK));
    }
    let due_days = t.rule(&rc.renewal_date, &due_cells, parse::dates)?;
    let closed_days = t.rule(&rc.closed_date, &closed_cells, parse::dates)?;
    let (mut renewed, mut churned) = (Vec::new(), Vec::new());
    for c in &outcome_cells {
        match outcome_of(c.value.as_deref(), rc) {
            Some(Outcome::Renewed) => renewed.extend(c.value.clone()),
            Some(Outcome::Churned) => churned.extend(c.value.clone()),
            Some(Outcome::Open) => {}
            None => return Err(t.bad(&rc.outcome, c, &not_an_outcome(rc))),
        }
    }
    let due: Vec<DueCell> = due_cells
        .iter()
        .zip(&due_days)
        .filter_map(|(c, day)| {
            let day = (*day)?;
            let earliest = day
                .checked_sub_months(Months::new(rc.term_months))
                .map_or(i32::MIN, day_of);
            Some(DueCell {
                cell: c.value.clone()?,
                day: day_of(day),
                month: Month::of(day).0,
                earliest,
            })
        })
        .collect();
    let closed: Vec<(String, i32)> = closed_cells
        .iter()
        .zip(&closed_days)
        .filter_map(|(c, day)| Some((c.value.clone()?, day_of((*day)?))))
        .collect();
    // Scan 3: the ARR columns.
    let facts = t.numbers(
        engine,
        &[
            (at_least_zero(&rc.arr_due), ARR_DUE_NEGATIVE.into()),
            (at_least_zero(&rc.renewed_arr), RENEWED_ARR_NEGATIVE.into()),
        ],
    )?;
    if facts.first().is_some_and(|f| f.present < rows) {
        let r = engine.query(
            &sql::first_blank(d, &from, &[&rc.id, &rc.renewal_date], &rc.arr_due),
            &[&name],
        )?;
        let cell = |j: usize| {
            r.first()
                .and_then(|row| row.get(j))
                .and_then(Cell::text)
                .unwrap_or_default()
        };
        return Err(Error::TableValue {
            table: name,
            column: rc.arr_due.clone(),
            key: format!("{} {}, {} {}", rc.id, cell(0), rc.renewal_date, cell(1)),
            value: String::new(),
            problem: ARR_DUE_BLANK.into(),
        });
    }
    // Scan 4: the rules across columns, and the facts the summary needs.
    let cols = RenewalColumns {
        from: &from,
        id: &rc.id,
        renewal_date: &rc.renewal_date,
        arr_due: &rc.arr_due,
        outcome: &rc.outcome,
        renewed_arr: &rc.renewed_arr,
        closed_date: &rc.closed_date,
        missing: &acc.missing,
        renewed: &renewed,
        churned: &churned,
    };
    let frame = q::frame(d, &cols, &due, &closed);
    let r = engine.query(&q::checks(d, &frame), &[&name])?;
    let row = r.first().cloned().unwrap_or_default();
    // The file's words; the due date of a key, from the date cells read.
    let due_of = |key: &str| {
        let cell = key.rsplit_once('|').map_or("", |k| k.1);
        due.iter()
            .find(|c| c.cell == cell)
            .and_then(|c| parse::date_from_days(c.day))
    };
    let columns = [
        &rc.renewed_arr,
        &rc.renewed_arr,
        &rc.renewed_arr,
        &rc.closed_date,
        &rc.closed_date,
    ];
    for (j, column) in columns.into_iter().enumerate() {
        let Some(key) = row.get(j).and_then(Cell::text) else {
            continue;
        };
        let problem = match j {
            0 => RENEWED_ARR_BLANK.to_string(),
            1 => renewed_arr_not_renewed(Outcome::Churned),
            2 => renewed_arr_not_renewed(Outcome::Open),
            3 => CLOSED_ON_OPEN.to_string(),
            _ => closed_too_early(rc.term_months, due_of(&key).unwrap_or(NaiveDate::MIN)),
        };
        return Err(cross_error(engine, &t, rc, column, &key, &problem));
    }
    let day = |j: usize| {
        row.get(j)
            .and_then(Cell::number)
            .and_then(|x| parse::date_from_days(x as i32))
    };
    let due_span = day(6).zip(day(7));
    let last_revenue = rev.and_then(|r| r.span()).map(|s| s.1);
    Ok(Some(EngineRenewals {
        name,
        frame,
        rows,
        open: row.get(5).and_then(Cell::count).unwrap_or(0),
        due: due_span,
        as_of: default_as_of(rc, last_revenue, day(8)),
        term_months: rc.term_months,
    }))
}

/// The rule of an ARR column: a number ≥ 0.
fn at_least_zero(column: &str) -> NumberRule<'_> {
    NumberRule {
        column,
        low: 0.0,
        high: f64::INFINITY,
        whole: false,
    }
}

/// The error of a rule across columns broken at `key` (`id|date`), with
/// the offending cell read back.
fn cross_error(
    engine: &mut Engine,
    t: &Table,
    rc: &RenewalsConfig,
    column: &str,
    key: &str,
    problem: &str,
) -> Error {
    let (id, date) = key.rsplit_once('|').unwrap_or((key, ""));
    let d = engine.dialect();
    let q = format!(
        "SELECT {} FROM {} WHERE {} = {} AND {} = {} LIMIT 1",
        d.cell(column, t.missing),
        t.from,
        d.cell(&rc.id, &[]),
        d.literal(id),
        d.cell(&rc.renewal_date, t.missing),
        d.literal(date),
    );
    let value = engine
        .query(&q, &[t.name])
        .ok()
        .and_then(|r| r.first().and_then(|r| r.first()).and_then(Cell::text))
        .unwrap_or_default();
    Error::TableValue {
        table: t.name.to_string(),
        column: column.to_string(),
        key: format!("{} {id}, {} {date}", rc.id, rc.renewal_date),
        value,
        problem: problem.to_string(),
    }
}

/// The renewal KPIs of the checked renewals `ren`: one scan of them joined
/// to the accounts `acc`, the periods and ratios at home.
///
/// # Errors
/// The engine's own.
pub fn analyse(
    engine: &mut Engine,
    acc: &EngineAccounts,
    ren: &EngineRenewals,
) -> Result<RenewalReport> {
    let d = engine.dialect();
    let owner = acc.owner.as_ref().map(|(c, l)| (c.as_str(), l.as_slice()));
    let segments: Vec<(&str, &[String])> = acc
        .segments
        .iter()
        .map(|(c, l)| (c.as_str(), l.as_slice()))
        .collect();
    let groups = Groups::new(segments, owner);
    // No renewals: no rows, as in memory.
    let Some((first, last)) = ren.due else {
        return Ok(report_of(ren, RenewalSums::default(), Vec::new()));
    };
    let mut cube = RenewalCube::new(Month::of(first), Month::of(last), &groups, ren.as_of);
    let g = AccountGroups {
        from: &acc.from,
        id: d.cell(&acc.key, &[]),
        segments: acc
            .segments
            .iter()
            .map(|(c, _)| d.cell(c, &acc.missing))
            .collect(),
        owner: owner.map(|(c, _)| d.cell(c, &acc.missing)),
    };
    let (near_from, near_to) = cube.owner_months();
    let query = q::sums(&ren.frame, &g, (near_from.0, near_to.0), day_of(ren.as_of));
    let answer = engine.query(&query, &[&ren.name, &acc.name])?;
    // Level codes of each segment column and of the owner.
    let codes: Vec<FxHashMap<&str, usize>> = acc
        .segments
        .iter()
        .map(|(_, l)| l.as_slice())
        .chain(owner.map(|o| o.1))
        .map(|levels| {
            levels
                .iter()
                .enumerate()
                .map(|(k, v)| (v.as_str(), k))
                .collect()
        })
        .collect();
    let ns = acc.segments.len();
    let nc = codes.len();
    let mut total = RenewalSums::default();
    for row in &answer {
        let flag = |j: usize| row.get(j).and_then(Cell::count) == Some(0);
        let Some(mon) = row.get(nc).and_then(Cell::number).map(|m| Month(m as i32)) else {
            continue;
        };
        let sums = sums_of(row.get(2 * nc + 1..).unwrap_or_default());
        // The set of the row: the month alone, or with one column.
        let slot = match (0..nc).find(|&j| flag(j)) {
            None => {
                total.add(&sums);
                cube.month(mon, 0)
            }
            Some(j) => {
                let Some(code) = row
                    .get(nc + 1 + j)
                    .and_then(Cell::text)
                    .and_then(|v| codes[j].get(v.as_str()).copied())
                else {
                    continue;
                };
                if j < ns {
                    cube.month(mon, groups.group(j, code))
                } else {
                    cube.owner(mon, code)
                }
            }
        };
        if let Some(s) = slot {
            s.add(&sums);
        }
    }
    Ok(report_of(ren, total, rows_of(&cube, &groups)))
}

/// The report of the renewals `ren` with their sums `total` and KPI rows.
fn report_of(ren: &EngineRenewals, total: RenewalSums, rows: Vec<RenewalRow>) -> RenewalReport {
    RenewalReport {
        source: ren.name.clone(),
        derived: false,
        as_of: ren.as_of,
        term_months: ren.term_months,
        renewals: total.due,
        renewed: total.renewed,
        churned: total.decided - total.renewed,
        open: total.open,
        late: total.late,
        rows,
    }
}

/// The sums of one answer row, in [`q::sums`]'s order.
fn sums_of(c: &[Cell]) -> RenewalSums {
    let n = |j: usize| c.get(j).and_then(Cell::count).unwrap_or(0);
    let x = |j: usize| c.get(j).and_then(Cell::number).unwrap_or(0.0);
    RenewalSums {
        due: n(0),
        quota: x(1),
        decided: n(2),
        closed: x(3),
        renewed: n(4),
        renewed_capped: x(5),
        renewed_arr: x(6),
        open: n(7),
        late: n(8),
        late_arr: x(9),
    }
}
