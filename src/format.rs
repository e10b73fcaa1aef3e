//! Every number formatter of the crate, in one place: for people (thousands
//! separators, money, percentages, p-values, compact axis labels) and for
//! machines (plain cell text in messages and CSV files). Analyses use it to
//! word their findings, renderers to fill tables; nothing else formats numbers.

use std::fmt::Write;

/// `1234567` → `1,234,567`.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A money amount rounded to whole units with thousands separators: `-1234.6` → `-1,235`.
pub fn money(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let r = x.round();
    let body = thousands(r.abs() as usize);
    if r < 0.0 {
        format!("-{body}")
    } else {
        body
    }
}

/// [`money`] with the study's currency: a symbol right before the amount
/// (`$1,235`, `-€40`), a code of letters after a space (`USD 1,235`).
pub fn money_in(x: f64, currency: Option<&str>) -> String {
    let body = money(x);
    match currency.map(str::trim).filter(|c| !c.is_empty()) {
        None => body,
        Some(_) if !x.is_finite() => body,
        Some(c) if c.chars().all(|ch| ch.is_ascii_alphabetic()) => format!("{c} {body}"),
        Some(c) => match body.strip_prefix('-') {
            Some(abs) => format!("-{c}{abs}"),
            None => format!("{c}{body}"),
        },
    }
}

/// The currency for a column header: ` ($)`, or nothing.
pub fn currency_unit(currency: Option<&str>) -> String {
    currency
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map_or(String::new(), |c| format!(" ({c})"))
}

/// A fraction as a percentage with `digits` decimals: `0.2654` → `26.5 %`.
pub fn percent(x: f64, digits: usize) -> String {
    if x.is_nan() {
        return "–".into();
    }
    format!("{:.*} %", digits, 100.0 * x)
}

/// A number with about four significant digits and no exponent for everyday sizes.
pub fn sig(x: f64) -> String {
    if x.is_nan() {
        return "–".into();
    }
    let a = x.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..1e6).contains(&a) {
        format!("{x:.3e}")
    } else if a >= 1000.0 {
        format!("{x:.0}")
    } else if a >= 100.0 {
        format!("{x:.1}")
    } else if a >= 10.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// A p-value for people: `< 0.001`, else three decimals (two significant
/// digits below 0.01).
pub fn pvalue(p: f64) -> String {
    if p.is_nan() {
        "–".into()
    } else if p < 0.001 {
        "< 0.001".into()
    } else if p < 0.01 {
        format!("{p:.4}")
    } else {
        format!("{p:.3}")
    }
}

/// A p-value for sentences, with its relation: `< 0.001` or `= 0.042`.
pub fn p_is(p: f64) -> String {
    let s = pvalue(p);
    if s.starts_with('<') || p.is_nan() {
        s
    } else {
        format!("= {s}")
    }
}

/// Fixed decimals, `–` for NaN/absent.
pub fn fixed(x: Option<f64>, digits: usize) -> String {
    match x {
        Some(v) if !v.is_nan() => format!("{v:.digits$}"),
        _ => "–".into(),
    }
}

