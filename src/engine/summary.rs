//! What was loaded, on an engine: the [`LoadSummary`] the file path prints
//! (counts, each driver's spread, the segments' levels, the revenue window,
//! the durations) with the same warnings in the same order. Most of it is
//! what the checks already counted; one more scan of the accounts counts
//! the cells that depend on the outcome (blank reasons among churns,
//! reasons among the retained, end dates), and one scan of the revenue
//! table counts the accounts it names (the others have no revenue row).

use super::accounts::EngineAccounts;
use super::drivers::Read;
use super::durations::EngineDurations;
use super::revenue::EngineRevenue;
use super::{sql, Cell, Engine};
use crate::config::StudyConfig;
use crate::data::summary::{
    AccountsSummary, DriverSummary, LevelsSummary, LoadSummary, RevenueSummary,
};
use crate::data::{Month, Warning};
use crate::error::Result;

/// The load summary of the checked tables.
///
/// # Errors
/// The engine's own, naming the table.
pub fn load_summary(
    engine: &mut Engine,
    cfg: &StudyConfig,
    acc: &EngineAccounts,
    rev: Option<&EngineRevenue>,
    dur: Option<&EngineDurations>,
) -> Result<LoadSummary> {
    let a = &cfg.accounts;
    let mut warnings = Vec::new();
    // The outcome's cross counts: (reasons among the retained, blank
    // reasons among churns), then (blank end dates among churns, end dates
    // among the retained).
    let crossed: Vec<&str> = a
        .reason
        .iter()
        .chain(&a.end_date)
        .map(String::as_str)
        .collect();
    let cross = if crossed.is_empty() {
        Vec::new()
    } else {
        let d = engine.dialect();
        let q = sql::outcome_cross(d, &acc.from, &acc.churned_sql(d), &crossed, &acc.missing);
        let row = engine
            .query(&q, &[&acc.name])?
            .into_iter()
            .next()
            .unwrap_or_default();
        (0..2 * crossed.len())
            .map(|j| row.get(j).and_then(Cell::count).unwrap_or(0))
            .collect()
    };
    let at = |j: usize| cross.get(j).copied().unwrap_or(0);
    if let Some(col) = &a.reason {
        warnings.extend(Warning::reason_on_retained(col, at(0)));
        warnings.extend(Warning::reason_blank(col, at(1)));
    }
    if let (Some(col), Some(f)) = (&a.revenue, &acc.revenue_facts) {
        warnings.extend(Warning::revenue_missing(
            col,
            acc.rows.saturating_sub(f.present),
        ));
    }
    let labels = acc
        .segments
        .iter()
        .zip(&acc.segment_counts)
        .map(|((c, _), (_, blank))| (c, "segment", *blank))
        .chain(
            a.owner
                .iter()
                .zip(acc.owner_blanks)
                .map(|(c, b)| (c, "owner", b)),
        );
    for (col, role, blank) in labels {
        warnings.extend(Warning::label_missing(role, col, blank));
    }
    if let Some(col) = &a.end_date {
        let j = 2 * usize::from(a.reason.is_some());
        warnings.extend(Warning::end_date_missing(col, at(j + 1)));
        warnings.extend(Warning::end_date_on_retained(col, at(j)));
    }
    let n = acc.rows;
    for d in &acc.drivers {
        let label = d.config.display_label();
        warnings.extend(Warning::of_driver(
            &d.config.column,
            label,
            d.n_missing,
            n,
            d.constant,
        ));
    }
    if let Some(message) = crate::data::one_class(acc.rows, acc.n_churned) {
        warnings.push(Warning {
            kind: "outcome_one_class".into(),
            column: Some(acc.outcome.clone()),
            rows: acc.rows,
            message,
        });
    }
    let revenue = match (rev, &cfg.revenue) {
        (Some(r), Some(rc)) => Some(revenue_summary(engine, acc, r, rc, &mut warnings)?),
        _ => None,
    };
    if let (Some(dur), Some(end)) = (dur, &a.end_date) {
        warnings.extend(Warning::survival_before_window(end, dur.n_before));
    }
    Ok(LoadSummary {
        study: cfg.name(),
        accounts: AccountsSummary {
            path: acc.name.clone(),
            rows: n,
            churned: acc.n_churned,
            churn_rate: acc.n_churned as f64 / n.max(1) as f64,
            ids: acc.key.clone(),
            reason_column: a.reason.clone(),
            revenue_column: a.revenue.clone(),
            total_revenue: acc.revenue_facts.map(|f| f.sum),
        },
        drivers: acc.drivers.iter().map(|d| driver_summary(d, n)).collect(),
        segments: acc
            .segments
            .iter()
            .zip(&acc.segment_counts)
            .map(|((column, levels), (counts, missing))| LevelsSummary {
                column: column.clone(),
                levels: levels.iter().cloned().zip(counts.iter().copied()).collect(),
                missing: *missing,
            })
            .collect(),
        revenue,
        durations: dur.map(|d| d.source.clone()),
        left_truncated: dur.map_or(0, |d| d.n_left_truncated),
        renewals: None,
        warnings,
    })
}

/// One driver's line of the summary.
fn driver_summary(d: &super::drivers::EngineDriver, rows: usize) -> DriverSummary {
    let levels = match &d.read {
        Read::Levels { levels, .. } => Some(levels.len()),
        _ => None,
    };
    let (mean, min, max) = match d.spread {
        Some((m, lo, hi)) => (Some(m), Some(lo), Some(hi)),
        None => (None, None, None),
    };
    DriverSummary {
        column: d.config.column.clone(),
        label: d.config.display_label().to_string(),
        kind: d.config.kind,
        controllable: d.config.controllable,
        indicator: d.config.indicator,
        n: rows - d.n_missing,
        missing: d.n_missing,
        constant: d.constant,
        mean,
        min,
        max,
        levels,
    }
}

/// The revenue table's summary and its warnings: months of the span
/// without a row, accounts without a revenue row (one scan of the table).
fn revenue_summary(
    engine: &mut Engine,
    acc: &EngineAccounts,
    r: &EngineRevenue,
    rc: &crate::config::RevenueConfig,
    warnings: &mut Vec<Warning>,
) -> Result<RevenueSummary> {
    let (first, last) = r.span().unwrap_or((Month(0), Month(-1)));
    let n_months = (last.0 - first.0 + 1).max(0) as usize;
    let mut seen = vec![false; n_months];
    for (_, m) in &r.months {
        if let Some(s) = usize::try_from(m.0 - first.0)
            .ok()
            .and_then(|i| seen.get_mut(i))
        {
            *s = true;
        }
    }
    let gaps: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| !**s)
        .map(|(k, _)| first.plus(k as i32).to_string())
        .collect();
    warnings.extend(Warning::revenue_month_gap(&rc.period, &gaps));
    let d = engine.dialect();
    let q = sql::accounts_with_rows(d, &r.from, &rc.id);
    let with_rows = engine
        .query(&q, &[&r.name])?
        .first()
        .and_then(|row| row.first())
        .and_then(Cell::count)
        .unwrap_or(0);
    let absent = acc.rows.saturating_sub(with_rows);
    warnings.extend(Warning::revenue_account_absent(&rc.id, absent));
    Ok(RevenueSummary {
        path: r.name.clone(),
        rows: r.rows,
        first_month: first.to_string(),
        last_month: last.to_string(),
        months: n_months,
    })
}
