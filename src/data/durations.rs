//! Time to churn per account (`docs/data-contract.md` §4): from the start and
//! end dates, with active accounts censored at the end of the study window
//! and accounts that started before it entering the risk sets at its start
//! (delayed entry); or from a tenure column with `churned` as the event. A
//! duration ≤ 0, an end before the start, or a churn without an end date is
//! an input error naming the row.

use chrono::NaiveDate;
use serde::Serialize;

use super::{Accounts, Revenue, Warning};

/// Why a tenure is refused.
pub const NOT_POSITIVE: &str =
    "is not a positive tenure; every account needs a duration > 0 (survival.tenure)";
use crate::config::{StudyConfig, TimeUnit};
use crate::error::{Error, Result};

/// Durations of every account, in `unit`s; `exit` is NaN for an account
/// left out (it ended before the window began), said in a warning.
#[derive(Debug, Clone)]
pub struct Durations {
    pub unit: TimeUnit,
    /// Where the durations come from, in words for the report.
    pub source: DurationSource,
    /// Tenure at which each account entered the risk sets (0 for accounts
    /// followed from their start); `None` without delayed entry.
    pub entry: Option<Vec<f64>>,
    pub exit: Vec<f64>,
    pub event: Vec<bool>,
    /// Accounts that entered late (started before the window).
    pub n_left_truncated: usize,
}

/// How the durations were measured, for the report and results.json.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DurationSource {
    /// `dates` or `tenure`.
    pub kind: &'static str,
    /// The columns read.
    pub columns: Vec<String>,
    pub unit: &'static str,
    /// First and last day of the window (dates only).
    pub window: Option<(String, String)>,
    /// Delayed entry at the window's start is used.
    pub left_truncation: bool,
    /// One sentence: how time is counted, censored and truncated.
    pub description: String,
}

/// Builds the durations the config and data allow; `None` when the stage is
/// off or there are neither dates nor a tenure column.
///
/// # Errors
/// [`Error::Value`] naming the file, column and row of a bad duration.
pub fn durations(
    a: &Accounts,
    revenue: Option<&Revenue>,
    cfg: &StudyConfig,
    warnings: &mut Vec<Warning>,
) -> Result<Option<Durations>> {
    let sc = &cfg.survival;
    if !sc.enabled {
        return Ok(None);
    }
    let unit = sc.unit;
    if let Some(t) = &a.tenure {
        let mut exit = Vec::with_capacity(t.values.len());
        for (i, &v) in t.values.iter().enumerate() {
            if !(v > 0.0 && v.is_finite()) {
                return Err(Error::Value {
                    path: a.path.clone(),
                    column: t.column.clone(),
                    row: i + 1,
                    value: if v.is_nan() {
                        String::new()
                    } else {
                        super::read::raw_cell(&a.path, &t.column, i)
                            .unwrap_or_else(|| crate::format::plain(v))
                    },
                    problem: NOT_POSITIVE.into(),
                });
            }
            exit.push(v);
        }
        return Ok(Some(Durations {
            unit,
            source: DurationSource::of_tenure(unit, &t.column, &a.churn_column),
            entry: None,
            exit,
            event: a.churned.clone(),
            n_left_truncated: 0,
        }));
    }
    let (Some(start), Some(end)) = (&a.start_date, &a.end_date) else {
        return Ok(None);
    };
    let bad = |column: &str, i: usize, value: String, problem: String| Error::Value {
        path: a.path.clone(),
        column: column.to_string(),
        row: i + 1,
        value,
        problem,
    };
    let latest = end.values.iter().flatten().max().copied();
    let (w0, w_end) = window(
        cfg,
        revenue.map(|r| (r.first_month, r.last_month())),
        latest,
    );
    let truncate = sc.left_truncation && w0.is_some();
    let days = unit.days();
    let n = a.len();
    let mut entry = vec![0.0; n];
    let mut exit = vec![f64::NAN; n];
    let mut n_trunc = 0;
    let mut n_before = 0;
    for i in 0..n {
        let Some(sd) = start.values[i] else {
            return Err(bad(
                &start.column,
                i,
                String::new(),
                "is blank; every account needs a start date for its time to churn".into(),
            ));
        };
        let stop = match (a.churned[i], end.values[i]) {
            (true, Some(ed)) => ed,
            (true, None) => {
                return Err(bad(&end.column, i, String::new(), format!(
                    "is blank on a churned account (`{}` = churned); a churn needs its end date, or set [survival] enabled = false",
                    a.churn_column
                )))
            }
            (false, _) => w_end,
        };
        if let Some(w0) = w0 {
            if stop < w0 {
                n_before += 1;
                continue;
            }
        }
        let dur = (stop - sd).num_days() as f64 / days;
        if dur <= 0.0 {
            let (col, v) = if a.churned[i] {
                (&end.column, stop.to_string())
            } else {
                (&start.column, sd.to_string())
            };
            return Err(bad(col, i, v, format!(
                "gives a duration of {} days from start {sd} to {stop}; a time to churn must be positive",
                (stop - sd).num_days()
            )));
        }
        exit[i] = dur;
        if truncate {
            if let Some(w0) = w0 {
                if sd < w0 {
                    entry[i] = (w0 - sd).num_days() as f64 / days;
                    n_trunc += 1;
                }
            }
        }
    }
    warnings.extend(Warning::survival_before_window(&end.column, n_before));
    Ok(Some(Durations {
        unit,
        source: DurationSource::of_dates(
            unit,
            [&start.column, &end.column, &a.churn_column],
            (w0, w_end),
            truncate,
            n_trunc,
        ),
        entry: truncate.then_some(entry),
        exit,
        event: a.churned.clone(),
        n_left_truncated: n_trunc,
    }))
}

