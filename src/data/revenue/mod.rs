//! The monthly MRR table, checked against the accounts and stored as an
//! account × month matrix in blocks of accounts (NaN = no row), which is what
//! the period KPIs need. A plain, valid CSV is parsed by the streaming reader
//! ([`fast`]) beside the accounts' conversions; anything else by polars with
//! a message naming the row and value.

use std::path::Path;

use polars::prelude::*;
use rayon::prelude::*;

mod fast;
mod store;

use super::ids::{id_index, IdIndex};
use super::parse::{self, clip, Ctx, Month};
use super::read::{read_table, ColumnRequest, ReadOptions, Want};
use super::{Accounts, Warning};
use crate::config::RevenueConfig;
use crate::error::{Error, Result};
use fast::FastRevenue;
use store::blocks_of;
pub use store::{Revenue, BLOCK_ACCOUNTS, MAX_MONTHS};

/// What a blank MRR cell is told, in a file or in an engine's table.
pub const BLANK_MRR: &str = "is blank; write 0 for a month with no revenue, or leave the row out";

/// What the revenue loader could do before the accounts were converted: the
/// whole file parsed by the streaming reader when it can vouch for it
/// ([`parse_early`]); empty otherwise, and [`load_revenue`] reads the file
/// with the full reader.
#[derive(Default)]
pub struct Early(Option<FastRevenue>);

impl Early {
    /// Whether the streaming reader parsed the file (else the full reader will).
    pub fn is_fast(&self) -> bool {
        self.0.is_some()
    }
}

/// Parses the revenue file with the streaming reader if it is a plain, valid
/// CSV this path can vouch for; run beside the accounts' conversions. Never
/// an error of its own: anything doubtful is left to [`load_revenue`].
pub fn parse_early(path: &Path, rc: &RevenueConfig, index: &IdIndex, ids: &[String]) -> Early {
    Early(fast::read(path, rc, index, ids))
}

/// Reads the revenue table and links every row to an account: from what
/// [`parse_early`] parsed, else with the full reader, whose errors name the
/// row and value.
///
/// # Errors
/// Rows whose account is unknown (naming the first offenders), a missing or
/// malformed month, a missing or negative MRR, or two rows for the same
/// account and month.
pub fn load_revenue(
    path: &Path,
    rc: &RevenueConfig,
    accounts: &Accounts,
    early: Early,
    missing_tokens: &[String],
    warnings: &mut Vec<Warning>,
) -> Result<Revenue> {
    let n_accounts = accounts.len();
    if let Some(f) = early.0 {
        return Ok(finish(
            path,
            rc,
            f.first_month.0,
            f.n_rows,
            f.blocks,
            &f.seen,
            n_accounts,
            warnings,
        ));
    }
    let index = match &accounts.id_column {
        Some(col) => id_index(
            &accounts.ids,
            Ctx {
                path: &accounts.path,
                column: col,
                missing_tokens: &[],
            },
        )?,
        None => IdIndex::Hashed(Default::default()),
    };
    load_revenue_polars(path, rc, accounts, &index, missing_tokens, warnings)
}

