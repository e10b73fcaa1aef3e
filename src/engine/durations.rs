//! Time to churn on an engine, by the data contract's §4 as the file path
//! measures it ([`crate::data::durations`]): from the start and end dates
//! (the date cells parsed at home by the file's rule, each distinct cell
//! once, and joined back as day numbers), active accounts censored at the
//! end of the window, late starters entering at its first day; or from the
//! tenure column. One scan checks them, naming table, column, key and value.

use super::accounts::EngineAccounts;
use super::dates::{date_of, day_of, DateCells};
use super::revenue::EngineRevenue;
use super::sql::{self, survival as q};
use super::{Cell, Dialect, Engine};
use crate::config::{StudyConfig, TimeUnit};
use crate::data::durations::{window, DurationSource, NOT_POSITIVE};
use crate::data::parse;
use crate::error::{Error, Result};

/// How the durations are read on the engine.
#[derive(Debug, Clone)]
enum How {
    Tenure(String),
    Dates {
        start: DateCells,
        end: DateCells,
        /// The window's first day, and the day after its last.
        w0: Option<i32>,
        w_end: i32,
        truncate: bool,
    },
}

/// The durations of an accounts table on an engine, as SQL over
/// [`EngineDurations::frame`]: each row's exit (days, or the tenure), its
/// entry (delayed entry only) and whether it is in the analysis.
#[derive(Debug, Clone)]
pub struct EngineDurations {
    pub unit: TimeUnit,
    pub source: DurationSource,
    pub n_left_truncated: usize,
    /// Accounts that ended before the window began (left out, as a file's).
    pub n_before: usize,
    how: How,
}

impl EngineDurations {
    /// The accounts as the stage reads them: `k` (key), `y` (1 churned),
    /// `x` (the tenure) or `sd`, `ed` (start and end days), and `extra`
    /// columns (SQL over the accounts, each as its name).
    pub fn frame(&self, d: Dialect, acc: &EngineAccounts, extra: &[(String, String)]) -> String {
        let mut cols = vec![
            (d.text(&d.ident(&acc.key)), "k".to_string()),
            (acc.churned_sql(d), "y".to_string()),
        ];
        match &self.how {
            How::Tenure(col) => {
                cols.push((d.double(&d.cell(col, &acc.missing)), "x".into()));
                cols.extend(extra.iter().cloned());
                q::frame(&acc.from, &cols, &[])
            }
            How::Dates { start, end, .. } => date_frame(d, acc, start, end, extra),
        }
    }

    /// The day an account leaves: its end date when churned, else the
    /// window's end.
    fn stop(&self) -> String {
        match &self.how {
            How::Tenure(_) => "x".into(),
            How::Dates { w_end, .. } => format!("(CASE WHEN y = 1 THEN ed ELSE {w_end} END)"),
        }
    }

    /// Whether a row is in the analysis (it did not end before the window).
    pub fn keep_sql(&self) -> String {
        match &self.how {
            How::Dates { w0: Some(w0), .. } => format!("{} >= {w0}", self.stop()),
            _ => "1 = 1".into(),
        }
    }

    /// The row's exit, in days (dates) or the tenure's own unit.
    pub fn exit_sql(&self) -> String {
        match &self.how {
            How::Tenure(_) => "x".into(),
            How::Dates { .. } => format!("{} - sd", self.stop()),
        }
    }

    /// The row's entry, in days, when there is delayed entry.
    pub fn entry_sql(&self) -> Option<String> {
        match &self.how {
            How::Dates {
                w0: Some(w0),
                truncate: true,
                ..
            } => Some(format!("CASE WHEN sd < {w0} THEN {w0} - sd ELSE 0 END")),
            _ => None,
        }
    }

    /// An exit or entry of the SQL as a time in the study's unit, by the
    /// file path's arithmetic (days over the unit's days).
    pub fn time(&self, raw: f64) -> f64 {
        match &self.how {
            How::Tenure(_) => raw,
            How::Dates { .. } => raw / self.unit.days(),
        }
    }
}

/// The frame of the date durations: the accounts joined to their date maps.
fn date_frame(
    d: Dialect,
    acc: &EngineAccounts,
    start: &DateCells,
    end: &DateCells,
    extra: &[(String, String)],
) -> String {
    let mut cols = vec![
        (d.text(&d.ident(&acc.key)), "k".to_string()),
        (acc.churned_sql(d), "y".to_string()),
        (d.cell(&start.column, &acc.missing), "sc".to_string()),
        (d.cell(&end.column, &acc.missing), "ec".to_string()),
    ];
    cols.extend(extra.iter().cloned());
    let maps = [
        ("sc", q::date_map(d, &start.cells, "m0"), "sd"),
        ("ec", q::date_map(d, &end.cells, "m1"), "ed"),
    ];
    q::frame(&acc.from, &cols, &maps)
}

