//! A streaming reader for the common case of the revenue table: a plain CSV
//! (no quotes) of `id,YYYY-MM,MRR` rows that are all valid. It parses the file
//! in byte ranges on every core straight into account-major pages of MRR,
//! without materialising the 18-million-row table polars would build, which
//! halves the peak memory of a large study and saves the conversions.
//!
//! It only ever accepts; it never explains. At the first cell it is not sure
//! of (a quote, an unknown id, a month written as a date, a blank, a sign, a
//! repeated account-month, a byte beyond ASCII in a column it skips, …) it
//! gives up and the caller reads the file again
//! with the full polars path, whose messages name the row and value.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use rayon::prelude::*;

use super::store::{BLOCK_ACCOUNTS, MAX_MONTHS};
use crate::config::RevenueConfig;
use crate::data::ids::IdIndex;
use crate::data::parse::Month;

/// What a successful fast read yields: the account × month MRR in the
/// blocks of [`super::Revenue`] (`BLOCK_ACCOUNTS` accounts each,
/// one row of months per account, NaN = no row).
pub struct FastRevenue {
    pub first_month: Month,
    pub n_rows: usize,
    pub blocks: Vec<Box<[f64]>>,
    /// Months (offsets from `first_month`) that have at least one row.
    pub seen: Vec<bool>,
}

/// Accounts per page: a block of the final storage.
const PAGE: usize = BLOCK_ACCOUNTS;

/// What one byte range parsed: its months, in order of first appearance
/// ("slots"), and the MRR of its accounts in account-major pages of `PAGE`
/// accounts × `cap` slots (NaN = no row), allocated on first touch, so a
/// range holding some of the accounts (a file in account order) fills only
/// their pages and an account's months are written side by side.
struct RangeOut {
    months: Vec<i32>,
    cap: usize,
    pages: Vec<Option<Box<[f64]>>>,
    rows: usize,
}

/// Reads `path` if it is a CSV this path can vouch for; `None` means "use
/// the full reader" (never an error of its own).
pub fn read(
    path: &Path,
    rc: &RevenueConfig,
    index: &IdIndex,
    ids: &[String],
) -> Option<FastRevenue> {
    // Eight byte ranges per thread, so the ranges balance with other work
    // running beside the parse.
    read_in(
        path,
        rc,
        index,
        ids,
        8 * rayon::current_num_threads().max(1),
    )
}

/// [`read`] with the body cut into `parts` byte ranges.
pub(crate) fn read_in(
    path: &Path,
    rc: &RevenueConfig,
    index: &IdIndex,
    ids: &[String],
    parts: usize,
) -> Option<FastRevenue> {
    let n_accounts = ids.len();
    let ext = path.extension()?.to_string_lossy().to_lowercase();
    if ext != "csv" {
        return None;
    }
    let len = std::fs::metadata(path).ok()?.len();
    // Blank lines at the end: the full reader drops them.
    if crate::data::read::trailing_blank_lines(path).ok()? > 0 {
        return None;
    }
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
    // A role's name twice in the header: the full reader says so.
    let once = |n: &str| names.iter().filter(|h| **h == n).count() == 1;
    if !(once(&rc.id) && once(&rc.period) && once(&rc.mrr)) {
        return None;
    }
    let (ci, cm, cv) = (pos(&rc.id)?, pos(&rc.period)?, pos(&rc.mrr)?);
    let roles: Vec<Role> = (0..names.len())
        .map(|i| match i {
            _ if i == ci => Role::Id,
            _ if i == cm => Role::Month,
            _ if i == cv => Role::Value,
            _ => Role::Other,
        })
        .collect();

    // Byte ranges; each owns the lines that start in it.
    let parts = parts.max(1) as u64;
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
    let results: Vec<RangeOut> = ranges
        .par_iter()
        .map(|&(start, end)| {
            let parser = Parser::new(ids, index, &roles);
            parser.read_range(path, start, end, body_start)
        })
        .collect::<Option<Vec<_>>>()?;

    crate::timing::mark("revenue parsed");
    let all = || results.iter().flat_map(|r| r.months.iter().copied());
    let lo = all().min()?;
    let hi = all().max()?;
    if hi - lo >= MAX_MONTHS {
        return None;
    }
    let n_months = (hi - lo + 1) as usize;
    let n_rows = results.iter().map(|r| r.rows).sum();
    let mut seen = vec![false; n_months];
    for m in all() {
        seen[(m - lo) as usize] = true;
    }
    // Each block of accounts collects its pages from every range (taking
    // them). A block held by one range whose pages are already a month wide
    // is reordered in place and kept; others are merged into a new block,
    // where a cell set twice is an account-month repeated across ranges.
    let n_blocks = n_accounts.div_ceil(PAGE);
    let mut per_block: Vec<Vec<(Box<[f64]>, usize)>> = (0..n_blocks).map(|_| Vec::new()).collect();
    let mut layouts: Vec<(Vec<usize>, usize)> = Vec::with_capacity(results.len());
    for (k, r) in results.into_iter().enumerate() {
        let cols: Vec<usize> = r.months.iter().map(|m| (m - lo) as usize).collect();
        layouts.push((cols, r.cap));
        for (b, page) in r.pages.into_iter().enumerate() {
            if let Some(page) = page {
                per_block[b].push((page, k));
            }
        }
    }
    let blocks: Vec<Box<[f64]>> = per_block
        .into_par_iter()
        .enumerate()
        .map(|(b, mut pages)| {
            let accounts = PAGE.min(n_accounts - b * PAGE);
            if pages.len() == 1 && layouts[pages[0].1].1 == n_months {
                let (page, k) = pages.pop()?;
                let cols = &layouts[k].0;
                let mut page = page.into_vec();
                page.truncate(accounts * n_months);
                if cols.iter().enumerate().any(|(s, &j)| s != j) {
                    let mut tmp = vec![f64::NAN; n_months];
                    for row in page.chunks_exact_mut(n_months) {
                        tmp.fill(f64::NAN);
                        for (&x, &j) in row.iter().zip(cols) {
                            tmp[j] = x;
                        }
                        row.copy_from_slice(&tmp);
                    }
                }
                return Some(page.into_boxed_slice());
            }
            let mut block = vec![f64::NAN; accounts * n_months];
            for (page, k) in pages {
                let (cols, cap) = &layouts[k];
                for (row, out) in page
                    .chunks_exact(*cap)
                    .zip(block.chunks_exact_mut(n_months))
                {
                    for (&x, &j) in row.iter().zip(cols) {
                        if !x.is_nan() {
                            if !out[j].is_nan() {
                                return None;
                            }
                            out[j] = x;
                        }
                    }
                }
            }
            Some(block.into_boxed_slice())
        })
        .collect::<Option<_>>()?;
    Some(FastRevenue {
        first_month: Month(lo),
        n_rows,
        blocks,
        seen,
    })
}

