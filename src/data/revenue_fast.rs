//! A streaming reader for the common case of the revenue table: a plain CSV
//! (no quotes) of `id,YYYY-MM,MRR` rows that are all valid. It parses the file
//! in byte ranges on every core straight into per-month MRR columns, without
//! materialising the 18-million-row table polars would build, which halves
//! the peak memory of a large study and saves the conversions.
//!
//! It only ever accepts; it never explains. At the first cell it is not sure
//! of (a quote, an unknown id, a month written as a date, a blank, a sign, a
//! repeated account-month, …) it gives up and the caller reads the file again
//! with the full polars path, whose messages name the row and value.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::parse::Month;
use crate::config::RevenueConfig;

/// What a successful fast read yields: the dense account × month matrix in
/// the same layout as [`super::revenue::Revenue::mrr`].
pub struct FastRevenue {
    pub first_month: Month,
    pub n_rows: usize,
    pub mrr: Vec<f64>,
    /// Months (offsets from `first_month`) that have at least one row.
    pub seen: Vec<bool>,
}

/// Per-month MRR columns of one byte range: (month, one value per account).
type Columns = Vec<(i32, Vec<f64>)>;

/// Reads `path` if it is a CSV this path can vouch for; `None` means "use
/// the full reader" (never an error of its own).
pub fn read(
    path: &Path,
    rc: &RevenueConfig,
    index: &FxHashMap<&str, u32>,
    n_accounts: usize,
    max_months: i32,
) -> Option<FastRevenue> {
    let ext = path.extension()?.to_string_lossy().to_lowercase();
    if ext != "csv" {
        return None;
    }
    let len = std::fs::metadata(path).ok()?.len();
    let mut head = BufReader::new(File::open(path).ok()?);
    let mut header = String::new();
    head.read_line(&mut header).ok()?;
    let body_start = header.len() as u64;
    let header = header
        .trim_start_matches('\u{feff}')
        .trim_end_matches(['\n', '\r']);
    if header.contains('"') {
        return None;
    }
    let names: Vec<&str> = header.split(',').collect();
    let pos = |n: &str| names.iter().position(|h| *h == n);
    let cols = (pos(&rc.id)?, pos(&rc.period)?, pos(&rc.mrr)?);
    let width = names.len();

    // Byte ranges, one per thread; each owns the lines that start in it.
    let parts = rayon::current_num_threads().max(1) as u64;
    let step = (len.saturating_sub(body_start) / parts).max(1);
    let ranges: Vec<(u64, u64)> = (0..parts)
        .map(|k| {
            let start = (body_start + k * step).min(len);
            let end = if k + 1 == parts {
                len
            } else {
                (start + step).min(len)
            };
            (start, end)
        })
        .collect();
    let results: Vec<(Columns, usize)> = ranges
        .par_iter()
        .map(|&(start, end)| {
            read_range(path, start, end, body_start, cols, width, index, n_accounts)
        })
        .collect::<Option<Vec<_>>>()?;

    let keys = || results.iter().flat_map(|(c, _)| c.iter().map(|(m, _)| *m));
    let lo = keys().min()?;
    let hi = keys().max()?;
    if hi - lo >= max_months {
        return None;
    }
    let n_months = (hi - lo + 1) as usize;
    let n_rows = results.iter().map(|(_, r)| r).sum();
    let mut seen = vec![false; n_months];
    let columns: Vec<(usize, Vec<f64>)> = results
        .into_iter()
        .flat_map(|(cols, _)| cols.into_iter())
        .map(|(m, col)| ((m - lo) as usize, col))
        .collect();
    for (j, _) in &columns {
        seen[*j] = true;
    }
    // Transpose the month columns into the account-major matrix a block of
    // accounts at a time (cache-friendly); a cell set twice is an
    // account-month repeated across two ranges.
    const BLOCK: usize = 4096;
    let mut mrr = vec![f64::NAN; n_accounts * n_months];
    mrr.par_chunks_mut(n_months * BLOCK)
        .enumerate()
        .try_for_each(|(b, block)| {
            let a0 = b * BLOCK;
            let len = block.len() / n_months;
            for (j, col) in &columns {
                for (r, &x) in col[a0..a0 + len].iter().enumerate() {
                    if !x.is_nan() {
                        let cell = &mut block[r * n_months + j];
                        if !cell.is_nan() {
                            return None;
                        }
                        *cell = x;
                    }
                }
            }
            Some(())
        })?;
    Some(FastRevenue {
        first_month: Month(lo),
        n_rows,
        mrr,
        seen,
    })
}

