//! The renewals due (data contract §5): read from the renewals table and
//! checked row by row, or derived from the accounts' start dates, a contract
//! term and the monthly revenue table.

use std::path::{Path, PathBuf};

use chrono::{Months, NaiveDate};
use rustc_hash::FxHashMap;

use super::ids::IdIndex;
use super::parse::{self, clip, Ctx};
use super::read::{read_table, ColumnRequest, ReadOptions, Want};
use super::{Accounts, Month, Revenue};
use crate::config::RenewalsConfig;
use crate::error::Result;

mod cells;
mod fast;

use cells::Cells;
pub use cells::Outcome;

/// One row per renewal due; every vector has one entry per renewal.
#[derive(Debug, Clone)]
pub struct Renewals {
    /// The table read, or `None` when the renewals were derived.
    pub path: Option<PathBuf>,
    /// In words: the table's path, or how the renewals were derived.
    pub source: String,
    /// The account's row in [`Accounts`].
    pub account: Vec<u32>,
    pub due: Vec<NaiveDate>,
    pub arr_due: Vec<f64>,
    pub outcome: Vec<Outcome>,
    /// ARR of the new term; NaN unless renewed.
    pub renewed_arr: Vec<f64>,
    /// When the outcome was decided (the due date when a decided row leaves it blank).
    pub closed: Vec<Option<NaiveDate>>,
    /// "Today": open renewals due before it are late.
    pub as_of: NaiveDate,
    pub term_months: u32,
}

impl Renewals {
    pub fn len(&self) -> usize {
        self.due.len()
    }
    pub fn is_empty(&self) -> bool {
        self.due.is_empty()
    }
}

/// The day after a month: the first day of the next one.
fn after_month(m: Month) -> NaiveDate {
    let n = m.plus(1);
    NaiveDate::from_ymd_opt(n.year(), n.month(), 1).unwrap_or(NaiveDate::MAX)
}

/// Reads and checks the renewals table.
///
/// # Errors
/// An input error naming the file, column, row and value for: a blank or
/// unknown account, a date that is not a date, an ARR that is negative or
/// not a number, an outcome label the config does not list, renewed ARR on
/// a row that did not renew (or none on one that did), a closed date on an
/// open row or more than a term before the due date, and an (account,
/// renewal date) pair given twice. The as-of date is the config's; without
/// one, [`Renewals::default_as_of`] sets it once the revenue is loaded.
pub fn load_renewals(
    path: &Path,
    rc: &RenewalsConfig,
    accounts: &Accounts,
    index: &IdIndex,
    missing: &[String],
) -> Result<Renewals> {
    let ctx = |column| Ctx {
        path,
        column,
        missing_tokens: missing,
    };
    let (c_due, c_arr, c_ren, c_closed) = (
        ctx(&rc.renewal_date),
        ctx(&rc.arr_due),
        ctx(&rc.renewed_arr),
        ctx(&rc.closed_date),
    );
    let cells = match fast::read(path, rc, &accounts.ids, index, missing) {
        Some(c) => c,
        None => read_cells(path, rc, accounts, index, missing)?,
    };
    crate::timing::mark("renewals cells parsed");
    let Cells {
        account,
        due,
        arr_due,
        outcome,
        renewed_arr,
        closed,
    } = cells;
    let n = account.len();
    let mut out = Renewals {
        path: Some(path.to_path_buf()),
        source: path.display().to_string(),
        account,
        due: Vec::with_capacity(n),
        arr_due,
        outcome,
        renewed_arr,
        closed: Vec::with_capacity(n),
        as_of: NaiveDate::MIN,
        term_months: rc.term_months,
    };
    // Rows usually come in account order, then date order: while each
    // (account, date) is above the one before, none can repeat and no set
    // is needed; the first row out of order builds it from the rows so far.
    let mut seen: Option<FxHashMap<(u32, NaiveDate), usize>> = None;
    let mut last: Option<(u32, NaiveDate)> = None;
    for i in 0..n {
        let a = out.account[i];
        let d = due[i].ok_or_else(|| c_due.bad(i, "", DUE_BLANK))?;
        if seen.is_none() && last.is_some_and(|l| (a, d) <= l) {
            seen = Some(
                out.account
                    .iter()
                    .zip(&out.due)
                    .enumerate()
                    .map(|(k, (&a, &d))| ((a, d), k))
                    .collect(),
            );
        }
        last = Some((a, d));
        if let Some(first) = seen.as_mut().and_then(|s| s.insert((a, d), i)) {
            return Err(c_due.bad(
                i,
                d.to_string(),
                format!(
                    "repeats account `{}`'s renewal of that date (first at row {}); one row per renewal",
                    clip(&accounts.ids[a as usize]),
                    first + 1
                ),
            ));
        }
        let x = out.arr_due[i];
        if x.is_nan() {
            return Err(c_arr.bad(i, "", ARR_DUE_BLANK));
        }
        if x < 0.0 {
            return Err(c_arr.bad_number(i, x, ARR_DUE_NEGATIVE));
        }
        let outcome = out.outcome[i];
        let r = out.renewed_arr[i];
        match (outcome, r.is_nan()) {
            (Outcome::Renewed, true) => return Err(c_ren.bad(i, "", RENEWED_ARR_BLANK)),
            (Outcome::Renewed, false) if r < 0.0 => {
                return Err(c_ren.bad_number(i, r, RENEWED_ARR_NEGATIVE))
            }
            (Outcome::Churned | Outcome::Open, false) => {
                return Err(c_ren.bad_number(i, r, renewed_arr_not_renewed(outcome)))
            }
            _ => {}
        }
        let c = match (outcome, closed[i]) {
            (Outcome::Open, Some(c)) => return Err(c_closed.bad(i, c.to_string(), CLOSED_ON_OPEN)),
            (Outcome::Open, None) => None,
            (_, Some(c)) => {
                let earliest = d.checked_sub_months(Months::new(rc.term_months));
                if earliest.is_some_and(|e| c < e) {
                    return Err(c_closed.bad(
                        i,
                        c.to_string(),
                        closed_too_early(rc.term_months, d),
                    ));
                }
                Some(c)
            }
            (_, None) => Some(d),
        };
        out.due.push(d);
        out.closed.push(c);
    }
    out.as_of = rc.as_of.unwrap_or(NaiveDate::MAX);
    Ok(out)
}

