//! Typed views of one input column: numbers, flags, labels, dates and months,
//! each conversion naming the file, column, 1-based row and value it rejects.

use std::borrow::Cow;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;

use crate::error::{Error, Result};

/// Where a column came from, for messages, and which cell texts mean "missing".
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub path: &'a Path,
    pub column: &'a str,
    pub missing_tokens: &'a [String],
}

impl Ctx<'_> {
    /// A cell-level error for data row `idx` (0-based index, reported 1-based).
    pub fn bad(&self, idx: usize, value: impl Into<String>, problem: impl Into<String>) -> Error {
        Error::Value {
            path: self.path.to_path_buf(),
            column: self.column.to_string(),
            row: idx + 1,
            value: value.into(),
            problem: problem.into(),
        }
    }

    /// A cell-level error for a number, quoting the cell as the file writes
    /// it (`0.80`, `-430.00`, `1e400`), which polars' parsed value may not
    /// show; the parsed value when the file cannot be read back.
    pub fn bad_number(&self, idx: usize, x: f64, problem: impl Into<String>) -> Error {
        let written = crate::data::read::raw_cell(self.path, self.column, idx)
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| crate::format::plain(x));
        self.bad(idx, written, problem)
    }

    fn is_missing(&self, s: &str) -> bool {
        s.is_empty() || self.missing_tokens.iter().any(|t| t == s)
    }

    /// Refuses a label with a control character (a NUL, an escape, a line
    /// break inside a quoted cell): it would end up raw in the report, the
    /// CSVs and the SVG charts, which then are not well-formed.
    fn check_label(&self, idx: usize, t: &str) -> Result<()> {
        // Control characters are below 0x20, 0x7f, or (C1) 0xc2 0x80–0x9f in UTF-8.
        if !t.bytes().any(|b| b < 0x20 || b == 0x7f || b == 0xc2) {
            return Ok(());
        }
        match t.chars().find(|c| c.is_control()) {
            Some(c) => Err(self.bad(
                idx,
                t,
                format!(
                    "contains the control character U+{:04X}; remove it from the export (labels must be printable text)",
                    c as u32
                ),
            )),
            None => Ok(()),
        }
    }
}

/// Every cell as trimmed text (`None` for null, blank or a missing token).
/// Numbers are printed without a spurious `.0`; booleans as `true`/`false`.
pub fn texts(col: &Column, ctx: Ctx) -> Result<Vec<Option<String>>> {
    let s = col.as_materialized_series();
    let out = match s.dtype() {
        DataType::String => {
            let mut out = Vec::with_capacity(s.len());
            for (i, v) in s.str()?.iter().enumerate() {
                let t = v.map(str::trim).filter(|t| !ctx.is_missing(t));
                if let Some(t) = t {
                    ctx.check_label(i, t)?;
                }
                out.push(t.map(str::to_string));
            }
            out
        }
        DataType::Boolean => s.bool()?.iter().map(|v| v.map(|b| b.to_string())).collect(),
        DataType::Null => vec![None; s.len()],
        DataType::Date => {
            let days = s.cast(&DataType::Int32)?;
            days.i32()?
                .iter()
                .map(|v| v.and_then(date_from_days).map(|d| d.to_string()))
                .collect()
        }
        dt if dt.is_primitive_numeric() => {
            let f = s.cast(&DataType::Float64)?;
            f.f64()?
                .iter()
                .map(|v| v.filter(|x| !x.is_nan()).map(crate::format::plain))
                .collect()
        }
        other => {
            return Err(Error::Column {
                path: ctx.path.to_path_buf(),
                column: ctx.column.to_string(),
                message: format!("has type {other}, which churnlab cannot read as text"),
            })
        }
    };
    Ok(out)
}

/// Calls `f(row, cell)` for every cell as trimmed text (`None` for missing),
/// without allocating for text columns.
pub fn each_text(
    col: &Column,
    ctx: Ctx,
    mut f: impl FnMut(usize, Option<&str>) -> Result<()>,
) -> Result<()> {
    let s = col.as_materialized_series();
    if s.dtype() == &DataType::String {
        for (i, v) in s.str()?.iter().enumerate() {
            let t = v.map(str::trim).filter(|t| !ctx.is_missing(t));
            if let Some(t) = t {
                ctx.check_label(i, t)?;
            }
            f(i, t)?;
        }
        return Ok(());
    }
    for (i, v) in texts(col, ctx)?.iter().enumerate() {
        f(i, v.as_deref())?;
    }
    Ok(())
}

