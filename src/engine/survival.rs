//! The survival curves on an engine: every grouping (everyone, then each
//! driver's levels, yes/no or quantile bins, as the in-memory curves group
//! them) counted by exit time, event and entry in one scan; the grid of
//! distinct exit times and the tallies are built at home, where the
//! curves, log-rank tests and restricted means are swept by the in-memory
//! code ([`crate::survival::counted`]).

use super::accounts::EngineAccounts;
use super::drivers::{EngineDriver, Read};
use super::durations::EngineDurations;
use super::sql::survival as q;
use super::{Cell, Dialect, Engine};
use crate::config::DriverKind;
use crate::drivers::univariate::{numeric_groups_of_tally, Tally as ValueTally};
use crate::error::{Error, Result};
use crate::stats::survival::grid::Tally;
use crate::survival::counted::{Counted, CountedGroups};

/// Most (grouping, group, time) rows brought home.
pub const MAX_ROWS: usize = 5_000_000;

/// One grouping: its labels, reference level, and each row's group as SQL.
struct Grouping {
    labels: Vec<String>,
    reference: usize,
    code: String,
}

/// A driver's curve groups, as [`crate::survival::curves::driver_groups`]
/// makes them: a categorical driver's levels, yes/no, or the rate tables'
/// groups of a number driver (from its `values` tally).
fn grouping(
    d: Dialect,
    acc: &EngineAccounts,
    dr: &EngineDriver,
    values: &[ValueTally],
    bins: usize,
    reference: usize,
) -> Grouping {
    let v = dr.value_sql(d, &acc.missing);
    if let Read::Levels { levels, .. } = &dr.read {
        return Grouping {
            labels: levels.clone(),
            reference,
            code: v,
        };
    }
    // A number, as the screen reads it.
    let v = d.double(&v);
    match dr.config.kind {
        DriverKind::Binary => Grouping {
            labels: vec!["no".into(), "yes".into()],
            reference: 0,
            code: format!("CASE WHEN {v} IS NULL THEN NULL WHEN {v} = 1 THEN 1 ELSE 0 END"),
        },
        _ => {
            let g = numeric_groups_of_tally(values, bins);
            let code_of = |c: Option<u32>| c.map_or("NULL".to_string(), |c| c.to_string());
            let whens: String = g
                .thresholds
                .iter()
                .zip(&g.codes)
                .map(|(t, &c)| format!(" WHEN {v} <= {} THEN {}", d.number(*t), code_of(c)))
                .collect();
            let last = code_of(g.codes.last().copied().flatten());
            Grouping {
                labels: g.labels,
                reference: 0,
                code: format!("CASE WHEN {v} IS NULL THEN NULL{whens} ELSE {last} END"),
            }
        }
    }
}

/// Counts everyone and each driver with curves (`has_curves`) on the
/// durations `dur`, in one scan; `values` are the drivers' value tallies
/// (the screen's), `references` their reference levels.
///
/// # Errors
/// The engine's own; [`Error::Table`] when the counts would bring more
/// than [`MAX_ROWS`] rows home.
pub fn count(
    engine: &mut Engine,
    acc: &EngineAccounts,
    dur: &EngineDurations,
    values: &[Vec<ValueTally>],
    references: &[usize],
    has_curves: &[bool],
    bins: usize,
) -> Result<Counted> {
    let d = engine.dialect();
    let mut groupings = vec![Grouping {
        labels: vec!["All accounts".into()],
        reference: 0,
        code: "0".into(),
    }];
    let mut slot = Vec::new();
    for (k, dr) in acc.drivers.iter().enumerate() {
        if has_curves.get(k).copied().unwrap_or(false) {
            let v = values.get(k).map_or(&[][..], Vec::as_slice);
            slot.push(Some(groupings.len()));
            groupings.push(grouping(d, acc, dr, v, bins, references[k]));
        } else {
            slot.push(None);
        }
    }
    let extra: Vec<(String, String)> = groupings
        .iter()
        .enumerate()
        .map(|(j, g)| (g.code.clone(), format!("c{j}")))
        .collect();
    let frame = dur.frame(d, acc, &extra);
    let entry = dur.entry_sql();
    let sql = q::time_tallies(
        &frame,
        &dur.exit_sql(),
        entry.as_deref(),
        &dur.keep_sql(),
        groupings.len(),
    );
    let rows = engine.query(&format!("{sql} LIMIT {}", MAX_ROWS + 1), &[&acc.name])?;
    if rows.len() > MAX_ROWS {
        return Err(Error::Table {
            table: acc.name.clone(),
            message: format!("its durations have more than {MAX_ROWS} distinct (group, time) pairs; count time in coarser units ([survival] unit)"),
        });
    }
    let per = if entry.is_some() { 2 } else { 1 };
    // (grouping, entries?, group, exit, event, entry, rows)
    let parsed: Vec<(usize, bool, usize, f64, bool, f64, u32)> = rows
        .iter()
        .filter_map(|r| {
            let at = |j: usize| r.get(j).unwrap_or(&Cell::Null);
            let s = at(0).count()?;
            let g = at(1).count()?;
            let n = u32::try_from(at(5).count()?).ok()?;
            let entries = s % per == 1;
            let x = if entries {
                0.0
            } else {
                dur.time(at(2).number()?)
            };
            let e = at(3).count() == Some(1);
            let en = if entries {
                dur.time(at(4).number()?)
            } else {
                0.0
            };
            Some((s / per, entries, g, x, e, en, n))
        })
        .collect();
    // The grid: everyone's distinct exit times.
    let mut times: Vec<f64> = parsed
        .iter()
        .filter(|r| r.0 == 0 && !r.1)
        .map(|r| r.3)
        .collect();
    times.sort_unstable_by(f64::total_cmp);
    times.dedup();
    let m = times.len();
    let mut tallies: Vec<Tally> = groupings
        .iter()
        .map(|g| Tally {
            k: g.labels.len(),
            m,
            with_entry: entry.is_some(),
            events: vec![0; g.labels.len() * (m + 1)],
            exits: vec![0; g.labels.len() * (m + 1)],
            entered: vec![0; g.labels.len() * (m + 1)],
        })
        .collect();
    for &(j, entries, g, x, e, en, n) in &parsed {
        let Some(t) = tallies.get_mut(j).filter(|t| g < t.k) else {
            continue;
        };
        let w = m + 1;
        if entries {
            // The grid times at or before the entry, as the grid counts them.
            t.entered[g * w + times.partition_point(|&u| u <= en)] += n;
        } else if let Ok(i) = times.binary_search_by(|u| u.total_cmp(&x)) {
            t.exits[g * w + i] += n;
            if e {
                t.events[g * w + i] += n;
            }
        }
    }
    let mut tallies: Vec<Option<Tally>> = tallies.into_iter().map(Some).collect();
    let overall = tallies
        .first_mut()
        .and_then(Option::take)
        .ok_or_else(|| Error::Table {
            table: acc.name.clone(),
            message: "has no durations to count".into(),
        })?;
    let drivers = slot
        .iter()
        .map(|s| {
            let j = (*s)?;
            let g = &groupings[j];
            Some(CountedGroups {
                labels: g.labels.clone(),
                reference: g.reference,
                tally: tallies[j].take()?,
            })
        })
        .collect();
    Ok(Counted {
        times,
        overall,
        drivers,
    })
}