/// What a column of the revenue CSV holds.
enum Role {
    Id,
    Month,
    Value,
    Other,
}

/// One byte range's parse: the look-ups and where each row's value goes.
struct Parser<'a> {
    ids: &'a [String],
    index: &'a IdIndex<'a>,
    roles: &'a [Role],
    out: RangeOut,
    /// Slot of each month, by offset from `first_month - MAX_MONTHS`.
    slot_of: Vec<u32>,
    first_month: i32,
    /// The previous row's account and month, and that month's slot.
    last_a: usize,
    last_m: i32,
    last_slot: usize,
    /// The text of the month after `last_m`, the usual next row's month.
    next_month: [u8; 7],
}

impl<'a> Parser<'a> {
    fn new(ids: &'a [String], index: &'a IdIndex<'a>, roles: &'a [Role]) -> Self {
        Parser {
            ids,
            index,
            roles,
            out: RangeOut {
                months: Vec::new(),
                cap: 0,
                pages: vec![None; ids.len().div_ceil(PAGE)],
                rows: 0,
            },
            slot_of: Vec::new(),
            first_month: 0,
            last_a: usize::MAX,
            last_m: i32::MIN,
            last_slot: 0,
            next_month: [0; 7],
        }
    }

    /// Parses the lines that start in `[start, end)`; a range that does not
    /// begin the body skips its first, partial line (the previous range ends
    /// it). Reads 1 MB blocks and parses the complete lines of each in place.
    fn read_range(
        mut self,
        path: &Path,
        start: u64,
        end: u64,
        body_start: u64,
    ) -> Option<RangeOut> {
        let mut f = File::open(path).ok()?;
        // Start one byte early: if that byte is a newline, `start` begins a line.
        let mut skipping = start > body_start;
        let mut base = if skipping { start - 1 } else { start };
        f.seek(SeekFrom::Start(base)).ok()?;
        let mut buf = vec![0u8; 1 << 20];
        let mut filled = 0usize;
        loop {
            let n = f.read(&mut buf[filled..]).ok()?;
            // Quotes are the full reader's business.
            if memchr::memchr(b'"', &buf[filled..filled + n]).is_some() {
                return None;
            }
            filled += n;
            let eof = n == 0;
            // Complete lines only, unless the file is over.
            let limit = if eof {
                filled
            } else {
                memchr::memrchr(b'\n', &buf[..filled]).map_or(0, |k| k + 1)
            };
            let mut p = 0usize;
            if skipping && limit > 0 {
                match memchr::memchr(b'\n', &buf[..limit]) {
                    Some(k) => {
                        p = k + 1;
                        skipping = false;
                    }
                    None => p = limit, // the partial line runs to the end of the file
                }
            }
            if !skipping {
                while p < limit {
                    if base + p as u64 >= end {
                        return Some(self.out);
                    }
                    p = self.line(&buf[..limit], p)?;
                }
            }
            if eof {
                break;
            }
            buf.copy_within(p..filled, 0);
            filled -= p;
            base += p as u64;
            if filled == buf.len() {
                return None; // a 1 MB line is not a revenue row
            }
        }
        Some(self.out)
    }