/// The full reader: polars, then every rule with a message naming the row.
pub(crate) fn load_revenue_polars(
    path: &Path,
    rc: &RevenueConfig,
    accounts: &Accounts,
    index: &IdIndex,
    missing_tokens: &[String],
    warnings: &mut Vec<Warning>,
) -> Result<Revenue> {
    let n_accounts = accounts.len();
    let table = read_table(
        path,
        &[
            ColumnRequest::new(&rc.id, "account id", Want::Text),
            ColumnRequest::new(&rc.period, "month", Want::Text),
            ColumnRequest::new(&rc.mrr, "MRR", Want::Number),
        ],
        ReadOptions::default(),
    )?;
    let n_rows = table.rows();
    let ctx_of = |column| Ctx {
        path,
        column,
        missing_tokens,
    };

    let months = par_months(table.column(&rc.period)?, ctx_of(&rc.period))?;
    let mrr_ctx = ctx_of(&rc.mrr);
    let mrr = parse::numbers(table.column(&rc.mrr)?, mrr_ctx)?;
    if let Some(i) = mrr.iter().position(|x| x.is_nan() || *x < 0.0) {
        return Err(if mrr[i].is_nan() {
            mrr_ctx.bad(i, "", BLANK_MRR)
        } else {
            mrr_ctx.bad_number(i, mrr[i], "is negative; MRR must be ≥ 0")
        });
    }

    let acct_idx = link_accounts(&table.df, rc, path, accounts, index)?;
    drop(table);

    let (lo, hi) = months.iter().fold((i32::MAX, i32::MIN), |(lo, hi), m| {
        (lo.min(m.0), hi.max(m.0))
    });
    if hi - lo >= MAX_MONTHS {
        return Err(Error::Column {
            path: path.to_path_buf(),
            column: rc.period.clone(),
            message: format!(
                "spans {} to {}, more than {MAX_MONTHS} months; check the month column",
                Month(lo),
                Month(hi)
            ),
        });
    }
    let n_months = (hi - lo + 1) as usize;
    let mut dense = vec![f64::NAN; n_accounts * n_months];
    for (i, ((&a, m), &x)) in acct_idx.iter().zip(&months).zip(&mrr).enumerate() {
        let cell = &mut dense[a as usize * n_months + (m.0 - lo) as usize];
        if !cell.is_nan() {
            let first = acct_idx
                .iter()
                .zip(&months)
                .position(|(&a2, m2)| a2 == a && m2 == m)
                .unwrap_or(i);
            return Err(Error::Value {
                path: path.to_path_buf(),
                column: rc.period.clone(),
                row: i + 1,
                value: m.to_string(),
                problem: format!(
                    "repeats account `{}`'s month (first at row {}); one row per account per month",
                    clip(&accounts.ids[a as usize]),
                    first + 1
                ),
            });
        }
        *cell = x;
    }

    let mut seen_month = vec![false; n_months];
    for m in &months {
        seen_month[(m.0 - lo) as usize] = true;
    }
    let blocks = blocks_of(&dense, n_months);
    drop(dense);
    Ok(finish(
        path,
        rc,
        lo,
        n_rows,
        blocks,
        &seen_month,
        n_accounts,
        warnings,
    ))
}

/// The checks both readers share once the matrix is built: months without
/// any row and accounts without any row are counted warnings.
#[allow(clippy::too_many_arguments)]
fn finish(
    path: &Path,
    rc: &RevenueConfig,
    lo: i32,
    n_rows: usize,
    blocks: Vec<Box<[f64]>>,
    seen_month: &[bool],
    n_accounts: usize,
    warnings: &mut Vec<Warning>,
) -> Revenue {
    let n_months = seen_month.len();
    let gaps: Vec<String> = seen_month
        .iter()
        .enumerate()
        .filter(|(_, s)| !**s)
        .map(|(k, _)| Month(lo + k as i32).to_string())
        .collect();
    warnings.extend(Warning::revenue_month_gap(&rc.period, &gaps));
    let no_rows = blocks
        .iter()
        .flat_map(|b| b.chunks_exact(n_months.max(1)))
        .filter(|row| row.iter().all(|x| x.is_nan()))
        .count();
    warnings.extend(Warning::revenue_account_absent(&rc.id, no_rows));
    Revenue {
        path: path.to_path_buf(),
        first_month: Month(lo),
        n_months,
        n_accounts,
        n_rows,
        blocks,
    }
}