/// Every cell as a number, NaN for missing. Text must parse as a number.
///
/// # Errors
/// [`Error::Value`] for the first cell that is text but not a number, or infinite.
pub fn numbers(col: &Column, ctx: Ctx) -> Result<Vec<f64>> {
    let s = col.as_materialized_series();
    let out: Vec<f64> = match s.dtype() {
        DataType::String => {
            let ca = s.str()?;
            let mut out = Vec::with_capacity(ca.len());
            for (i, v) in ca.iter().enumerate() {
                let x = match v.map(str::trim) {
                    None => f64::NAN,
                    Some(t) if ctx.is_missing(t) => f64::NAN,
                    Some(t) => parse_number(t).ok_or_else(|| {
                        ctx.bad(i, t, "is not a number; expected a number or a blank cell")
                    })?,
                };
                if x.is_infinite() {
                    return Err(ctx.bad(i, v.unwrap_or("").trim(), INFINITE));
                }
                out.push(x);
            }
            out
        }
        DataType::Boolean => s
            .bool()?
            .iter()
            .map(|v| v.map_or(f64::NAN, |b| b as u8 as f64))
            .collect(),
        DataType::Null => vec![f64::NAN; s.len()],
        dt if dt.is_primitive_numeric() => {
            let f = s.cast(&DataType::Float64)?;
            let ca = f.f64()?;
            let mut out = Vec::with_capacity(ca.len());
            for arr in ca.downcast_iter() {
                if arr.validity().is_none() {
                    out.extend_from_slice(arr.values());
                } else {
                    out.extend(arr.iter().map(|v| v.copied().unwrap_or(f64::NAN)));
                }
            }
            // A NaN here is a cell polars read as a number (`NaN`, `nan`), not
            // a blank (a null): missing only when `missing_values` says so.
            let nan_is_missing = ctx
                .missing_tokens
                .iter()
                .any(|t| t.trim().parse::<f64>().is_ok_and(f64::is_nan));
            let bad = ca.iter().position(|v| {
                v.is_some_and(|x| x.is_infinite() || (x.is_nan() && !nan_is_missing))
            });
            if let Some(i) = bad {
                let x = out[i];
                return Err(if x.is_nan() {
                    ctx.bad_number(
                        i,
                        x,
                        "is not a number; expected a number or a blank cell (list it under missing_values if it means missing)",
                    )
                } else {
                    ctx.bad_number(i, x, INFINITE)
                });
            }
            out
        }
        other => {
            return Err(Error::Column {
                path: ctx.path.to_path_buf(),
                column: ctx.column.to_string(),
                message: format!("has type {other}; expected numbers"),
            })
        }
    };
    Ok(out)
}

/// Why an infinite (or too large to hold) number is refused.
const INFINITE: &str = "is infinite or too large; expected a finite number";

/// Parses a number as exports write it: plain, with a leading `+`, or with
/// thousands separators (`1,234.5`); no currency symbols or percent signs.
pub fn parse_number(t: &str) -> Option<f64> {
    if let Ok(x) = t.parse::<f64>() {
        return (!x.is_nan()).then_some(x);
    }
    if t.contains(',') {
        let digits: String = t.chars().filter(|c| *c != ',').collect();
        let int_part = digits.split('.').next().unwrap_or("");
        let groups_ok = t.split('.').next().is_some_and(|ip| {
            let g: Vec<&str> = ip.trim_start_matches(['-', '+']).split(',').collect();
            !g.is_empty() && (1..=3).contains(&g[0].len()) && g[1..].iter().all(|x| x.len() == 3)
        });
        if groups_ok && !int_part.is_empty() {
            return digits.parse::<f64>().ok().filter(|x| !x.is_nan());
        }
    }
    None
}

/// What a two-valued column means: which text is 1.
#[derive(Debug, Clone, Default)]
pub struct FlagSpec<'a> {
    /// Labels that mean 1 (exact, after trimming). Empty: the usual words.
    pub positive: &'a [String],
    /// Labels that mean 0; when non-empty any other label is an error.
    pub negative: &'a [String],
}

/// The usual spellings of a boolean, any case.
pub fn bool_word(t: &str) -> Option<bool> {
    match t.to_ascii_lowercase().as_str() {
        "1" | "1.0" | "true" | "t" | "yes" | "y" => Some(true),
        "0" | "0.0" | "false" | "f" | "no" | "n" => Some(false),
        _ => None,
    }
}