/// A number as a user would write it in a cell: whole numbers without a
/// decimal point (`3`, not `3.0`), everything else in Rust's shortest
/// round-trip form, in exponent form beyond 1e21 (as a spreadsheet shows
/// it, not three hundred digits). Used to quote values back in messages.
pub fn plain(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else if x.is_finite() && x.abs() >= 1e21 {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// [`plain`] of `x` rounded to six decimals: thresholds in sentences.
pub fn rounded(x: f64) -> String {
    plain((x * 1e6).round() / 1e6)
}

/// Up to three decimals with trailing zeros dropped (`2.5`, `0.333`, `12`):
/// bin edges in rate-table labels.
pub fn short(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e12 {
        format!("{}", x as i64)
    } else {
        let s = format!("{:.3}", x);
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Axis labels: `950`, `1.2k`, `65k`, `2.5M`, `1.1B`.
pub fn compact(x: f64) -> String {
    let a = x.abs();
    if a >= 1e9 {
        format!("{:.1}B", x / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", x / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", x / 1e3)
    } else if a >= 1e3 {
        format!("{:.1}k", x / 1e3)
    } else if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// A CSV cell: the full round-trip value, empty for NaN.
pub fn csv_number(x: f64) -> String {
    let mut out = String::new();
    push_csv_number(&mut out, x);
    out
}

/// Appends `format!("{x:.0}")` to `out`, through an integer where that
/// writes the same (the lever texts have millions of them at scale):
/// `f64::round` and `{:.0}` both round the exact binary value, and differ
/// only on an exact half (away from zero against to even), which takes the
/// plain path, as do values beyond an integer's exact range.
pub fn push_rounded(out: &mut impl Write, x: f64) {
    let r = x.round();
    if x.fract().abs() != 0.5 && r.abs() < 1e15 && !(r == 0.0 && x.is_sign_negative()) {
        let _ = write!(out, "{}", r as i64);
    } else {
        let _ = write!(out, "{x:.0}");
    }
}

/// Appends [`csv_number`] of `x` to `out` (the large tables, without a
/// string per cell).
pub fn push_csv_number(out: &mut String, x: f64) {
    if x.is_nan() {
        return;
    }
    // ryu finds the shortest round-trip digits as `{x}` does (on an exact
    // tie between two, the even one), several times faster: the at-risk
    // table has millions of cells at scale. It writes `5.0` and exponents
    // where `{x}` writes `5` and plain digits, so those take the plain path.
    let mut buf = ryu::Buffer::new();
    let s = buf.format(x);
    match s.strip_suffix(".0") {
        Some(int) if !s.contains('e') => out.push_str(int),
        None if !s.contains(['e', 'i', 'N']) => out.push_str(s),
        _ => {
            let _ = write!(out, "{x}");
        }
    }
}

/// [`csv_number`] of an optional value, empty when absent.
pub fn csv_opt(x: Option<f64>) -> String {
    x.map_or(String::new(), csv_number)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The integer path of a rounded number writes what `{x:.0}` writes.
    #[test]
    fn rounded_numbers_match_format() {
        let mut cases = vec![
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            -0.5,
            -2.5,
            -0.4,
            0.49999999999999994,
            1e15,
            1e16,
            123.5,
            99.4999,
            f64::INFINITY,
        ];
        for k in 0..200_000 {
            let x = (k as f64 - 100_000.0) / 997.0;
            cases.extend([x, x * 1e-3, x * 1e9]);
        }
        for x in cases {
            let mut s = String::new();
            push_rounded(&mut s, x);
            assert_eq!(s, format!("{x:.0}"), "{x:?}");
        }
    }

    /// The fast CSV number writes what `{x}` writes, at every scale.
    #[test]
    fn csv_numbers_match_display() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut cases = vec![
            0.0,
            -0.0,
            1.0,
            5.0,
            -3.0,
            0.1,
            1e-5,
            1e-6,
            1e15,
            1e16,
            1e17,
            123456.78,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
        ];
        for _ in 0..200_000 {
            let bits = next();
            cases.push(f64::from_bits(bits));
            let scale = 10f64.powi((next() % 40) as i32 - 20);
            cases.push((next() % 1_000_000) as f64 / 1000.0 * scale);
        }
        for x in cases.into_iter().filter(|x| !x.is_nan()) {
            let mut s = String::new();
            push_csv_number(&mut s, x);
            // The same digits as `{x}`, or on an exact tie between two
            // shortest forms the other one (ryu rounds the tie to even):
            // as long, and reading back to the same number.
            let d = format!("{x}");
            assert!(
                s == d || (s.len() == d.len() && s.parse::<f64>() == Ok(x)),
                "{s} vs {d}"
            );
        }
    }

    #[test]
    fn formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234), "1,234");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(percent(0.26537, 1), "26.5 %");
        assert_eq!(sig(1.23456), "1.235");
        assert_eq!(sig(1234.5), "1234");
        assert_eq!(pvalue(0.0004), "< 0.001");
        assert_eq!(pvalue(0.0123), "0.012");
        assert_eq!(pvalue(0.00123), "0.0012");
        assert_eq!(fixed(Some(f64::NAN), 2), "–");
        assert_eq!(plain(3.0), "3");
        assert_eq!(plain(0.25), "0.25");
        assert_eq!(plain(-2.74e300), "-2.74e300");
        assert_eq!(p_is(0.0004), "< 0.001");
        assert_eq!(p_is(0.0421), "= 0.042");
        assert_eq!(money_in(1234.6, Some("$")), "$1,235");
        assert_eq!(money_in(-40.0, Some("€")), "-€40");
        assert_eq!(money_in(1234.6, Some("USD")), "USD 1,235");
        assert_eq!(money_in(1234.6, None), "1,235");
        assert_eq!(currency_unit(Some("$")), " ($)");
        assert_eq!(plain(3.0), "3");
        assert_eq!(plain(2.5), "2.5");
        assert_eq!(short(1.0 / 3.0), "0.333");
        assert_eq!(short(12.0), "12");
        assert_eq!(csv_number(f64::NAN), "");
        assert_eq!(compact(950.0), "950");
        assert_eq!(compact(1234.0), "1.2k");
        assert_eq!(compact(64528.75), "65k");
        assert_eq!(compact(2_500_000.0), "2.5M");
    }
}
