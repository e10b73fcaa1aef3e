//! Builds a validated [`Study`] from a study config: reads the accounts (and
//! revenue) files, converts every role to its type, and applies the
//! data-contract rules. Hard violations are errors naming file, column, row and
//! value; soft ones (missing driver values, a driver with no variance, …)
//! become counted [`Warning`]s.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::parse::{self, clip, Ctx, FlagSpec};
use super::read::{read_table, ColumnRequest, ReadOptions, Table, Want};
use super::{Accounts, Categorical, Dates, Driver, DriverValues, Labels, Numbers, Study, Warning};
use crate::config::{DriverConfig, DriverKind, StudyConfig};
use crate::error::{Error, Result};

/// Loads and validates everything the config names.
///
/// # Errors
/// Any violation of the data contract's hard rules, as an [`Error`] naming
/// the file, column, 1-based row and value.
pub fn load_study(cfg: &StudyConfig) -> Result<Study> {
    let mut warnings = Vec::new();
    let (path, table) = read_accounts(cfg)?;
    let ids = account_ids(cfg, &table, &path)?;
    // A duplicate id is reported after the other columns' errors, as when
    // everything ran one step after the other.
    let index = cfg.accounts.id.as_ref().map(|col| {
        let c = Ctx {
            path: &path,
            column: col,
            missing_tokens: &[],
        };
        id_index(&ids, c)
    });
    // The revenue file is parsed while the other account columns convert.
    let fast_input = match (&cfg.revenue, &index) {
        (Some(rc), Some(Ok(index))) => Some((rc, index)),
        _ => None,
    };
    let (converted, fast) = rayon::join(
        || convert_accounts(cfg, &table, path.clone(), &mut warnings),
        || {
            fast_input.and_then(|(rc, index)| {
                super::revenue_fast::read(&cfg.resolve(&rc.path), rc, index, &ids)
            })
        },
    );
    // Freeing the polars table takes a while: off the critical path.
    crate::drop_in_background(table);
    let mut accounts = converted?;
    crate::timing::mark("accounts converted");
    let index_ok = index.transpose()?.is_some();
    accounts.ids = ids;
    let revenue = match &cfg.revenue {
        Some(rc) => {
            if !index_ok {
                return Err(Error::Config {
                    path: cfg.source.clone(),
                    message: "[revenue] needs accounts.id to link its rows to accounts; set accounts.id to the account id column".into(),
                });
            }
            Some(super::revenue::load_revenue(
                &cfg.resolve(&rc.path),
                rc,
                &accounts,
                fast,
                &cfg.accounts.missing_values,
                &mut warnings,
            )?)
        }
        None => None,
    };
    crate::timing::mark("revenue linked");
    Ok(Study {
        name: cfg.name(),
        accounts,
        revenue,
        warnings,
    })
}

fn requests(cfg: &StudyConfig) -> Vec<ColumnRequest> {
    let a = &cfg.accounts;
    let mut r = Vec::new();
    if let Some(id) = &a.id {
        r.push(ColumnRequest::new(id, "account id", Want::Text));
    }
    r.push(ColumnRequest::new(&a.churned, "churn outcome", Want::Any));
    if let Some(c) = &a.reason {
        r.push(ColumnRequest::new(c, "cancellation reason", Want::Text));
    }
    if let Some(c) = &a.revenue {
        r.push(ColumnRequest::new(c, "revenue", Want::Number));
    }
    if let Some(c) = &cfg.pareto.category {
        r.push(ColumnRequest::new(c, "reason category", Want::Text));
    }
    if let Some(c) = &cfg.pareto.period_column {
        r.push(ColumnRequest::new(c, "period", Want::Text));
    }
    for c in &a.segments {
        r.push(ColumnRequest::new(c, "segment", Want::Text));
    }
    if let Some(c) = &a.owner {
        r.push(ColumnRequest::new(c, "owner", Want::Text));
    }
    if let Some(c) = &a.start_date {
        r.push(ColumnRequest::new(c, "start date", Want::Text));
    }
    if let Some(c) = &a.end_date {
        r.push(ColumnRequest::new(c, "end date", Want::Text));
    }
    for d in &cfg.drivers {
        let want = match d.kind {
            DriverKind::Numeric => Want::Number,
            DriverKind::Ordinal if d.levels.is_none() => Want::Number,
            DriverKind::Ordinal | DriverKind::Categorical => Want::Text,
            DriverKind::Binary => Want::Any,
        };
        r.push(ColumnRequest::new(
            &d.column,
            format!("{} driver", d.kind.as_str()),
            want,
        ));
    }
    for (c, role) in cfg.kpis.columns() {
        r.push(ColumnRequest::new(c, role, Want::Number));
    }
    r
}

