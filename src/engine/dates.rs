//! A date column on an engine: its distinct cells, read at home by the
//! file's date rule, and the day number (since 1970-01-01) each reads as,
//! which SQL joins back to the rows.

use chrono::{Datelike, NaiveDate};

use crate::data::parse;

/// Days from 0001-01-01 to 1970-01-01.
const EPOCH_CE: i32 = 719_163;

/// A date column's distinct cells, each with the day (since 1970-01-01)
/// it reads as.
#[derive(Debug, Clone)]
pub struct DateCells {
    pub column: String,
    pub cells: Vec<(String, i32)>,
}

impl DateCells {
    /// The distinct `cells` of `column` and the dates the file's rule read
    /// them as (`None` for a blank).
    pub fn of(column: &str, cells: Vec<Option<String>>, dates: Vec<Option<NaiveDate>>) -> Self {
        DateCells {
            column: column.to_string(),
            cells: cells
                .into_iter()
                .zip(dates)
                .filter_map(|(c, d)| Some((c?, day_of(d?))))
                .collect(),
        }
    }

    /// The latest day of the column.
    pub fn latest(&self) -> Option<i32> {
        self.cells.iter().map(|c| c.1).max()
    }
}

/// The day number of a date.
pub fn day_of(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - EPOCH_CE
}

/// A day number as the date it is.
pub fn date_of(day: i32) -> String {
    parse::date_from_days(day).map_or_else(|| day.to_string(), |d| d.to_string())
}