    /// Parses the line starting at `p` field by field and stores its value;
    /// returns where the next line starts. The id is first tried as the
    /// previous row's and then the next account's (the usual export order),
    /// the month as the one after the previous row's.
    fn line(&mut self, buf: &[u8], p: usize) -> Option<usize> {
        let (mut a, mut m, mut v) = (None, None, None);
        let mut i = p;
        let last = self.roles.len() - 1;
        for (k, role) in self.roles.iter().enumerate() {
            let end = match role {
                Role::Id => {
                    let (acct, e) = self.account(buf, i, k == last)?;
                    a = Some(acct);
                    e
                }
                Role::Month => {
                    let cell = buf.get(i..i + 7)?;
                    m = Some(if same(cell, &self.next_month) {
                        self.last_m + 1
                    } else {
                        month(cell)?
                    });
                    i + 7
                }
                Role::Value => {
                    let (x, e) = number_at(buf, i)?;
                    v = Some(x);
                    e
                }
                Role::Other => {
                    // A column it does not use is skipped, but a quote or a
                    // byte beyond ASCII there (maybe not UTF-8, which the
                    // full reader refuses) goes to the full reader.
                    let e = field_end(buf, i, k == last);
                    if buf[i..e].iter().any(|&b| b == b'"' || b >= 0x80) {
                        return None;
                    }
                    e
                }
            };
            i = delimiter(buf, end, k == last)?;
        }
        self.store(a?, m?, v?)?;
        Some(i)
    }

    /// The account whose id starts at `i`, and where the id ends.
    fn account(&mut self, buf: &[u8], i: usize, last: bool) -> Option<(usize, usize)> {
        for (guess, checked) in [(self.last_a, true), (self.last_a.wrapping_add(1), false)] {
            if let Some(id) = self.ids.get(guess).map(String::as_bytes) {
                let e = i + id.len();
                // The guess holds if the bytes match and the field ends there;
                // an id with a delimiter in it cannot be told from its field
                // (the previous row's id was checked when it was first met).
                if buf.get(i..e).is_some_and(|cell| same(cell, id))
                    && matches!(buf.get(e), Some(b',' | b'\n' | b'\r') | None)
                    && (checked || memchr::memchr3(b',', b'\n', b'\r', id).is_none())
                {
                    return Some((guess, e));
                }
            }
        }
        let e = field_end(buf, i, last);
        let id = std::str::from_utf8(&buf[i..e]).ok()?;
        if id.is_empty() {
            return None;
        }
        Some((self.index.get(id)? as usize, e))
    }

    /// Stores one row's MRR; `None` for a repeated account-month or months
    /// too far apart (the full reader explains both).
    fn store(&mut self, a: usize, m: i32, v: f64) -> Option<()> {
        if m != self.last_m {
            if self.slot_of.is_empty() {
                self.first_month = m;
                self.slot_of = vec![u32::MAX; 2 * MAX_MONTHS as usize];
            }
            let off = m - self.first_month + MAX_MONTHS;
            if off < 0 || off as usize >= self.slot_of.len() {
                return None;
            }
            let off = off as usize;
            if self.slot_of[off] == u32::MAX {
                self.slot_of[off] = self.out.months.len() as u32;
                self.out.months.push(m);
                if self.out.months.len() > self.out.cap {
                    self.grow();
                }
            }
            self.last_slot = self.slot_of[off] as usize;
            self.last_m = m;
            self.next_month = month_text(m + 1).unwrap_or([0; 7]);
        }
        self.last_a = a;
        let cap = self.out.cap;
        let page = self.out.pages[a / PAGE]
            .get_or_insert_with(|| vec![f64::NAN; PAGE * cap].into_boxed_slice());
        let cell = &mut page[(a % PAGE) * cap + self.last_slot];
        if !cell.is_nan() {
            return None;
        }
        *cell = v;
        self.out.rows += 1;
        Some(())
    }

