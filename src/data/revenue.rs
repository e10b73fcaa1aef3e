//! The monthly MRR table, checked against the accounts and stored as an
//! account × month matrix in blocks of accounts (NaN = no row), which is what
//! the period KPIs need.

use std::path::Path;

use polars::prelude::*;
use rayon::prelude::*;

use super::load::IdIndex;
use super::parse::{self, clip, Ctx, Month};
use super::read::{read_table, ColumnRequest, ReadOptions, Want};
use super::revenue_fast::FastRevenue;
use super::{Accounts, Warning};
use crate::config::RevenueConfig;
use crate::error::{Error, Result};

/// Longest span of months accepted (50 years); more means a broken month column.
pub(crate) const MAX_MONTHS: i32 = 600;

/// Accounts per block of [`Revenue`]'s MRR storage.
pub const BLOCK_ACCOUNTS: usize = 1024;

/// MRR per account and month: [`Revenue::row`] of account `a` holds its MRR
/// in months `first_month + m`, NaN when the table has no row for it. Stored
/// in blocks of [`BLOCK_ACCOUNTS`] accounts (the streaming reader's pages
/// become the storage as they are, without a second copy of the matrix).
#[derive(Debug, Clone)]
pub struct Revenue {
    pub path: std::path::PathBuf,
    pub first_month: Month,
    pub n_months: usize,
    pub n_accounts: usize,
    pub n_rows: usize,
    blocks: Vec<Box<[f64]>>,
}

impl Revenue {
    /// From an account-major matrix: `dense[a * n_months + m]` (NaN = no row).
    pub fn from_dense(
        path: std::path::PathBuf,
        first_month: Month,
        n_months: usize,
        n_rows: usize,
        dense: &[f64],
    ) -> Revenue {
        Revenue {
            path,
            first_month,
            n_months,
            n_accounts: dense.len() / n_months.max(1),
            n_rows,
            blocks: blocks_of(dense, n_months),
        }
    }

    /// Account `a`'s MRR, one value per month (NaN = no row).
    pub fn row(&self, a: usize) -> &[f64] {
        let r = a % BLOCK_ACCOUNTS;
        &self.blocks[a / BLOCK_ACCOUNTS][r * self.n_months..(r + 1) * self.n_months]
    }

    /// MRR of account `a` in month index `m` (0 when absent).
    pub fn billed(&self, a: usize, m: usize) -> f64 {
        let x = self.row(a)[m];
        if x.is_nan() {
            0.0
        } else {
            x
        }
    }

    /// The month at index `m`.
    pub fn month(&self, m: usize) -> Month {
        self.first_month.plus(m as i32)
    }

    pub fn last_month(&self) -> Month {
        self.month(self.n_months - 1)
    }
}

