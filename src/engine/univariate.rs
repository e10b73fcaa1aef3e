//! The univariate screen on an engine: every driver's values tallied by
//! the outcome in one scan (a categorical driver's by level), and the
//! in-memory tests run on those tallies at home ([`screen_tally`]): the
//! contingency tables, Welch's t from the groups' moments, Mann-Whitney U
//! from the tied groups' ranks, the rate tables' quantile bins.

use super::accounts::EngineAccounts;
use super::{Cell, Engine};
use crate::drivers::univariate::{screen_tally, Tally, Univariate};
use crate::error::{Error, Result};

/// Most distinct (driver, value) pairs brought home: a tally is one row
/// per distinct value, so a driver with a value per account would bring
/// the table home.
pub const MAX_TALLY: usize = 2_000_000;

/// Every driver of `acc` screened, in config order, from one scan; a
/// categorical driver against its reference level in `references`.
///
/// # Errors
/// The engine's own; [`Error::Table`] when the drivers have more than
/// [`MAX_TALLY`] distinct values in all.
pub fn screen(
    engine: &mut Engine,
    acc: &EngineAccounts,
    references: &[usize],
    bins: usize,
) -> Result<Vec<Univariate>> {
    let tallies = tallies(engine, acc)?;
    Ok(acc
        .drivers
        .iter()
        .zip(&tallies)
        .zip(references)
        .map(|((dr, t), &r)| screen_tally(dr, t, bins, r))
        .collect())
}

/// Every driver's distinct values (ascending) with their churned and all
/// rows, blanks left out, from one scan.
///
/// # Errors
/// As [`screen`].
pub fn tallies(engine: &mut Engine, acc: &EngineAccounts) -> Result<Vec<Vec<Tally>>> {
    let d = engine.dialect();
    let values: Vec<String> = acc
        .drivers
        .iter()
        .map(|dr| dr.value_sql(d, &acc.missing))
        .collect();
    let mut tallies: Vec<Vec<Tally>> = vec![Vec::new(); values.len()];
    if !values.is_empty() {
        let q = super::sql::tallies(d, &acc.from, &acc.churned_sql(d), &values, MAX_TALLY + 1);
        let rows = engine.query(&q, &[&acc.name])?;
        if rows.len() > MAX_TALLY {
            return Err(Error::Table {
                table: acc.name.clone(),
                message: format!(
                    "its drivers have more than {MAX_TALLY} distinct values in all; round a continuous driver (in a view) to fewer values to screen it on the engine"
                ),
            });
        }
        for r in &rows {
            let at = |j: usize| r.get(j).unwrap_or(&Cell::Null);
            let (Some(k), Some(v)) = (at(0).count(), at(1).number()) else {
                continue; // a driver's blanks
            };
            let (Some(t), Some(c), Some(n)) = (tallies.get_mut(k), at(2).count(), at(3).count())
            else {
                continue;
            };
            t.push((v, c as u64, n as u64));
        }
    }
    for t in &mut tallies {
        t.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    }
    Ok(tallies)
}
