//! Converts the accounts table's columns to their roles' types and applies
//! the data contract's rules to them: the churn outcome, reasons, revenue,
//! segments, owner, dates, drivers and KPI metrics, each with an error naming
//! file, column, row and value, and counted warnings for soft problems.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::driver_columns::{categorical, load_driver};
use super::parse::{self, Ctx, FlagSpec};
use super::read::Table;
use super::{Accounts, Categorical, Dates, Driver, Labels, Numbers, Warning};
use crate::config::StudyConfig;
use crate::error::{Error, Result};

/// Converts every column but the ids (left empty for the caller to fill),
/// applying the contract's rules. The columns convert side by side: outcome,
/// reason and revenue; labels, segments and owner; the dates; each driver,
/// then the KPI metrics. Warnings keep that order, and so does the first
/// error.
pub(super) fn convert_accounts(
    cfg: &StudyConfig,
    table: &Table,
    path: PathBuf,
    warnings: &mut Vec<Warning>,
) -> Result<Accounts> {
    let a = &cfg.accounts;
    let miss = &a.missing_values;
    let date_col = |col: &Option<String>| {
        optional(table, &path, col, miss, parse::dates)
            .map(|o| o.map(|(column, values)| Dates { column, values }))
    };
    let (left, (middle, (dates, right))) = rayon::join(
        || outcome_reason_revenue(cfg, table, &path),
        || {
            rayon::join(
                || group_columns(cfg, table, &path),
                || {
                    rayon::join(
                        || -> Result<_> {
                            let tenure =
                                optional(table, &path, &cfg.survival.tenure, miss, parse::numbers)?
                                    .map(|(column, values)| Numbers { column, values });
                            Ok((date_col(&a.start_date)?, date_col(&a.end_date)?, tenure))
                        },
                        || driver_and_metric_columns(cfg, table, &path),
                    )
                },
            )
        },
    );
    let (churned, reason, revenue, lw) = left?;
    warnings.extend(lw);
    let (reason_category, period_labels, segments, owner, lw2) = middle?;
    warnings.extend(lw2);
    let (start_date, end_date, tenure) = dates?;
    check_dates(&path, &start_date, &end_date, &churned, warnings)?;
    let (drivers, metrics, rw) = right?;
    warnings.extend(rw);

    Ok(Accounts {
        path,
        id_column: a.id.clone(),
        ids: Vec::new(),
        churn_column: a.churned.clone(),
        churned,
        reason,
        reason_category,
        period_labels,
        revenue,
        segments,
        owner,
        start_date,
        end_date,
        tenure,
        drivers,
        metrics,
    })
}

/// Churned, retained and the rest of the outcome's parts, with warnings.
type OutcomeColumns = (Vec<bool>, Option<Labels>, Option<Numbers>, Vec<Warning>);

/// The churn outcome (required in every row), the reason and the revenue weight.
fn outcome_reason_revenue(cfg: &StudyConfig, table: &Table, path: &Path) -> Result<OutcomeColumns> {
    let a = &cfg.accounts;
    let miss = &a.missing_values;
    let mut warnings = Vec::new();
    let churned = outcome(cfg, table, path)?;
    let reason = match &a.reason {
        Some(col) => Some(reason_column(
            table,
            path,
            col,
            miss,
            &churned,
            &mut warnings,
        )?),
        None => None,
    };
    let revenue = match &a.revenue {
        Some(col) => Some(revenue_column(table, path, col, miss, &mut warnings)?),
        None => None,
    };
    Ok((churned, reason, revenue, warnings))
}

/// The churn outcome: a flag in every row.
fn outcome(cfg: &StudyConfig, table: &Table, path: &Path) -> Result<Vec<bool>> {
    let a = &cfg.accounts;
    let miss = &a.missing_values;
    let n = table.rows();
    let c = Ctx {
        path,
        column: &a.churned,
        missing_tokens: miss,
    };
    let spec = FlagSpec {
        positive: &a.churned_values,
        negative: &a.retained_values,
    };
    let flags = parse::flags(table.column(&a.churned)?, c, &spec)?;
    let mut out = Vec::with_capacity(n);
    for (i, f) in flags.into_iter().enumerate() {
        out.push(f.ok_or_else(|| {
            c.bad(
                i,
                "",
                "is blank; the churn outcome is required for every account",
            )
        })?);
    }
    Ok(out)
}

/// The cancellation reasons; a reason on a retained account and a churned
/// account without one are counted warnings.
fn reason_column(
    table: &Table,
    path: &Path,
    col: &String,
    miss: &[String],
    churned: &[bool],
    warnings: &mut Vec<Warning>,
) -> Result<Labels> {
    let c = Ctx {
        path,
        column: col,
        missing_tokens: miss,
    };
    let values = parse::texts(table.column(col)?, c)?;
    let retained_with_reason = values
        .iter()
        .zip(churned)
        .filter(|(v, ch)| v.is_some() && !**ch)
        .count();
    warnings.extend(Warning::reason_on_retained(col, retained_with_reason));
    let blank = values
        .iter()
        .zip(churned)
        .filter(|(v, ch)| v.is_none() && **ch)
        .count();
    warnings.extend(Warning::reason_blank(col, blank));
    Ok(Labels {
        column: col.clone(),
        values,
    })
}