/// Reads the revenue table and links every row to an account. `fast` is
/// the streaming reader's result when it could vouch for the file; without
/// it the full reader runs.
///
/// # Errors
/// Rows whose account is unknown (naming the first offenders), a missing or
/// malformed month, a missing or negative MRR, or two rows for the same
/// account and month.
pub fn load_revenue(
    path: &Path,
    rc: &RevenueConfig,
    accounts: &Accounts,
    fast: Option<FastRevenue>,
    missing_tokens: &[String],
    warnings: &mut Vec<Warning>,
) -> Result<Revenue> {
    let n_accounts = accounts.len();
    if let Some(f) = fast {
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
        Some(col) => super::load::id_index(
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
        let (v, p) = if mrr[i].is_nan() {
            (
                String::new(),
                "is blank; write 0 for a month with no revenue, or leave the row out",
            )
        } else {
            (parse::format_number(mrr[i]), "is negative; MRR must be ≥ 0")
        };
        return Err(mrr_ctx.bad(i, v, p));
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

/// An account-major matrix cut into the storage blocks.
fn blocks_of(dense: &[f64], n_months: usize) -> Vec<Box<[f64]>> {
    dense
        .chunks((BLOCK_ACCOUNTS * n_months).max(1))
        .map(|b| b.to_vec().into_boxed_slice())
        .collect()
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
    if !gaps.is_empty() {
        warnings.push(Warning {
            kind: "revenue_month_gap".into(),
            column: Some(rc.period.clone()),
            rows: 0,
            message: format!(
                "no revenue rows at all for {} month(s) inside the range: {}",
                gaps.len(),
                gaps.join(", ")
            ),
        });
    }
    let no_rows = blocks
        .iter()
        .flat_map(|b| b.chunks_exact(n_months.max(1)))
        .filter(|row| row.iter().all(|x| x.is_nan()))
        .count();
    if no_rows > 0 {
        warnings.push(Warning {
            kind: "revenue_account_absent".into(),
            column: Some(rc.id.clone()),
            rows: no_rows,
            message: format!(
                "{no_rows} accounts have no revenue rows; they are outside every revenue cohort"
            ),
        });
    }
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
mod tests {
    use super::*;

    /// The streaming reader and the polars reader give the same matrix, row
    /// count and warnings on a valid CSV (a generated demo study with gaps:
    /// accounts arrive and churn inside the window).
    #[test]
    fn fast_and_full_readers_agree() {
        // 16 months: pages exactly a month wide, kept and reordered in
        // place; 14: pages wider than the months, merged into new blocks.
        for months in [14, 16] {
            fast_and_full_readers_agree_over(months);
        }
    }

    /// The fast reader (with `parts` byte ranges) takes `file` and gives the
    /// polars reader's matrix bit for bit, its row count and its warnings.
    fn fast_equals_full(
        file: &Path,
        rc: &RevenueConfig,
        accounts: &Accounts,
        index: &IdIndex,
        parts: usize,
    ) {
        let what = file.display();
        let fast = super::super::revenue_fast::read_in(file, rc, index, &accounts.ids, parts)
            .unwrap_or_else(|| panic!("{what}: the fast reader declined"));
        let (mut w1, mut w2) = (Vec::new(), Vec::new());
        let a = finish(
            file,
            rc,
            fast.first_month.0,
            fast.n_rows,
            fast.blocks,
            &fast.seen,
            accounts.len(),
            &mut w1,
        );
        let b = load_revenue_polars(file, rc, accounts, index, &[], &mut w2).expect("full");
        assert_eq!(
            (a.first_month, a.n_months, a.n_rows),
            (b.first_month, b.n_months, b.n_rows),
            "{what}"
        );
        assert!(
            (0..accounts.len()).all(|i| a
                .row(i)
                .iter()
                .zip(b.row(i))
                .all(|(x, y)| x.to_bits() == y.to_bits())),
            "{what}"
        );
        assert_eq!(
            w1.iter().map(|w| &w.message).collect::<Vec<_>>(),
            w2.iter().map(|w| &w.message).collect::<Vec<_>>(),
            "{what}"
        );
    }

    fn fast_and_full_readers_agree_over(months: usize) {
        let dir = tempfile::tempdir().expect("tmp");
        let p = crate::demo::DemoParams {
            accounts: 3000,
            months,
            seed: 7,
            special_month: 8,
            ..crate::demo::DemoParams::default()
        };
        crate::demo::write_demo(&p, dir.path(), false).expect("demo");
        let cfg = crate::StudyConfig::from_path(&dir.path().join("study.toml")).expect("cfg");
        let mut w = Vec::new();
        let accounts = super::super::load::load_accounts(&cfg, &mut w).expect("accounts");
        let hashed = IdIndex::Hashed(
            accounts
                .ids
                .iter()
                .enumerate()
                .map(|(i, id)| (id.as_str(), i as u32))
                .collect(),
        );
        let sorted = IdIndex::Sorted(&accounts.ids);
        let rc = cfg.revenue.as_ref().expect("revenue");
        let path = cfg.resolve(&rc.path);
        let text = std::fs::read_to_string(&path).expect("csv");
        // The rows as written (account order) and shuffled (every id found by
        // look-up, every page of every range touched), with either index.
        let (header, body) = text.split_once('\n').expect("header");
        let mut rows: Vec<&str> = body.lines().collect();
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for i in (1..rows.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            rows.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let shuffled = dir.path().join("shuffled.csv");
        std::fs::write(&shuffled, format!("{header}\n{}\n", rows.join("\n"))).expect("write");
        // One range (every block one page, reordered in place), a few, and
        // many (blocks merged from several ranges' pages).
        for (file, index, parts) in [
            (&path, &hashed, 16),
            (&path, &sorted, 1),
            (&path, &sorted, 3),
            (&shuffled, &hashed, 1),
            (&shuffled, &sorted, 16),
        ] {
            fast_equals_full(file, rc, &accounts, index, parts);
        }
        // Windows line ends, no newline at the end, and the columns in
        // another order beside an extra one: still the fast reader's, still
        // the same matrix as the polars reader's.
        let reordered: String = text
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                format!("{},note,{},{}", f[1], f[0], f[2])
            })
            .collect::<Vec<_>>()
            .join("\r\n");
        for (what, changed) in [
            ("crlf", text.replace('\n', "\r\n")),
            ("no-final-newline", text.trim_end().to_string()),
            ("reordered", reordered),
        ] {
            let p2 = dir.path().join(format!("{what}.csv"));
            std::fs::write(&p2, changed).expect("write");
            for parts in [1, 3] {
                fast_equals_full(&p2, rc, &accounts, &sorted, parts);
            }
        }
        // A repeated account-month, a date-shaped month, a quoted cell and
        // an unknown account all send the file back to the full reader.
        let first_row = text.lines().nth(1).expect("row").to_string();
        let stranger = format!(
            "ZZZ-unknown{}",
            &first_row[first_row.find(',').expect(",")..]
        );
        for (what, changed) in [
            ("repeat", format!("{text}{first_row}\n")),
            (
                "date",
                text.replacen(&first_row, &first_row.replacen("-", "-01-", 1), 1),
            ),
            (
                "quote",
                text.replacen(&first_row, &format!("\"{first_row}\""), 1),
            ),
            ("unknown", text.replacen(&first_row, &stranger, 1)),
        ] {
            let p2 = dir.path().join(format!("{what}.csv"));
            std::fs::write(&p2, changed).expect("write");
            for index in [&hashed, &sorted] {
                assert!(
                    super::super::revenue_fast::read(&p2, rc, index, &accounts.ids).is_none(),
                    "{what}"
                );
            }
        }
    }
}