/// Reads and converts the accounts file, ids included (one step after the other).
#[cfg(test)]
pub(crate) fn load_accounts(cfg: &StudyConfig, warnings: &mut Vec<Warning>) -> Result<Accounts> {
    let (path, table) = read_accounts(cfg)?;
    let ids = account_ids(cfg, &table, &path)?;
    let mut accounts = convert_accounts(cfg, &table, path, warnings)?;
    accounts.ids = ids;
    Ok(accounts)
}

/// Reads the accounts file's configured columns.
fn read_accounts(cfg: &StudyConfig) -> Result<(PathBuf, Table)> {
    let path = cfg.resolve(&cfg.accounts.path);
    let table = read_table(
        &path,
        &requests(cfg),
        ReadOptions {
            strict_structure: true,
        },
    )?;
    crate::timing::mark("accounts read");
    Ok((path, table))
}

/// The account ids (row numbers when the config names no id column); a
/// blank id is an error.
fn account_ids(cfg: &StudyConfig, table: &Table, path: &Path) -> Result<Vec<String>> {
    let n = table.rows();
    Ok(match &cfg.accounts.id {
        Some(col) => {
            let c = Ctx {
                path,
                column: col,
                missing_tokens: &[],
            };
            let texts = parse::texts(table.column(col)?, c)?;
            let mut ids = Vec::with_capacity(n);
            for (i, v) in texts.into_iter().enumerate() {
                ids.push(v.ok_or_else(|| c.bad(i, "", "is blank; every account needs an id"))?);
            }
            ids
        }
        None => (1..=n).map(|i| i.to_string()).collect(),
    })
}