/// The cells of the renewals table through the full reader (polars), whose
/// errors name the file, column, row and value.
pub(super) fn read_cells(
    path: &Path,
    rc: &RenewalsConfig,
    accounts: &Accounts,
    index: &IdIndex,
    missing: &[String],
) -> Result<Cells> {
    let requests = [
        ColumnRequest::new(&rc.id, "account id", Want::Text),
        ColumnRequest::new(&rc.renewal_date, "renewal date", Want::Text),
        ColumnRequest::new(&rc.arr_due, "ARR due", Want::Number),
        ColumnRequest::new(&rc.outcome, "renewal outcome", Want::Text),
        ColumnRequest::new(&rc.renewed_arr, "renewed ARR", Want::Number),
        ColumnRequest::new(&rc.closed_date, "closed date", Want::Text),
    ];
    let table = read_table(
        path,
        &requests,
        ReadOptions {
            strict_structure: true,
        },
    )?;
    crate::timing::mark("renewals read");
    let ctx = |column| Ctx {
        path,
        column,
        missing_tokens: missing,
    };
    let (c_id, c_due, c_arr, c_out, c_ren, c_closed) = (
        ctx(&rc.id),
        ctx(&rc.renewal_date),
        ctx(&rc.arr_due),
        ctx(&rc.outcome),
        ctx(&rc.renewed_arr),
        ctx(&rc.closed_date),
    );
    // The columns convert side by side; errors are reported in column order.
    let accounts_file = accounts.path.display().to_string();
    let ((account, outcome), ((due, closed), (arr_due, renewed_arr))) = rayon::join(
        || {
            rayon::join(
                || account_rows(table.column(&rc.id)?, c_id, accounts, index, &accounts_file),
                || outcomes(table.column(&rc.outcome)?, c_out, rc),
            )
        },
        || {
            rayon::join(
                || {
                    rayon::join(
                        || parse::dates(table.column(&rc.renewal_date)?, c_due),
                        || parse::dates(table.column(&rc.closed_date)?, c_closed),
                    )
                },
                || {
                    rayon::join(
                        || parse::numbers(table.column(&rc.arr_due)?, c_arr),
                        || parse::numbers(table.column(&rc.renewed_arr)?, c_ren),
                    )
                },
            )
        },
    );
    Ok(Cells {
        account: account?,
        due: due?,
        arr_due: arr_due?,
        outcome: outcome?,
        renewed_arr: renewed_arr?,
        closed: closed?,
    })
}