/// The revenue weight of a lost account: never negative; blanks count as zero.
fn revenue_column(
    table: &Table,
    path: &Path,
    col: &String,
    miss: &[String],
    warnings: &mut Vec<Warning>,
) -> Result<Numbers> {
    let c = Ctx {
        path,
        column: col,
        missing_tokens: miss,
    };
    let values = parse::numbers(table.column(col)?, c)?;
    if let Some(i) = values.iter().position(|x| *x < 0.0) {
        return Err(c.bad_number(i, values[i], "is negative; revenue must be ≥ 0"));
    }
    let blank = values.iter().filter(|x| x.is_nan()).count();
    warnings.extend(Warning::revenue_missing(col, blank));
    Ok(Numbers {
        column: col.clone(),
        values,
    })
}

/// Category and period labels, segments and owner, with warnings.
type GroupColumns = (
    Option<Labels>,
    Option<Labels>,
    Vec<Categorical>,
    Option<Categorical>,
    Vec<Warning>,
);

/// The reason category and period labels (`[pareto]`), the segments and the owner.
fn group_columns(cfg: &StudyConfig, table: &Table, path: &Path) -> Result<GroupColumns> {
    let a = &cfg.accounts;
    let miss = &a.missing_values;
    let mut warnings = Vec::new();
    let labels = |col: &Option<String>| {
        optional(table, path, col, miss, parse::texts)
            .map(|o| o.map(|(column, values)| Labels { column, values }))
    };
    let reason_category = labels(&cfg.pareto.category)?;
    let period_labels = labels(&cfg.pareto.period_column)?;
    let mut segments = Vec::new();
    for col in &a.segments {
        segments.push(categorical(
            table,
            path,
            col,
            miss,
            "segment",
            &mut warnings,
        )?);
    }
    let owner = match &a.owner {
        Some(col) => Some(categorical(table, path, col, miss, "owner", &mut warnings)?),
        None => None,
    };
    Ok((reason_category, period_labels, segments, owner, warnings))
}

/// Each driver as one task (the first error and the warnings in the config's
/// order), then the KPI metrics.
fn driver_and_metric_columns(
    cfg: &StudyConfig,
    table: &Table,
    path: &Path,
) -> Result<(Vec<Driver>, Vec<Numbers>, Vec<Warning>)> {
    let miss = &cfg.accounts.missing_values;
    let loaded: Vec<(Result<Driver>, Vec<Warning>)> = cfg
        .drivers
        .par_iter()
        .map(|d| {
            let mut w = Vec::new();
            (load_driver(table, path, d, miss, &mut w), w)
        })
        .collect();
    let mut right_warnings = Vec::new();
    let mut drivers = Vec::new();
    for (d, w) in loaded {
        drivers.push(d?);
        right_warnings.extend(w);
    }
    let metrics = load_metrics(cfg, table, path)?;
    Ok((drivers, metrics, right_warnings))
}

/// An end date before its start date is an error; a churned account without
/// an end date and a retained one with an end date are counted warnings.
fn check_dates(
    path: &Path,
    start_date: &Option<Dates>,
    end_date: &Option<Dates>,
    churned: &[bool],
    warnings: &mut Vec<Warning>,
) -> Result<()> {
    if let (Some(s), Some(e)) = (start_date, end_date) {
        for (i, (sd, ed)) in s.values.iter().zip(&e.values).enumerate() {
            if let (Some(sd), Some(ed)) = (sd, ed) {
                if ed < sd {
                    return Err(Error::Value {
                        path: path.to_path_buf(),
                        column: e.column.clone(),
                        row: i + 1,
                        value: ed.to_string(),
                        problem: format!("is before the start date {sd} (column `{}`)", s.column),
                    });
                }
            }
        }
    }
    if let Some(e) = end_date {
        let churned_no_date = e
            .values
            .iter()
            .zip(churned)
            .filter(|(d, c)| d.is_none() && **c)
            .count();
        warnings.extend(Warning::end_date_missing(&e.column, churned_no_date));
        let retained_with_date = e
            .values
            .iter()
            .zip(churned)
            .filter(|(d, c)| d.is_some() && !**c)
            .count();
        warnings.extend(Warning::end_date_on_retained(&e.column, retained_with_date));
    }
    Ok(())
}

/// The account-KPI columns (`[kpis]`): NPS answers must lie in 0–10 and days
/// to value must not be negative; blanks are non-responses.
fn load_metrics(cfg: &StudyConfig, table: &Table, path: &Path) -> Result<Vec<Numbers>> {
    let k = &cfg.kpis;
    let mut out: Vec<Numbers> = Vec::new();
    for (col, _) in k.columns() {
        if out.iter().any(|m| m.column == col) {
            continue;
        }
        let c = Ctx {
            path,
            column: col,
            missing_tokens: &cfg.accounts.missing_values,
        };
        let values = parse::numbers(table.column(col)?, c)?;
        if let Some((lo, hi, whole, why)) = k.bounds(col) {
            if let Some(i) = values
                .iter()
                .position(|x| !x.is_nan() && (*x < lo || *x > hi || (whole && x.fract() != 0.0)))
            {
                return Err(c.bad_number(i, values[i], why));
            }
        }
        out.push(Numbers {
            column: col.to_string(),
            values,
        });
    }
    Ok(out)
}

/// Converts an optional role's column with `f`, returning its name and values.
fn optional<T>(
    table: &Table,
    path: &Path,
    col: &Option<String>,
    missing_tokens: &[String],
    f: impl Fn(&polars::prelude::Column, Ctx) -> Result<T>,
) -> Result<Option<(String, T)>> {
    match col {
        Some(column) => {
            let c = Ctx {
                path,
                column,
                missing_tokens,
            };
            Ok(Some((column.clone(), f(table.column(column)?, c)?)))
        }
        None => Ok(None),
    }
}