/// Converts every column but the ids (left empty for the caller to fill),
/// applying the contract's rules.
fn convert_accounts(
    cfg: &StudyConfig,
    table: &Table,
    path: PathBuf,
    warnings: &mut Vec<Warning>,
) -> Result<Accounts> {
    let a = &cfg.accounts;
    let n = table.rows();
    let miss = &a.missing_values;
    let date_col = |col: &Option<String>| {
        optional(table, &path, col, miss, parse::dates)
            .map(|o| o.map(|(column, values)| Dates { column, values }))
    };
    // The columns convert independently, side by side: outcome, reason and
    // revenue; labels, segments and owner; the dates; each driver, then the
    // KPI metrics. Warnings keep the sequential order (in that order), and
    // so does the first error.
    let (left, (middle, (dates, right))) = rayon::join(
        || -> Result<_> {
            let mut left_warnings = Vec::new();
            let warnings = &mut left_warnings;
            // outcome
            let churned = {
                let c = Ctx {
                    path: &path,
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
                out
            };

            let reason = match &a.reason {
                Some(col) => {
                    let c = Ctx {
                        path: &path,
                        column: col,
                        missing_tokens: miss,
                    };
                    let values = parse::texts(table.column(col)?, c)?;
                    let retained_with_reason = values
                        .iter()
                        .zip(&churned)
                        .filter(|(v, ch)| v.is_some() && !**ch)
                        .count();
                    if retained_with_reason > 0 {
                        warnings.push(Warning {
                            kind: "reason_on_retained".into(),
                            column: Some(col.clone()),
                            rows: retained_with_reason,
                            message: format!(
                                "{retained_with_reason} retained accounts have a cancellation reason; it is ignored for them"
                            ),
                        });
                    }
                    let blank = values
                        .iter()
                        .zip(&churned)
                        .filter(|(v, ch)| v.is_none() && **ch)
                        .count();
                    if blank > 0 {
                        warnings.push(Warning {
                            kind: "reason_blank".into(),
                            column: Some(col.clone()),
                            rows: blank,
                            message: format!(
                                "{blank} churned accounts have no cancellation reason; they are reported as \"(not given)\""
                            ),
                        });
                    }
                    Some(Labels {
                        column: col.clone(),
                        values,
                    })
                }
                None => None,
            };

            let revenue = match &a.revenue {
                Some(col) => {
                    let c = Ctx {
                        path: &path,
                        column: col,
                        missing_tokens: miss,
                    };
                    let values = parse::numbers(table.column(col)?, c)?;
                    if let Some(i) = values.iter().position(|x| *x < 0.0) {
                        return Err(c.bad(
                            i,
                            parse::format_number(values[i]),
                            "is negative; revenue must be ≥ 0",
                        ));
                    }
                    let blank = values.iter().filter(|x| x.is_nan()).count();
                    if blank > 0 {
                        warnings.push(Warning {
                            kind: "revenue_missing".into(),
                            column: Some(col.clone()),
                            rows: blank,
                            message: format!("{blank} accounts have no revenue value; they count with zero revenue in revenue-weighted tables"),
                        });
                    }
                    Some(Numbers {
                        column: col.clone(),
                        values,
                    })
                }
                None => None,
            };

            Ok((churned, reason, revenue, left_warnings))
        },
        || {
            rayon::join(
                || -> Result<_> {
                    let mut warnings = Vec::new();
                    let labels = |col: &Option<String>| {
                        optional(table, &path, col, miss, parse::texts)
                            .map(|o| o.map(|(column, values)| Labels { column, values }))
                    };
                    let reason_category = labels(&cfg.pareto.category)?;
                    let period_labels = labels(&cfg.pareto.period_column)?;
                    let mut segments = Vec::new();
                    for col in &a.segments {
                        segments.push(categorical(
                            table,
                            &path,
                            col,
                            miss,
                            "segment",
                            &mut warnings,
                        )?);
                    }
                    let owner = match &a.owner {
                        Some(col) => Some(categorical(
                            table,
                            &path,
                            col,
                            miss,
                            "owner",
                            &mut warnings,
                        )?),
                        None => None,
                    };
                    Ok((reason_category, period_labels, segments, owner, warnings))
                },
                || {
                    rayon::join(
                        || -> Result<_> { Ok((date_col(&a.start_date)?, date_col(&a.end_date)?)) },
                        || -> Result<_> {
                            // One task per driver; the first error and the
                            // warnings in the config's order.
                            let loaded: Vec<(Result<Driver>, Vec<Warning>)> = cfg
                                .drivers
                                .par_iter()
                                .map(|d| {
                                    let mut w = Vec::new();
                                    (load_driver(table, &path, d, miss, &mut w), w)
                                })
                                .collect();
                            let mut right_warnings = Vec::new();
                            let mut drivers = Vec::new();
                            for (d, w) in loaded {
                                drivers.push(d?);
                                right_warnings.extend(w);
                            }
                            let metrics = load_metrics(cfg, table, &path)?;
                            Ok((drivers, metrics, right_warnings))
                        },
                    )
                },
            )
        },
    );
    let (churned, reason, revenue, lw) = left?;
    warnings.extend(lw);
    let (reason_category, period_labels, segments, owner, lw2) = middle?;
    warnings.extend(lw2);
    let (start_date, end_date) = dates?;
    if let (Some(s), Some(e)) = (&start_date, &end_date) {
        for (i, (sd, ed)) in s.values.iter().zip(&e.values).enumerate() {
            if let (Some(sd), Some(ed)) = (sd, ed) {
                if ed < sd {
                    return Err(Error::Value {
                        path: path.clone(),
                        column: e.column.clone(),
                        row: i + 1,
                        value: ed.to_string(),
                        problem: format!("is before the start date {sd} (column `{}`)", s.column),
                    });
                }
            }
        }
    }
    if let Some(e) = &end_date {
        let churned_no_date = e
            .values
            .iter()
            .zip(&churned)
            .filter(|(d, c)| d.is_none() && **c)
            .count();
        if churned_no_date > 0 {
            warnings.push(Warning {
                kind: "end_date_missing".into(),
                column: Some(e.column.clone()),
                rows: churned_no_date,
                message: format!("{churned_no_date} churned accounts have no end date; analyses over time leave them out"),
            });
        }
        let retained_with_date = e
            .values
            .iter()
            .zip(&churned)
            .filter(|(d, c)| d.is_some() && !**c)
            .count();
        if retained_with_date > 0 {
            warnings.push(Warning {
                kind: "end_date_on_retained".into(),
                column: Some(e.column.clone()),
                rows: retained_with_date,
                message: format!("{retained_with_date} accounts marked as retained have an end date; the churn column is taken as the truth"),
            });
        }
    }

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
        drivers,
        metrics,
    })
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
        let bounds = if k.nps.as_deref() == Some(col) {
            Some((
                0.0,
                10.0,
                "an NPS answer must be a whole number from 0 to 10",
            ))
        } else if k.time_to_value.as_deref() == Some(col) {
            Some((0.0, f64::INFINITY, "days to value cannot be negative"))
        } else {
            None
        };
        if let Some((lo, hi, why)) = bounds {
            let is_nps = hi == 10.0;
            if let Some(i) = values
                .iter()
                .position(|x| !x.is_nan() && (*x < lo || *x > hi || (is_nps && x.fract() != 0.0)))
            {
                return Err(c.bad(i, parse::format_number(values[i]), why));
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

/// Finds an account's row from its id. Ids in ascending order (the usual
/// export order) are binary-searched in place: no hash map of a million keys
/// to build, and they are unique by construction.
pub enum IdIndex<'a> {
    Sorted(&'a [String]),
    Hashed(FxHashMap<&'a str, u32>),
}

impl IdIndex<'_> {
    /// The row of `id`, if an account has it.
    pub fn get(&self, id: &str) -> Option<u32> {
        match self {
            IdIndex::Sorted(ids) => ids
                .binary_search_by(|x| x.as_str().cmp(id))
                .ok()
                .map(|i| i as u32),
            IdIndex::Hashed(map) => map.get(id).copied(),
        }
    }
}

/// Index of each id; a duplicate id is an input error naming both rows.
pub(crate) fn id_index<'a>(ids: &'a [String], c: Ctx) -> Result<IdIndex<'a>> {
    if ids.windows(2).all(|w| w[0] < w[1]) {
        return Ok(IdIndex::Sorted(ids));
    }
    let mut seen: FxHashMap<&str, u32> = FxHashMap::default();
    seen.reserve(ids.len());
    for (i, id) in ids.iter().enumerate() {
        if let Some(first) = seen.insert(id.as_str(), i as u32) {
            return Err(c.bad(
                i,
                clip(id),
                format!(
                    "is a duplicate id (first at row {}); ids must be unique",
                    first + 1
                ),
            ));
        }
    }
    Ok(IdIndex::Hashed(seen))
}

