//! A fast reader for the common case of the renewals table: a plain CSV
//! (ASCII, no quotes, no carriage returns) whose cells are all of the simple
//! kinds the full reader would accept as they are. It splits the file into
//! byte ranges parsed on every core straight into the typed columns,
//! without the polars table, the text copies and the separate ragged-row
//! scan of the full reader (it checks each row's field count itself).
//!
//! Like the revenue table's fast reader it only ever accepts; it never
//! explains. At the first cell it is not sure of (an unknown or padded id, a
//! date not written `YYYY-MM-DD`, a sign, a thousands separator or an
//! exponent in a number, a missing-value token, a blank where one is not
//! allowed, an outcome label not given exactly as in the config, a blank
//! line, …) it gives up and the caller reads the file with the full reader,
//! whose messages name the row and value. What it accepts it reads exactly
//! as the full reader does.

use std::path::Path;

use chrono::NaiveDate;
use rayon::prelude::*;

use super::cells::{Cells, Outcome};
use crate::config::RenewalsConfig;
use crate::data::ids::IdIndex;

/// Where each requested column sits in a row, and what the row must hold.
struct Layout<'a> {
    fields: usize,
    at: [usize; 6],
    labels: Vec<(&'a str, Outcome)>,
    /// The missing-value tokens by length (a cell is compared only with the
    /// tokens as long as it).
    missing: Vec<Vec<&'a [u8]>>,
}