impl Renewals {
    /// Sets the as-of date when the config leaves it out (see [`default_as_of`]).
    pub fn default_as_of(&mut self, rc: &RenewalsConfig, revenue: Option<&Revenue>) {
        let latest = self
            .due
            .iter()
            .zip(&self.outcome)
            .filter(|(_, o)| o.decided())
            .map(|(d, _)| *d)
            .max();
        self.as_of = default_as_of(rc, revenue.map(Revenue::last_month), latest);
    }
}

/// The as-of date: the config's; else the day after the revenue table's
/// last month `last_revenue`; else the day after the latest renewal date
/// that is decided, `latest_decided`.
pub fn default_as_of(
    rc: &RenewalsConfig,
    last_revenue: Option<Month>,
    latest_decided: Option<NaiveDate>,
) -> NaiveDate {
    rc.as_of.unwrap_or_else(|| match last_revenue {
        Some(m) => after_month(m),
        None => latest_decided
            .and_then(|d| d.succ_opt())
            .unwrap_or(NaiveDate::MAX),
    })
}

/// Each row's account: blank or unknown ids are errors. Rows in account
/// order find theirs as the previous row's or the next account, without a
/// lookup, and no id is copied.
fn account_rows(
    col: &polars::prelude::Column,
    c: Ctx,
    accounts: &Accounts,
    index: &IdIndex,
    accounts_file: &str,
) -> Result<Vec<u32>> {
    let mut out: Vec<u32> = Vec::with_capacity(col.len());
    parse::each_text(col, c, |i, v| {
        let id = v.ok_or_else(|| c.bad(i, "", "is blank; every renewal needs its account id"))?;
        let near = out.last().map_or(0, |&a| a as usize);
        let a = [near, near + 1]
            .into_iter()
            .find(|&k| accounts.ids.get(k).is_some_and(|x| x == id))
            .map(|k| k as u32)
            .or_else(|| index.get(id))
            .ok_or_else(|| {
                c.bad(
                    i,
                    clip(id),
                    format!("is not an account id in {accounts_file}"),
                )
            })?;
        out.push(a);
        Ok(())
    })?;
    Ok(out)
}

/// Each row's outcome; a label the config does not list is an error.
fn outcomes(col: &polars::prelude::Column, c: Ctx, rc: &RenewalsConfig) -> Result<Vec<Outcome>> {
    let mut out = Vec::with_capacity(col.len());
    parse::each_text(col, c, |i, v| {
        let o = outcome_of(v, rc).ok_or_else(|| {
            c.bad(
                i,
                v.map_or(String::new(), |t| clip(t).into_owned()),
                not_an_outcome(rc),
            )
        })?;
        out.push(o);
        Ok(())
    })?;
    Ok(out)
}

/// The renewals' rules as the file and the engine word them: a blank
/// renewal date, a blank or negative ARR due, a negative renewed ARR.
pub(crate) const DUE_BLANK: &str = "is blank; every renewal needs the date it is due";
pub(crate) const ARR_DUE_BLANK: &str =
    "is blank; every renewal needs the ARR it puts up for renewal";
pub(crate) const ARR_DUE_NEGATIVE: &str = "is negative; ARR due must be ≥ 0";
pub(crate) const RENEWED_ARR_NEGATIVE: &str = "is negative; renewed ARR must be ≥ 0";

/// A renewed row without renewed ARR.
pub(crate) const RENEWED_ARR_BLANK: &str = "is blank on a renewed row; give the new term's ARR";

/// A closed date on an open renewal.
pub(crate) const CLOSED_ON_OPEN: &str =
    "is a closed date on an open renewal; leave it blank until the outcome is decided";

/// Renewed ARR on a row whose outcome `outcome` is not renewed.
pub(crate) fn renewed_arr_not_renewed(outcome: Outcome) -> String {
    format!(
        "is renewed ARR on a row whose outcome is {}; leave it blank unless the renewal renewed",
        outcome.as_str()
    )
}