/// Parses the lines that start in `[start, end)`; a range that does not
/// begin the body skips its first, partial line (the previous range ends it).
/// Reads 4 MB blocks and parses lines in place; consecutive rows of one
/// account (the usual export order) reuse the last id look-up.
#[allow(clippy::too_many_arguments)]
fn read_range(
    path: &Path,
    start: u64,
    end: u64,
    body_start: u64,
    (ci, cm, cv): (usize, usize, usize),
    width: usize,
    index: &FxHashMap<&str, u32>,
    n_accounts: usize,
) -> Option<(Columns, usize)> {
    let mut f = File::open(path).ok()?;
    // Start one byte early: if that byte is a newline, `start` begins a line.
    let skip_first = start > body_start;
    let mut base = if skip_first { start - 1 } else { start };
    f.seek(SeekFrom::Start(base)).ok()?;
    let mut buf = vec![0u8; 1 << 22];
    let mut filled = 0usize;
    let mut skipping = skip_first;
    let mut months: Vec<i32> = Vec::new();
    let mut columns: Vec<Vec<f64>> = Vec::new();
    let (mut last_m, mut last_j) = (i32::MIN, 0usize);
    let mut last_id: Vec<u8> = Vec::new();
    let mut last_a = usize::MAX;
    let mut rows = 0usize;
    loop {
        let n = f.read(&mut buf[filled..]).ok()?;
        filled += n;
        let eof = n == 0;
        let mut p = 0usize;
        loop {
            let (line_end, next) = match memchr::memchr(b'\n', &buf[p..filled]) {
                Some(k) => (p + k, p + k + 1),
                None if eof && p < filled => (filled, filled),
                None => break,
            };
            let line_start = base + p as u64;
            if skipping {
                skipping = false;
                p = next;
                continue;
            }
            if line_start >= end {
                return Some((months.into_iter().zip(columns).collect(), rows));
            }
            let mut l = &buf[p..line_end];
            p = next;
            if let Some(x) = l.strip_suffix(b"\r") {
                l = x;
            }
            if l.is_empty() || memchr::memchr(b'"', l).is_some() {
                return None;
            }
            let (mut id, mut mo, mut val, mut count) = (&b""[..], &b""[..], &b""[..], 0);
            for (i, fld) in l.split(|&b| b == b',').enumerate() {
                if i == ci {
                    id = fld;
                }
                if i == cm {
                    mo = fld;
                }
                if i == cv {
                    val = fld;
                }
                count = i + 1;
            }
            if count != width {
                return None;
            }
            if id != last_id.as_slice() {
                last_a = *index.get(std::str::from_utf8(id).ok()?)? as usize;
                last_id.clear();
                last_id.extend_from_slice(id);
            }
            let m = month(mo)?;
            if m != last_m {
                last_j = match months.iter().position(|&k| k == m) {
                    Some(j) => j,
                    None => {
                        months.push(m);
                        columns.push(vec![f64::NAN; n_accounts]);
                        months.len() - 1
                    }
                };
                last_m = m;
            }
            let cell = &mut columns[last_j][last_a];
            if !cell.is_nan() {
                return None;
            }
            *cell = plain_number(val)?;
            rows += 1;
        }
        if eof {
            break;
        }
        buf.copy_within(p..filled, 0);
        filled -= p;
        base += p as u64;
        if filled == buf.len() {
            return None; // a 4 MB line is not a revenue row
        }
    }
    Some((months.into_iter().zip(columns).collect(), rows))
}

/// Exactly `YYYY-MM` (a date goes to the full reader), parsed as everywhere else.
fn month(b: &[u8]) -> Option<i32> {
    if b.len() != 7 {
        return None;
    }
    super::parse::parse_month(std::str::from_utf8(b).ok()?).map(|m| m.0)
}

/// Digits with at most one decimal point: a non-negative MRR as written by
/// any export. Anything else (sign, exponent, blank, thousands separator,
/// missing-value token) is for the full reader to judge. Clinger's fast path:
/// with at most 15 digits the integer mantissa and 10^k are exact doubles,
/// so one IEEE division gives the correctly rounded value `str::parse` gives.
fn plain_number(b: &[u8]) -> Option<f64> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let mut mantissa: u64 = 0;
    let mut digits = 0usize;
    let mut decimals: Option<usize> = None;
    for &c in b {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(c - b'0');
                digits += 1;
                if let Some(d) = decimals.as_mut() {
                    *d += 1;
                }
            }
            b'.' if decimals.is_none() => decimals = Some(0),
            _ => return None,
        }
        if digits > 15 {
            // Long mantissas: the standard parser (still only digits and a point).
            return std::str::from_utf8(b).ok()?.parse::<f64>().ok();
        }
    }
    if digits == 0 {
        return None;
    }
    Some(mantissa as f64 / POW10[decimals.unwrap_or(0)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_it_vouches_for() {
        assert_eq!(month(b"2024-06"), Some(2024 * 12 + 5));
        assert_eq!(month(b"2024-13"), None);
        assert_eq!(month(b"2024-06-01"), None);
        assert_eq!(plain_number(b"416.67"), Some(416.67));
        assert_eq!(plain_number(b"0"), Some(0.0));
        // The fast path is exactly the standard parser's rounding.
        for t in [
            "0.1",
            "416.67",
            "12345.678901",
            "5.",
            ".5",
            "999999999999999",
            "0.000000000000001",
            "3.14159265358979",
            "12345678901234567.5",
        ] {
            assert_eq!(plain_number(t.as_bytes()), t.parse::<f64>().ok(), "{t}");
        }
        for bad in [
            &b""[..],
            b"-1",
            b"1e3",
            b"1,234",
            b"NA",
            b".",
            b"1.2.3",
            b" 5",
            b"inf",
        ] {
            assert_eq!(plain_number(bad), None, "{:?}", std::str::from_utf8(bad));
        }
    }
}