/// Reads `path` if this reader can vouch for it; `None` means "use the
/// full reader" (never an error of its own).
pub(super) fn read(
    path: &Path,
    rc: &RenewalsConfig,
    ids: &[String],
    index: &IdIndex,
    missing: &[String],
) -> Option<Cells> {
    let ext = path.extension()?.to_string_lossy().to_lowercase();
    if ext != "csv" {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    if !bytes.is_ascii() || memchr::memchr2(b'"', b'\r', &bytes).is_some() {
        return None;
    }
    let header_end = memchr::memchr(b'\n', &bytes)?;
    let header: Vec<&[u8]> = bytes[..header_end].split(|&b| b == b',').collect();
    let column = |name: &str| -> Option<usize> {
        let mut hits = (0..header.len()).filter(|&k| header[k] == name.as_bytes());
        let k = hits.next()?;
        hits.next().is_none().then_some(k)
    };
    let mut labels = Vec::new();
    for (list, o) in [
        (&rc.renewed_values, Outcome::Renewed),
        (&rc.churned_values, Outcome::Churned),
        (&rc.open_values, Outcome::Open),
    ] {
        labels.extend(list.iter().map(|v| (v.as_str(), o)));
    }
    let layout = Layout {
        fields: header.len(),
        at: [
            column(&rc.id)?,
            column(&rc.renewal_date)?,
            column(&rc.arr_due)?,
            column(&rc.outcome)?,
            column(&rc.renewed_arr)?,
            column(&rc.closed_date)?,
        ],
        labels,
        missing: {
            let mut by_len: Vec<Vec<&[u8]>> = Vec::new();
            for m in missing {
                let k = m.len();
                if by_len.len() <= k {
                    by_len.resize(k + 1, Vec::new());
                }
                by_len[k].push(m.as_bytes());
            }
            by_len
        },
    };
    let body = &bytes[header_end + 1..];
    if body.is_empty() {
        return None;
    }
    let parts: Vec<Cells> = ranges(body, 8 * rayon::current_num_threads().max(1))
        .into_par_iter()
        .map(|r| parse_range(&body[r.0..r.1], &layout, ids, index))
        .collect::<Option<Vec<Cells>>>()?;
    let mut out = Cells::default();
    for p in parts {
        out.account.extend(p.account);
        out.due.extend(p.due);
        out.arr_due.extend(p.arr_due);
        out.outcome.extend(p.outcome);
        out.renewed_arr.extend(p.renewed_arr);
        out.closed.extend(p.closed);
    }
    Some(out)
}

/// About `parts` byte ranges of `body`, each ending just after a newline
/// (the last one at the end).
fn ranges(body: &[u8], parts: usize) -> Vec<(usize, usize)> {
    let step = body.len().div_ceil(parts.max(1)).max(1);
    let mut out = Vec::new();
    let mut start = 0;
    while start < body.len() {
        let probe = (start + step).min(body.len());
        let end = match memchr::memchr(b'\n', &body[probe - 1..]) {
            Some(k) => probe + k,
            None => body.len(),
        };
        out.push((start, end));
        start = end;
    }
    out
}

/// Parses whole lines; `None` at the first cell it cannot vouch for.
fn parse_range(chunk: &[u8], l: &Layout, ids: &[String], index: &IdIndex) -> Option<Cells> {
    let mut out = Cells::default();
    let mut fields: Vec<&[u8]> = Vec::with_capacity(l.fields);
    let mut near = 0usize;
    let mut rest = chunk;
    while !rest.is_empty() {
        let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        let line = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or(&[]);
        if line.is_empty() {
            return None;
        }
        // The fields, and no control character, in one pass.
        fields.clear();
        let mut from = 0;
        for (k, &b) in line.iter().enumerate() {
            if b == b',' {
                fields.push(&line[from..k]);
                from = k + 1;
            } else if b < 0x20 || b == 0x7f {
                return None;
            }
        }
        fields.push(&line[from..]);
        if fields.len() != l.fields {
            return None;
        }
        // A cell is plain when it has no surrounding space and is not a
        // missing-value token (the file is ASCII, so bytes are characters).
        let cell = |k: usize| -> Option<&[u8]> {
            let f = fields[l.at[k]];
            let padded = f.first().is_some_and(|b| *b == b' ' || *b == b'\t')
                || f.last().is_some_and(|b| *b == b' ' || *b == b'\t');
            let missing = l.missing.get(f.len()).is_some_and(|ms| ms.contains(&f));
            (!padded && !missing).then_some(f)
        };
        let id = cell(0).filter(|t| !t.is_empty())?;
        let a = [near, near + 1]
            .into_iter()
            .find(|&k| ids.get(k).is_some_and(|x| x.as_bytes() == id))
            .map(|k| k as u32)
            .or_else(|| index.get(std::str::from_utf8(id).ok()?))?;
        near = a as usize;
        out.account.push(a);
        out.due.push(Some(date(cell(1)?)?));
        out.arr_due.push(number(cell(2)?)?);
        let label = cell(3)?;
        out.outcome.push(
            l.labels
                .iter()
                .find(|(v, _)| v.as_bytes() == label)
                .map(|x| x.1)?,
        );
        let renewed = cell(4)?;
        out.renewed_arr.push(if renewed.is_empty() {
            f64::NAN
        } else {
            number(renewed)?
        });
        let closed = cell(5)?;
        out.closed.push(if closed.is_empty() {
            None
        } else {
            Some(date(closed)?)
        });
    }
    Some(out)
}

/// A date written exactly `YYYY-MM-DD`.
fn date(t: &[u8]) -> Option<NaiveDate> {
    if t.len() != 10 || t[4] != b'-' || t[7] != b'-' {
        return None;
    }
    let d = |k: usize| t[k].is_ascii_digit().then(|| u32::from(t[k] - b'0'));
    let year = d(0)? * 1000 + d(1)? * 100 + d(2)? * 10 + d(3)?;
    let month = d(5)? * 10 + d(6)?;
    let day = d(8)? * 10 + d(9)?;
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// A number written as digits with at most one decimal point (what the
/// full reader also reads, to the same f64: both round correctly).
fn number(t: &[u8]) -> Option<f64> {
    let dots = t.iter().filter(|&&c| c == b'.').count();
    let digits_ok = t.iter().all(|&c| c.is_ascii_digit() || c == b'.');
    let ends_ok =
        t.first().is_some_and(u8::is_ascii_digit) && t.last().is_some_and(u8::is_ascii_digit);
    if !(digits_ok && dots <= 1 && ends_ok) {
        return None;
    }
    std::str::from_utf8(t).ok()?.parse::<f64>().ok()
}

#[cfg(test)]
#[path = "fast_tests.rs"]
mod tests;