/// Every cell as 0/1 (`None` for missing).
///
/// Without labels, accepts 0/1, true/false, yes/no (any case). With positive
/// labels, those are 1 and exactly one other label (or the listed negative
/// labels) is 0; a third label is an error naming its row. Labels match in
/// any (ASCII) case on both sides: a column polars reads as booleans comes
/// through as `true`/`false` whatever the file's spelling (`True`, `TRUE`).
pub fn flags(col: &Column, ctx: Ctx, spec: &FlagSpec) -> Result<Vec<Option<bool>>> {
    let s = col.as_materialized_series();
    if spec.positive.is_empty() {
        match s.dtype() {
            DataType::Boolean => return Ok(s.bool()?.iter().collect()),
            dt if dt.is_primitive_numeric() => {
                let f = s.cast(&DataType::Float64)?;
                let ca = f.f64()?;
                let mut out = Vec::with_capacity(ca.len());
                for (i, v) in ca.iter().enumerate() {
                    out.push(match v {
                        None => None,
                        Some(1.0) => Some(true),
                        Some(0.0) => Some(false),
                        Some(x) if x.is_nan() => None,
                        Some(x) => return Err(ctx.bad_number(
                            i,
                            x,
                            "is not 0 or 1; expected a two-valued flag (0/1, true/false, yes/no)",
                        )),
                    });
                }
                return Ok(out);
            }
            _ => {}
        }
    }
    let mut out = Vec::with_capacity(col.len());
    let mut other: Option<(String, usize)> = None;
    each_text(col, ctx, |i, v| {
        let Some(t) = v else {
            out.push(None);
            return Ok(());
        };
        let flag = if spec.positive.is_empty() {
            bool_word(t).ok_or_else(|| {
                ctx.bad(i, t, "is not a yes/no value; expected 0/1, true/false or yes/no (any case), or list the labels in the config")
            })?
        } else if spec.positive.iter().any(|p| p.eq_ignore_ascii_case(t)) {
            true
        } else if !spec.negative.is_empty() {
            if spec.negative.iter().any(|p| p.eq_ignore_ascii_case(t)) {
                false
            } else {
                return Err(ctx.bad(
                    i,
                    t,
                    format!(
                        "is neither a churned label ({}) nor a retained label ({})",
                        quoted(spec.positive),
                        quoted(spec.negative)
                    ),
                ));
            }
        } else {
            match &other {
                None => {
                    other = Some((t.to_string(), i));
                    false
                }
                Some((o, _)) if o.eq_ignore_ascii_case(t) => false,
                Some((o, first)) => {
                    return Err(ctx.bad(
                        i,
                        t,
                        format!(
                            "is a third label: `{}` means 1 and `{o}` (first at row {}) means 0; list every label that means 1, or the ones that mean 0, in the config",
                            spec.positive.join("`, `"),
                            first + 1
                        ),
                    ));
                }
            }
        };
        out.push(Some(flag));
        Ok(())
    })?;
    Ok(out)
}

fn quoted(v: &[String]) -> String {
    v.iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Days since 1970-01-01 to a date.
pub fn date_from_days(d: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1970, 1, 1)?.checked_add_signed(chrono::Duration::days(d as i64))
}

/// Parses `YYYY-MM-DD`, also with `/` separators or a time part after it.
pub fn parse_date(t: &str) -> Option<NaiveDate> {
    let b = t.as_bytes();
    if b.len() < 10 || !(b[4] == b'-' || b[4] == b'/') || b[7] != b[4] {
        return None;
    }
    if !(b.len() == 10 || b[10] == b' ' || b[10] == b'T') {
        return None;
    }
    let d = |c: u8| c.is_ascii_digit().then(|| (c - b'0') as u32);
    let y = d(b[0])? * 1000 + d(b[1])? * 100 + d(b[2])? * 10 + d(b[3])?;
    let m = d(b[5])? * 10 + d(b[6])?;
    let day = d(b[8])? * 10 + d(b[9])?;
    NaiveDate::from_ymd_opt(y as i32, m, day)
}

/// Every cell as a date (`None` for missing).
pub fn dates(col: &Column, ctx: Ctx) -> Result<Vec<Option<NaiveDate>>> {
    let s = col.as_materialized_series();
    if s.dtype() == &DataType::Date {
        let days = s.cast(&DataType::Int32)?;
        return Ok(days
            .i32()?
            .iter()
            .map(|v| v.and_then(date_from_days))
            .collect());
    }
    let mut out = Vec::with_capacity(col.len());
    each_text(col, ctx, |i, v| {
        out.push(match v {
            None => None,
            Some(t) => Some(
                parse_date(t).ok_or_else(|| ctx.bad(i, t, "is not a date; expected YYYY-MM-DD"))?,
            ),
        });
        Ok(())
    })?;
    Ok(out)
}

/// A calendar month, stored as `year * 12 + (month - 1)` so months subtract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(pub i32);