/// Checks the durations of `acc` (dates and `[survival]` of `cfg`, the
/// window from `[survival] window` or the revenue table `rev`) in one
/// scan; `None` when the stage is off or has neither dates nor a tenure.
/// An end date before its start is refused whenever both dates are
/// configured, as a file's load does.
///
/// # Errors
/// [`Error::TableValue`] naming the table, column, key and value of the
/// first account (by key) whose duration the file path would refuse.
pub fn check(
    engine: &mut Engine,
    cfg: &StudyConfig,
    acc: &EngineAccounts,
    rev: Option<&EngineRevenue>,
) -> Result<Option<EngineDurations>> {
    let sc = &cfg.survival;
    let unit = sc.unit;
    if let (true, Some(col)) = (sc.enabled, &acc.tenure) {
        let dur = EngineDurations {
            unit,
            source: DurationSource::of_tenure(unit, col, &acc.outcome),
            n_left_truncated: 0,
            n_before: 0,
            how: How::Tenure(col.clone()),
        };
        let rows = engine.query(
            &q::tenure_check(&dur.frame(engine.dialect(), acc, &[])),
            &[&acc.name],
        )?;
        if let Some(key) = first_text(&rows, 0) {
            let value = cell_at(engine, acc, &key, col)?;
            return Err(bad(acc, col, &key, value, NOT_POSITIVE.into()));
        }
        return Ok(Some(dur));
    }
    let (Some(start), Some(end)) = (&acc.start_date, &acc.end_date) else {
        return Ok(None);
    };
    let months = rev.and_then(EngineRevenue::span);
    let latest = end.latest().and_then(parse::date_from_days);
    let (w0, w_end) = window(cfg, months, latest);
    let truncate = sc.left_truncation && w0.is_some();
    let how = How::Dates {
        start: start.clone(),
        end: end.clone(),
        w0: w0.map(day_of),
        w_end: day_of(w_end),
        truncate,
    };
    let mut dur = EngineDurations {
        unit,
        source: DurationSource::of_dates(
            unit,
            [&start.column, &end.column, &acc.outcome],
            (w0, w_end),
            truncate,
            0,
        ),
        n_left_truncated: 0,
        n_before: 0,
        how,
    };
    let d = engine.dialect();
    let frame = dur.frame(d, acc, &[]);
    let checks = q::date_checks(&frame, &dur.stop(), &dur.keep_sql(), w0.map(day_of));
    let rows = engine.query(&checks, &[&acc.name])?;
    if let Some(key) = first_text(&rows, 0) {
        let (sd, ed, _) = days_at(engine, acc, &frame, &key)?;
        return Err(bad(
            acc,
            &end.column,
            &key,
            ed.map(date_of).unwrap_or_default(),
            format!(
                "is before the start date {} (column `{}`)",
                sd.map(date_of).unwrap_or_default(),
                start.column
            ),
        ));
    }
    if !sc.enabled || acc.tenure.is_some() {
        return Ok(None);
    }
    // The first account (by key) with a fault, and which fault.
    let first = (1..4)
        .filter_map(|j| first_text(&rows, j).map(|k| (k, j)))
        .min();
    if let Some((key, j)) = first {
        let (sd, ed, churned) = days_at(engine, acc, &frame, &key)?;
        return Err(match j {
            1 => bad(
                acc,
                &start.column,
                &key,
                String::new(),
                "is blank; every account needs a start date for its time to churn".into(),
            ),
            2 => bad(acc, &end.column, &key, String::new(), format!(
                "is blank on a churned account (`{}` = churned); a churn needs its end date, or set [survival] enabled = false",
                acc.outcome
            )),
            _ => {
                let sd = sd.unwrap_or_default();
                let stop = if churned { ed.unwrap_or_default() } else { day_of(w_end) };
                let (col, v) = if churned {
                    (&end.column, date_of(stop))
                } else {
                    (&start.column, date_of(sd))
                };
                bad(acc, col, &key, v, format!(
                    "gives a duration of {} days from start {} to {}; a time to churn must be positive",
                    stop - sd,
                    date_of(sd),
                    date_of(stop)
                ))
            }
        });
    }
    let count = |j: usize| {
        rows.first()
            .and_then(|r| r.get(j))
            .and_then(Cell::count)
            .unwrap_or(0)
    };
    dur.n_before = count(4);
    dur.n_left_truncated = if truncate { count(5) } else { 0 };
    dur.source = DurationSource::of_dates(
        unit,
        [&start.column, &end.column, &acc.outcome],
        (w0, w_end),
        truncate,
        dur.n_left_truncated,
    );
    Ok(Some(dur))
}

/// Cell `j` of the answer's first row as text.
fn first_text(rows: &[Vec<Cell>], j: usize) -> Option<String> {
    rows.first().and_then(|r| r.get(j)).and_then(Cell::text)
}

/// The start and end days and the outcome of the account `key`.
fn days_at(
    engine: &mut Engine,
    acc: &EngineAccounts,
    frame: &str,
    key: &str,
) -> Result<(Option<i32>, Option<i32>, bool)> {
    let d = engine.dialect();
    let rows = engine.query(
        &format!("SELECT sd, ed, y FROM {frame} WHERE k = {}", d.literal(key)),
        &[&acc.name],
    )?;
    let day = |j: usize| {
        rows.first()
            .and_then(|r| r.get(j))
            .and_then(Cell::number)
            .map(|x| x as i32)
    };
    Ok((day(0), day(1), day(2) == Some(1)))
}

/// The cell of `column` in the account `key`, as written.
fn cell_at(engine: &mut Engine, acc: &EngineAccounts, key: &str, column: &str) -> Result<String> {
    let q = sql::cells_of(
        engine.dialect(),
        &acc.from,
        &acc.key,
        key,
        &[column],
        &acc.missing,
    );
    Ok(first_text(&engine.query(&q, &[&acc.name])?, 0).unwrap_or_default())
}

fn bad(acc: &EngineAccounts, column: &str, key: &str, value: String, problem: String) -> Error {
    Error::TableValue {
        table: acc.name.clone(),
        column: column.to_string(),
        key: format!("{} {key}", acc.key),
        value,
        problem,
    }
}