    /// Widens every page for more month slots (by half at least, rounded to
    /// 8, so a file in month order re-lays its pages only a few times).
    fn grow(&mut self) {
        let old = self.out.cap;
        let need = self.out.months.len();
        let cap = need.max(old + old / 2).next_multiple_of(8);
        for page in self.out.pages.iter_mut().flatten() {
            let mut wide = vec![f64::NAN; PAGE * cap];
            if old > 0 {
                for (dst, src) in wide.chunks_exact_mut(cap).zip(page.chunks_exact(old)) {
                    dst[..old].copy_from_slice(src);
                }
            }
            *page = wide.into_boxed_slice();
        }
        self.out.cap = cap;
    }
}

/// `YYYY-MM` of a month index, when its year has four digits.
fn month_text(m: i32) -> Option<[u8; 7]> {
    let (y, mo) = (m.div_euclid(12), m.rem_euclid(12) + 1);
    if !(0..=9999).contains(&y) {
        return None;
    }
    let d = |v: i32| b'0' + v as u8;
    Some([
        d(y / 1000),
        d(y / 100 % 10),
        d(y / 10 % 10),
        d(y % 10),
        b'-',
        d(mo / 10),
        d(mo % 10),
    ])
}

/// Where the field starting at `i` ends: the next comma, or for the last
/// field the end of the line (before a `\r\n`).
fn field_end(buf: &[u8], i: usize, last: bool) -> usize {
    let e = if last {
        memchr::memchr(b'\n', &buf[i..]).map_or(buf.len(), |k| i + k)
    } else {
        memchr::memchr2(b',', b'\n', &buf[i..]).map_or(buf.len(), |k| i + k)
    };
    if last && e > i && buf[e - 1] == b'\r' {
        e - 1
    } else {
        e
    }
}

/// Checks the delimiter after a field ending at `e`: a comma, or after the
/// last field the end of the line (`\n`, `\r\n`, or the end of the file).
/// Returns where the next field or line starts.
fn delimiter(buf: &[u8], e: usize, last: bool) -> Option<usize> {
    match (buf.get(e), last) {
        (Some(b','), false) => Some(e + 1),
        (Some(b'\n'), true) | (None, true) => Some(e + 1),
        (Some(b'\r'), true) => match buf.get(e + 1) {
            Some(b'\n') => Some(e + 2),
            None => Some(e + 1),
            _ => None,
        },
        _ => None,
    }
}

/// Exactly `YYYY-MM` (a date goes to the full reader), parsed as everywhere else.
fn month(b: &[u8]) -> Option<i32> {
    if b.len() != 7 {
        return None;
    }
    super::parse::parse_month(std::str::from_utf8(b).ok()?).map(|m| m.0)
}

/// The whole cell as a plain number (see [`number_at`]).
#[cfg(test)]
fn plain_number(b: &[u8]) -> Option<f64> {
    number_at(b, 0)
        .filter(|&(_, end)| end == b.len())
        .map(|(x, _)| x)
}

/// Digits with at most one decimal point: a non-negative MRR as written by
/// any export. Anything else (sign, exponent, blank, thousands separator,
/// missing-value token) is for the full reader to judge. Clinger's fast path:
/// with at most 15 digits the integer mantissa and 10^k are exact doubles,
/// so one IEEE division gives the correctly rounded value `str::parse` gives.
///
/// Returns the number starting at `i` and where it ends: at the first byte
/// that is neither a digit nor the point.
fn number_at(buf: &[u8], i: usize) -> Option<(f64, usize)> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let mut mantissa: u64 = 0;
    let mut digits = 0usize;
    let mut point: Option<usize> = None; // digits before the point
    let mut j = i;
    while let Some(&c) = buf.get(j) {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
                digits += 1;
            }
            b'.' if point.is_none() => point = Some(digits),
            b'.' => return None,
            _ => break,
        }
        j += 1;
    }
    if digits == 0 {
        return None;
    }
    if digits > 15 {
        // Long mantissas: the standard parser (still only digits and a point).
        return Some((
            std::str::from_utf8(&buf[i..j]).ok()?.parse::<f64>().ok()?,
            j,
        ));
    }
    let decimals = point.map_or(0, |p| digits - p);
    Some((mantissa as f64 / POW10[decimals], j))
}

/// Byte equality of short cells, eight bytes at a time (no library call per
/// row).
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let word = |c: &[u8]| u64::from_ne_bytes(<[u8; 8]>::try_from(c).unwrap_or_default());
    let (ah, at) = a.split_at(a.len() - a.len() % 8);
    let (bh, bt) = b.split_at(ah.len());
    ah.chunks_exact(8)
        .zip(bh.chunks_exact(8))
        .all(|(x, y)| word(x) == word(y))
        && at.iter().zip(bt).all(|(x, y)| x == y)
}

#[cfg(test)]
#[path = "fast_tests.rs"]
mod tests;