impl DurationSource {
    /// Durations read from a tenure column, with the outcome as the event.
    pub fn of_tenure(unit: TimeUnit, tenure: &str, churned: &str) -> Self {
        DurationSource {
            kind: "tenure",
            columns: vec![tenure.to_string(), churned.to_string()],
            unit: unit.as_str(),
            window: None,
            left_truncation: false,
            description: format!(
                "Time to churn is the tenure column `{tenure}` in {}, with `{churned}` as the event; accounts still active are censored at their tenure. No delayed entry: every account is taken as followed from its start.",
                unit.as_str(),
            ),
        }
    }

    /// Durations from the start and end dates (`columns`: start, end,
    /// outcome) in the window `(first day, day after the last)`, with
    /// delayed entry when `truncate` (`n_trunc` accounts entered late).
    pub fn of_dates(
        unit: TimeUnit,
        columns: [&str; 3],
        (w0, w_end): (Option<NaiveDate>, NaiveDate),
        truncate: bool,
        n_trunc: usize,
    ) -> Self {
        let window_text = w0.map(|w0| {
            (
                w0.to_string(),
                (w_end - chrono::Duration::days(1)).to_string(),
            )
        });
        let description = match (&window_text, truncate) {
            (Some((a0, a1)), true) => format!(
                "Time to churn is counted in {} from each account's start date ({} days a month); accounts still active are censored at the end of the window ({a1}); the {} accounts that started before the window ({a0}) enter the risk sets at the tenure they had on its first day (delayed entry), so the survival is not overstated by years nobody observed.",
                unit.as_str(), unit.days(), crate::format::thousands(n_trunc)
            ),
            (Some((_, a1)), false) => format!(
                "Time to churn is counted in {} from each account's start date; accounts still active are censored at the end of the window ({a1}). Delayed entry is switched off ([survival] left_truncation = false): accounts that started before the window count as observed since their start, which overstates survival.",
                unit.as_str()
            ),
            (None, _) => format!(
                "Time to churn is counted in {} from each account's start date; accounts still active are censored on {}, the day after the latest end date. No window is known (no revenue table and no [survival] window), so there is no delayed entry.",
                unit.as_str(), w_end
            ),
        };
        DurationSource {
            kind: "dates",
            columns: columns.iter().map(|c| c.to_string()).collect(),
            unit: unit.as_str(),
            window: window_text,
            left_truncation: truncate,
            description,
        }
    }
}

/// The window's first day (if known) and the day after its last: from
/// `[survival] window`, else the revenue table's first and last month,
/// else the day after the `latest` end date.
pub fn window(
    cfg: &StudyConfig,
    months: Option<(super::Month, super::Month)>,
    latest: Option<NaiveDate>,
) -> (Option<NaiveDate>, NaiveDate) {
    let month_day = |m: super::Month| NaiveDate::from_ymd_opt(m.year(), m.month(), 1);
    if let Some([a, b]) = cfg.survival.window {
        return (Some(a), b + chrono::Duration::days(1));
    }
    if let Some((first, last)) = months {
        if let (Some(a), Some(b)) = (month_day(first), month_day(last.plus(1))) {
            return (Some(a), b);
        }
    }
    (
        None,
        latest.unwrap_or(NaiveDate::MIN) + chrono::Duration::days(1),
    )
}