/// A closed date more than a term of `term_months` before the renewal date `due`.
pub(crate) fn closed_too_early(term_months: u32, due: NaiveDate) -> String {
    format!(
        "is more than a term ({term_months} months) before the renewal date {due}; check the dates or renewals.term_months"
    )
}

/// What is wrong with a label that is not a renewal outcome, and the labels that are.
pub(crate) fn not_an_outcome(rc: &RenewalsConfig) -> String {
    format!(
        "is not a renewal outcome; renewed: {}; churned: {}; open: {} (set renewals.renewed_values, churned_values, open_values)",
        rc.renewed_values.join(", "),
        rc.churned_values.join(", "),
        rc.open_values.join(", ")
    )
}

/// The outcome a label means (trimmed, any case), if the config lists it.
pub(crate) fn outcome_of(label: Option<&str>, rc: &RenewalsConfig) -> Option<Outcome> {
    let t = label?.trim();
    let is = |list: &[String]| list.iter().any(|v| v.trim().eq_ignore_ascii_case(t));
    if is(&rc.renewed_values) {
        Some(Outcome::Renewed)
    } else if is(&rc.churned_values) {
        Some(Outcome::Churned)
    } else if is(&rc.open_values) {
        Some(Outcome::Open)
    } else {
        None
    }
}

/// Renewals derived from the accounts' start dates and a term of `term`
/// months, per the data contract: every anniversary whose month is inside
/// the revenue table (after its first month) is a renewal due when the
/// account is billed in the month before it, with ARR due = 12 × that MRR.
/// It renewed when the account is billed in the month after the renewal's
/// month (renewed ARR = 12 × that MRR), churned when not; open when that
/// month is past the table. Anniversaries after the table, up to the end of
/// the quarter after `as_of`'s, are open renewals of the accounts billed in
/// its last month (ARR due = 12 × that MRR), for the forward view.
/// A decided renewal closes on its due date.
pub fn derive_renewals(
    accounts: &Accounts,
    rev: &Revenue,
    term: u32,
    as_of: Option<NaiveDate>,
) -> Renewals {
    let as_of = as_of.unwrap_or_else(|| after_month(rev.last_month()));
    let q = Month::of(as_of);
    let horizon = q.quarter_start().plus(6);
    let mut out = Renewals {
        path: None,
        source: format!(
            "derived: every {term}-month anniversary of `{}` inside the revenue table's months",
            accounts
                .start_date
                .as_ref()
                .map_or("start_date", |d| d.column.as_str())
        ),
        account: Vec::new(),
        due: Vec::new(),
        arr_due: Vec::new(),
        outcome: Vec::new(),
        renewed_arr: Vec::new(),
        closed: Vec::new(),
        as_of,
        term_months: term,
    };
    let Some(starts) = &accounts.start_date else {
        return out;
    };
    let n = rev.n_months as i32;
    let first = rev.first_month;
    for (a, s) in starts.values.iter().enumerate() {
        let Some(s) = *s else { continue };
        let row = rev.row(a);
        let billed = |m: i32| {
            (0..n)
                .contains(&m)
                .then(|| row[m as usize])
                .filter(|x| *x > 0.0)
        };
        for k in 1.. {
            let Some(d) = s.checked_add_months(Months::new(term.saturating_mul(k))) else {
                break;
            };
            let m = Month::of(d).0 - first.0;
            if Month::of(d) >= horizon {
                break;
            }
            if m < 1 {
                continue;
            }
            let (arr_due, outcome, renewed) = if m < n {
                let Some(before) = billed(m - 1) else {
                    continue;
                };
                match (m + 1 < n, billed(m + 1)) {
                    (false, _) => (before, Outcome::Open, f64::NAN),
                    (true, Some(after)) => (before, Outcome::Renewed, 12.0 * after),
                    (true, None) => (before, Outcome::Churned, f64::NAN),
                }
            } else {
                let Some(last) = billed(n - 1) else { break };
                (last, Outcome::Open, f64::NAN)
            };
            out.account.push(a as u32);
            out.due.push(d);
            out.arr_due.push(12.0 * arr_due);
            out.outcome.push(outcome);
            out.renewed_arr.push(renewed);
            out.closed.push(outcome.decided().then_some(d));
        }
    }
    out
}