/// Index of each revenue row's account; unknown ids are one error naming the
/// first few offenders and how many rows are affected.
fn link_accounts(
    df: &DataFrame,
    rc: &RevenueConfig,
    path: &Path,
    accounts: &Accounts,
    index: &IdIndex,
) -> Result<Vec<u32>> {
    let col = df.column(&rc.id)?;
    let ctx = Ctx {
        path,
        column: &rc.id,
        missing_tokens: &[],
    };
    let mut out = Vec::with_capacity(df.height());
    let mut unknown: Vec<(usize, String)> = Vec::new();
    let mut n_unknown = 0usize;
    if col.dtype() == &DataType::String {
        let ca = col.str()?;
        out = vec![0u32; ca.len()];
        // One output slice per arrow chunk, filled in parallel.
        let mut slices: Vec<&mut [u32]> = Vec::new();
        let mut rest: &mut [u32] = &mut out;
        for arr in ca.downcast_iter() {
            let (head, tail) = rest.split_at_mut(arr.len());
            slices.push(head);
            rest = tail;
        }
        // Rows usually come grouped by account: remember the last id to skip most lookups.
        let parts: Vec<ChunkLink> = chunks(ca)
            .into_par_iter()
            .zip(slices.into_par_iter())
            .map(|((off, arr), idx)| {
                let mut unknown = Vec::new();
                let mut n_unknown = 0;
                let mut blank = None;
                let mut last: Option<(&str, u32)> = None;
                for (j, v) in arr.iter().enumerate() {
                    let v = v.map(str::trim).unwrap_or("");
                    if let Some((lv, la)) = last {
                        if lv == v {
                            idx[j] = la;
                            continue;
                        }
                    }
                    if v.is_empty() {
                        blank.get_or_insert(off + j);
                        continue;
                    }
                    match index.get(v) {
                        Some(a) => {
                            last = Some((v, a));
                            idx[j] = a;
                        }
                        None => {
                            n_unknown += 1;
                            if unknown.len() < 5 {
                                unknown.push((off + j + 1, v.to_string()));
                            }
                        }
                    }
                }
                (unknown, n_unknown, blank)
            })
            .collect();
        if let Some(i) = parts.iter().filter_map(|p| p.2).min() {
            return Err(ctx.bad(i, "", "is blank; every revenue row needs its account id"));
        }
        for (unk, n_unk, _) in parts {
            n_unknown += n_unk;
            for u in unk {
                if unknown.len() < 5 {
                    unknown.push(u);
                }
            }
        }
    } else {
        for (i, v) in parse::texts(col, ctx)?.into_iter().enumerate() {
            let v = v.ok_or_else(|| {
                ctx.bad(i, "", "is blank; every revenue row needs its account id")
            })?;
            match index.get(v.as_str()) {
                Some(a) => out.push(a),
                None => {
                    n_unknown += 1;
                    if unknown.len() < 5 {
                        unknown.push((i + 1, v.to_string()));
                    }
                    out.push(0);
                }
            }
        }
    }
    if n_unknown > 0 {
        let listed: Vec<String> = unknown
            .iter()
            .map(|(r, v)| format!("row {r} `{}`", clip(v)))
            .collect();
        return Err(Error::Column {
            path: path.to_path_buf(),
            column: rc.id.clone(),
            message: format!(
                "{n_unknown} rows name accounts that are not in {}: {}{}",
                accounts.path.display(),
                listed.join(", "),
                if n_unknown > listed.len() {
                    ", …"
                } else {
                    ""
                }
            ),
        });
    }
    Ok(out)
}

/// Per chunk: the first unknown ids (row, id), how many there were, the first blank row.
type ChunkLink = (Vec<(usize, String)>, usize, Option<usize>);

/// The arrow chunks of a text column with the row offset of each.
fn chunks(ca: &StringChunked) -> Vec<(usize, &<StringType as PolarsDataType>::Array)> {
    let mut off = 0;
    ca.downcast_iter()
        .map(|arr| {
            let o = off;
            off += arr.len();
            (o, arr)
        })
        .collect()
}

/// [`parse::months`] over a text column, in parallel.
fn par_months(col: &Column, ctx: Ctx) -> Result<Vec<Month>> {
    if col.dtype() != &DataType::String {
        return parse::months(col, ctx);
    }
    let ca = col.str()?;
    let parts: Vec<std::result::Result<Vec<Month>, usize>> = chunks(ca)
        .into_par_iter()
        .map(|(off, arr)| {
            let mut out = Vec::with_capacity(arr.len());
            for (j, v) in arr.iter().enumerate() {
                match v.and_then(parse::parse_month) {
                    Some(m) => out.push(m),
                    None => return Err(off + j),
                }
            }
            Ok(out)
        })
        .collect();
    let mut out = Vec::with_capacity(ca.len());
    for p in parts {
        match p {
            Ok(v) => out.extend_from_slice(&v),
            // Re-run the sequential parser on the column to build the precise error.
            Err(_) => return parse::months(col, ctx),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