impl Month {
    pub fn new(year: i32, month: u32) -> Self {
        Month(year * 12 + month as i32 - 1)
    }
    pub fn of(d: NaiveDate) -> Self {
        Month::new(d.year(), d.month())
    }
    pub fn year(self) -> i32 {
        self.0.div_euclid(12)
    }
    /// 1..=12
    pub fn month(self) -> u32 {
        (self.0.rem_euclid(12) + 1) as u32
    }
    pub fn plus(self, k: i32) -> Self {
        Month(self.0 + k)
    }
    /// Its first day (`NaiveDate::MIN` for a month outside chrono's range).
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year(), self.month(), 1).unwrap_or(NaiveDate::MIN)
    }
    /// The first month of its calendar quarter.
    pub fn quarter_start(self) -> Self {
        Month::new(self.year(), (self.month() - 1) / 3 * 3 + 1)
    }
    /// Its quarter as `2024-Q2`.
    pub fn quarter_label(self) -> String {
        format!("{}-Q{}", self.year(), (self.month() - 1) / 3 + 1)
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.month())
    }
}

impl serde::Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Parses `YYYY-MM`, or a `YYYY-MM-DD` date (its month). Fast path for bulk use.
pub fn parse_month(t: &str) -> Option<Month> {
    let b = t.as_bytes();
    if b.len() >= 7 && b[4] == b'-' {
        let digit = |c: u8| c.is_ascii_digit().then(|| (c - b'0') as i32);
        let y = digit(b[0])? * 1000 + digit(b[1])? * 100 + digit(b[2])? * 10 + digit(b[3])?;
        let m = digit(b[5])? * 10 + digit(b[6])?;
        if !(1..=12).contains(&m) {
            return None;
        }
        if b.len() == 7 {
            return Some(Month(y * 12 + m - 1));
        }
        return parse_date(t).map(Month::of);
    }
    None
}

/// Every cell as a month; a missing cell is an error (a revenue row needs its month).
pub fn months(col: &Column, ctx: Ctx) -> Result<Vec<Month>> {
    let s = col.as_materialized_series();
    if s.dtype() == &DataType::Date {
        let days = s.cast(&DataType::Int32)?;
        return days
            .i32()?
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.and_then(date_from_days)
                    .map(Month::of)
                    .ok_or_else(|| ctx.bad(i, "", "is missing; every revenue row needs its month"))
            })
            .collect();
    }
    if s.dtype() != &DataType::String {
        let cells = texts(col, ctx)?;
        return cells
            .iter()
            .enumerate()
            .map(|(i, v)| month_cell(ctx, i, v.as_deref()))
            .collect();
    }
    let ca = s.str()?;
    let mut out = Vec::with_capacity(ca.len());
    for (i, v) in ca.iter().enumerate() {
        out.push(match v.and_then(parse_month) {
            Some(m) => m,
            None => month_cell(ctx, i, v.map(str::trim))?,
        });
    }
    Ok(out)
}

fn month_cell(ctx: Ctx, i: usize, v: Option<&str>) -> Result<Month> {
    match v {
        None | Some("") => Err(ctx.bad(
            i,
            "",
            "is missing; every revenue row needs its month (YYYY-MM)",
        )),
        Some(t) => parse_month(t).ok_or_else(|| ctx.bad(i, t, "is not a month; expected YYYY-MM")),
    }
}

/// Shortens a value for display in a message.
pub fn clip(s: &str) -> Cow<'_, str> {
    if s.chars().count() > 60 {
        Cow::Owned(format!("{}…", s.chars().take(60).collect::<String>()))
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_with_separators() {
        assert_eq!(parse_number("1,234.5"), Some(1234.5));
        assert_eq!(parse_number("12,34"), None);
        assert_eq!(parse_number("+3"), Some(3.0));
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_number("NaN"), None);
    }

    #[test]
    fn months_parse_and_print() {
        let m = parse_month("2024-06").unwrap();
        assert_eq!(m.to_string(), "2024-06");
        assert_eq!(parse_month("2024-06-17"), Some(m));
        assert_eq!(parse_month("2024-13"), None);
        assert_eq!(Month::new(2024, 1).plus(-1).to_string(), "2023-12");
    }

    #[test]
    fn dates_accept_common_shapes() {
        let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(parse_date("2024-02-29"), Some(d));
        assert_eq!(parse_date("2024/02/29"), Some(d));
        assert_eq!(parse_date("2024-02-29 13:00:00"), Some(d));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("29.02.2024"), None);
    }

    #[test]
    fn bool_words() {
        assert_eq!(bool_word("YES"), Some(true));
        assert_eq!(bool_word("False"), Some(false));
        assert_eq!(bool_word("maybe"), None);
    }
}
