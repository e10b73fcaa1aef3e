//! The tally path ([`screen_tally`]) gives the in-memory path's evidence:
//! the same counts, rate tables and labels exactly, the statistics within
//! rounding (their sums run in another order).

use super::*;
use crate::config::{DriverConfig, Indicator};
use crate::data::Categorical;

fn config(kind: DriverKind) -> DriverConfig {
    DriverConfig {
        column: "x".into(),
        kind,
        label: None,
        controllable: true,
        indicator: Indicator::Leading,
        reference: None,
        range: None,
        levels: None,
        positive: None,
        count: false,
    }
}

/// The tally of `v` by churned (values ascending, blanks left out).
fn tally_of(v: &[f64], churned: &[bool]) -> Vec<Tally> {
    let mut t: Vec<(f64, bool)> = v
        .iter()
        .zip(churned)
        .filter(|(x, _)| !x.is_nan())
        .map(|(&x, &c)| (x, c))
        .collect();
    t.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<Tally> = Vec::new();
    for (x, c) in t {
        match out.last_mut() {
            Some(last) if last.0 == x => {
                last.1 += u64::from(c);
                last.2 += 1;
            }
            _ => out.push((x, u64::from(c), 1)),
        }
    }
    out
}

fn close(a: f64, b: f64, what: &str) {
    let ok = (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-9 * b.abs().max(1e-300);
    assert!(ok, "{what}: {a} vs {b}");
}

fn same(t: &Univariate, m: &Univariate) {
    assert_eq!(
        (&t.test, t.n, t.n_churned, t.n_retained, &t.note),
        (&m.test, m.n, m.n_churned, m.n_retained, &m.note)
    );
    assert_eq!(t.rates, m.rates);
    assert_eq!(t.odds_ratio_level, m.odds_ratio_level);
    for (a, b, what) in [
        (t.statistic, m.statistic, "statistic"),
        (t.p_value, m.p_value, "p"),
        (t.effect_size, m.effect_size, "effect"),
        (
            t.mean_churned.unwrap_or(0.0),
            m.mean_churned.unwrap_or(0.0),
            "mean",
        ),
        (
            t.welch.map_or(0.0, |w| w.df),
            m.welch.map_or(0.0, |w| w.df),
            "df",
        ),
        (
            t.mann_whitney.map_or(0.0, |w| w.p_value),
            m.mann_whitney.map_or(0.0, |w| w.p_value),
            "mw p",
        ),
        (
            t.fisher_p_value.unwrap_or(0.0),
            m.fisher_p_value.unwrap_or(0.0),
            "fisher",
        ),
    ] {
        close(a, b, what);
    }
}

/// A small deterministic generator.
fn draws(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

#[test]
fn tallies_give_the_in_memory_evidence() {
    let n = 3000;
    let u = draws(n, 1);
    let churned: Vec<bool> = draws(n, 2)
        .iter()
        .zip(&u)
        .map(|(r, x)| *r < 0.2 + 0.3 * x)
        .collect();
    let continuous: Vec<f64> = u
        .iter()
        .enumerate()
        .map(|(i, x)| if i % 17 == 0 { f64::NAN } else { 100.0 * x })
        .collect();
    let score: Vec<f64> = u.iter().map(|x| (x * 5.0).floor() + 1.0).collect();
    let counts: Vec<f64> = u.iter().map(|x| (x * 40.0).floor()).collect();
    let yes: Vec<f64> = u.iter().map(|x| f64::from(u8::from(*x > 0.7))).collect();
    for (values, kind) in [
        (continuous, DriverKind::Numeric),
        (counts.clone(), DriverKind::Numeric),
        (score.clone(), DriverKind::Ordinal),
        (yes, DriverKind::Binary),
        (vec![f64::NAN; n], DriverKind::Numeric),
    ] {
        let d = Driver {
            config: config(kind),
            n_missing: values.iter().filter(|x| x.is_nan()).count(),
            constant: false,
            values: DriverValues::Numeric(values.clone()),
        };
        let m = screen(&d, &churned, 10, 0);
        let t = screen_tally(&d, &tally_of(&values, &churned), 10, 0);
        same(&t, &m);
    }
    // A categorical driver: its codes are the tally's values.
    let levels: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    let codes: Vec<u32> = score.iter().map(|s| (*s as u32) % 3).collect();
    let d = Driver {
        config: config(DriverKind::Categorical),
        n_missing: 0,
        constant: false,
        values: DriverValues::Categorical(Categorical {
            column: "x".into(),
            levels,
            counts: vec![0; 3],
            codes: codes.clone(),
            n_missing: 0,
        }),
    };
    let as_f: Vec<f64> = codes.iter().map(|&c| f64::from(c)).collect();
    let m = screen(&d, &churned, 10, 1);
    let t = screen_tally(&d, &tally_of(&as_f, &churned), 10, 1);
    same(&t, &m);
    // A sparse 2×2 (Fisher's test).
    let few: Vec<f64> = (0..n).map(|i| f64::from(u8::from(i < 6))).collect();
    let d = Driver {
        config: config(DriverKind::Binary),
        n_missing: 0,
        constant: false,
        values: DriverValues::Numeric(few.clone()),
    };
    let m = screen(&d, &churned, 10, 0);
    assert_eq!(m.test, "fisher_exact");
    same(&screen_tally(&d, &tally_of(&few, &churned), 10, 0), &m);
}

/// A row coded by a tally's thresholds (the first at or above its value,
/// else the last bin) falls in the group [`numeric_groups`] gives it, with
/// the same labels: per value (few distinct values) and in quantile bins,
/// with ties on the edges and blanks.
#[test]
fn tally_thresholds_code_rows_as_the_values_do() {
    let few: Vec<f64> = draws(400, 3).iter().map(|x| (x * 4.0).floor()).collect();
    let many: Vec<f64> = draws(900, 5)
        .iter()
        .enumerate()
        .map(|(i, x)| {
            if i % 37 == 0 {
                f64::NAN
            } else {
                (x * 50.0).round() / 2.0
            }
        })
        .collect();
    for (v, bins) in [(few, 5), (many.clone(), 5), (many, 3)] {
        let churned = vec![false; v.len()];
        let g = numeric_groups_of_tally(&tally_of(&v, &churned), bins);
        let m = numeric_groups(&v, bins);
        assert_eq!(g.labels, m.labels);
        for (x, code) in v.iter().zip(&m.codes) {
            if x.is_nan() {
                continue;
            }
            let bin = g
                .thresholds
                .iter()
                .position(|t| x <= t)
                .unwrap_or(g.thresholds.len());
            assert_eq!(g.codes[bin], Some(*code), "{x}");
        }
    }
}