fn categorical(
    table: &Table,
    path: &Path,
    col: &str,
    miss: &[String],
    role: &str,
    warnings: &mut Vec<Warning>,
) -> Result<Categorical> {
    let c = Ctx {
        path,
        column: col,
        missing_tokens: miss,
    };
    let cat = Categorical::from_column(table.column(col)?, c)?;
    if cat.n_missing > 0 {
        warnings.push(Warning {
            kind: format!("{role}_missing"),
            column: Some(col.to_string()),
            rows: cat.n_missing,
            message: format!("{} rows have no {role} value in `{col}`", cat.n_missing),
        });
    }
    Ok(cat)
}

fn load_driver(
    table: &Table,
    path: &Path,
    d: &DriverConfig,
    miss: &[String],
    warnings: &mut Vec<Warning>,
) -> Result<Driver> {
    let c = Ctx {
        path,
        column: &d.column,
        missing_tokens: miss,
    };
    let col = table.column(&d.column)?;
    let values = match d.kind {
        DriverKind::Numeric | DriverKind::Ordinal => {
            let v = match &d.levels {
                Some(levels) => ordinal_levels(&parse::texts(col, c)?, levels, c)?,
                None => parse::numbers(col, c)?,
            };
            if let Some([lo, hi]) = d.range {
                if let Some(i) = v.iter().position(|x| !x.is_nan() && (*x < lo || *x > hi)) {
                    return Err(c.bad(
                        i,
                        parse::format_number(v[i]),
                        format!(
                            "is outside the range [{}, {}] set for this driver",
                            parse::format_number(lo),
                            parse::format_number(hi)
                        ),
                    ));
                }
            }
            DriverValues::Numeric(v)
        }
        DriverKind::Binary => {
            let positive: Vec<String> = d.positive.iter().cloned().collect();
            let spec = FlagSpec {
                positive: &positive,
                negative: &[],
            };
            let flags = parse::flags(col, c, &spec)?;
            DriverValues::Numeric(
                flags
                    .into_iter()
                    .map(|f| f.map_or(f64::NAN, |b| b as u8 as f64))
                    .collect(),
            )
        }
        DriverKind::Categorical => {
            let cat = Categorical::from_column(col, c)?;
            if let Some(r) = &d.reference {
                if !cat.levels.contains(r) {
                    return Err(Error::Column {
                        path: path.to_path_buf(),
                        column: d.column.clone(),
                        message: format!(
                            "reference level `{r}` does not occur; its levels are {}",
                            cat.levels
                                .iter()
                                .map(|l| format!("`{l}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    });
                }
            }
            DriverValues::Categorical(cat)
        }
    };
    let n = table.rows();
    let (n_missing, distinct) = match &values {
        DriverValues::Numeric(v) => {
            let present: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
            let distinct = match present.first() {
                None => 0,
                Some(f) => 1 + usize::from(present.iter().any(|x| x != f)),
            };
            (n - present.len(), distinct)
        }
        DriverValues::Categorical(cat) => (cat.n_missing, cat.levels.len()),
    };
    let label = d.display_label();
    if n_missing == n {
        warnings.push(Warning {
            kind: "driver_all_missing".into(),
            column: Some(d.column.clone()),
            rows: n,
            message: format!("driver `{label}` has no value in any of the {n} rows; it is left out of the analyses"),
        });
    } else if n_missing > 0 {
        warnings.push(Warning {
            kind: "driver_missing".into(),
            column: Some(d.column.clone()),
            rows: n_missing,
            message: format!(
                "driver `{label}` is blank in {n_missing} of {n} rows ({:.1} %); analyses of it use the other rows",
                100.0 * n_missing as f64 / n as f64
            ),
        });
    }
    let constant = distinct < 2;
    if constant && n_missing < n {
        warnings.push(Warning {
            kind: "driver_constant".into(),
            column: Some(d.column.clone()),
            rows: n - n_missing,
            message: format!("driver `{label}` has the same value in every row that has one; with no variance it is left out of the analyses"),
        });
    }
    Ok(Driver {
        config: d.clone(),
        values,
        n_missing,
        constant,
    })
}

/// Maps ordinal labels onto 1..k in the order the config lists them.
fn ordinal_levels(cells: &[Option<String>], levels: &[String], c: Ctx) -> Result<Vec<f64>> {
    let mut out = Vec::with_capacity(cells.len());
    for (i, v) in cells.iter().enumerate() {
        out.push(match v {
            None => f64::NAN,
            Some(t) => match levels.iter().position(|l| l == t) {
                Some(k) => (k + 1) as f64,
                None => {
                    return Err(c.bad(
                        i,
                        clip(t),
                        format!("is not one of the ordinal levels {}", levels.join(" < ")),
                    ))
                }
            },
        });
    }
    Ok(out)
}
