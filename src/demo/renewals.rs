//! The demo's renewals table: annual contracts from each account's start
//! date, so every anniversary is a renewal due. A renewal churns when the
//! account's churn month is at or before the renewal's month (decided on
//! the churn day), renews otherwise (the new term's ARR is 12 × the MRR of
//! the renewal's month, or of the window's last month for a renewal due
//! after it, so upsell and downsell follow the revenue table), closing 0–45
//! days before its due date (15 %: 1–30 days after), and is open while that
//! day is not before the as-of date (the day after the window). Renewals are due from one term after the
//! window's start (so each one's whole term is in the window) to the end of
//! the quarter after the as-of date's, for the forward view. Closing days are drawn from their
//! own random stream, so the accounts and revenue tables do not change.

use chrono::{Duration, Months, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::generate::Acct;
use super::DemoParams;
use crate::data::Month;

/// The contract term of every demo account, in months.
pub const TERM_MONTHS: u32 = 12;
/// Share of renewed renewals that close after their due date.
const P_LATE_CLOSE: f64 = 0.15;

/// One row of `renewals.csv`.
pub(super) struct DemoRenewal {
    pub(super) due: NaiveDate,
    /// ARR due, in cents.
    pub(super) arr_due: i64,
    pub(super) outcome: &'static str,
    /// Renewed ARR in cents, when renewed.
    pub(super) renewed: Option<i64>,
    pub(super) closed: Option<NaiveDate>,
}

/// What the renewals table holds, for `truth.json`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TruthRenewals {
    pub term_months: u32,
    pub as_of: String,
    pub renewals: usize,
    pub renewed: usize,
    pub churned: usize,
    pub open: usize,
    /// Open renewals due before the as-of date.
    pub late: usize,
    pub note: &'static str,
}

pub(super) const NOTE: &str = "A renewal churns when the account's churn month is at or before the renewal's month, closed on the churn day; renews otherwise, with renewed ARR = 12 x MRR of the renewal's month (of the window's last month when due after it), closed 0-45 days before the due date (15 %: 1-30 days after); open while the closing day is not before as_of (late when due before it). Renewals are due from one term after the window start to the end of the quarter after as_of.";

/// The as-of date of the demo: the day after its window.
pub(super) fn as_of(p: &DemoParams) -> NaiveDate {
    p.start.plus(p.months as i32).first_day()
}

/// The renewals of one account, from its MRR in cents per window month
/// (`None`: no row or not billed).
pub(super) fn account_renewals(
    p: &DemoParams,
    a: &Acct,
    cents: &[Option<i64>],
    rng: &mut ChaCha8Rng,
) -> Vec<DemoRenewal> {
    let as_of = as_of(p);
    let q = Month::of(as_of);
    let horizon = q.quarter_start().plus(6).first_day();
    // From one term into the window: every renewal's whole term is inside
    // it, so a churn in that term is never missed.
    let from = p.start.plus(TERM_MONTHS as i32).first_day();
    let last = cents.len() as i32 - 1;
    let mrr_at = |m: i32| cents[m.clamp(0, last) as usize];
    let mut out = Vec::new();
    for k in 1.. {
        let Some(due) = a
            .start_date
            .checked_add_months(Months::new(TERM_MONTHS * k))
        else {
            break;
        };
        if due >= horizon {
            break;
        }
        let m = Month::of(due).0 - p.start.0;
        let churned = a.churn_m.is_some_and(|c| m >= c as i32);
        if due < from {
            // Decided before the table starts: a churn there ends the account.
            if churned {
                break;
            }
            continue;
        }
        // ARR due: the MRR of the month before the renewal, or of the last
        // month billed when that is earlier (a churn, the window's end).
        let last_billed = a.churn_m.map_or(last, |c| c as i32 - 1);
        let before = (m - 1).min(last_billed).max(a.start_m as i32);
        let Some(due_cents) = mrr_at(before) else {
            break;
        };
        let row = if churned {
            DemoRenewal {
                due,
                arr_due: 12 * due_cents,
                outcome: "churned",
                renewed: None,
                closed: a.end_date,
            }
        } else {
            // Renewed, closed 0-45 days before the due date (15 %: 1-30 days
            // after): open while that day is not before the as-of date, so
            // some renewals of the next quarter are already closed.
            let late = rng.random::<f64>() < P_LATE_CLOSE;
            let closed = if late {
                due + Duration::days(rng.random_range(1..=30))
            } else {
                due - Duration::days(rng.random_range(0..=45))
            };
            match (closed < as_of, mrr_at(m)) {
                (true, Some(now)) => DemoRenewal {
                    due,
                    arr_due: 12 * due_cents,
                    outcome: "renewed",
                    renewed: Some(12 * now),
                    closed: Some(closed),
                },
                _ => DemoRenewal {
                    due,
                    arr_due: 12 * due_cents,
                    outcome: "open",
                    renewed: None,
                    closed: None,
                },
            }
        };
        let end = row.outcome == "churned";
        out.push(row);
        if end {
            break;
        }
    }
    out
}
