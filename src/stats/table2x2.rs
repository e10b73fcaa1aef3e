//! 2×2 tables: Fisher's exact test (`scipy.stats.fisher_exact`, two-sided),
//! the sample odds ratio with its Woolf (log-normal) 95 % CI
//! (`statsmodels Table2x2.oddsratio_confint`), and Wilson intervals for a
//! proportion (`statsmodels proportion_confint(method="wilson")`).

use serde::Serialize;
use statrs::function::gamma::ln_gamma;

use super::dist::Z975;

fn ln_choose(n: f64, k: f64) -> f64 {
    ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0)
}

/// Two-sided Fisher exact p-value of `[[a, b], [c, d]]`: the total
/// probability of all tables with the same margins that are no more likely
/// than the observed one (relative tolerance 1e-14, as scipy).
pub fn fisher_exact(a: u64, b: u64, c: u64, d: u64) -> f64 {
    let (r1, r2, c1) = ((a + b) as f64, (c + d) as f64, (a + c) as f64);
    let n = r1 + r2;
    if r1 == 0.0 || r2 == 0.0 || c1 == 0.0 || c1 == n {
        return 1.0;
    }
    let lo = (c1 - r2).max(0.0) as u64;
    let hi = c1.min(r1) as u64;
    let ln_total = ln_choose(n, c1);
    let ln_pmf = |x: u64| {
        let x = x as f64;
        ln_choose(r1, x) + ln_choose(r2, c1 - x) - ln_total
    };
    let ln_obs = ln_pmf(a);
    let threshold = ln_obs + (1e-14f64).ln_1p();
    let mut p = 0.0;
    for x in lo..=hi {
        let l = ln_pmf(x);
        if l <= threshold {
            p += l.exp();
        }
    }
    p.min(1.0)
}

/// Sample odds ratio ad/(bc) with a Woolf 95 % CI. When a cell is zero, 0.5
/// is added to every cell first (Haldane–Anscombe) and `corrected` says so.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct OddsRatio {
    pub odds_ratio: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub corrected: bool,
}

pub fn odds_ratio(a: u64, b: u64, c: u64, d: u64) -> OddsRatio {
    let corrected = a == 0 || b == 0 || c == 0 || d == 0;
    let k = if corrected { 0.5 } else { 0.0 };
    let (a, b, c, d) = (a as f64 + k, b as f64 + k, c as f64 + k, d as f64 + k);
    let lor = (a * d / (b * c)).ln();
    let se = (1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d).sqrt();
    OddsRatio {
        odds_ratio: lor.exp(),
        ci_low: (lor - Z975 * se).exp(),
        ci_high: (lor + Z975 * se).exp(),
        corrected,
    }
}

/// Wilson score 95 % interval for `k` successes in `n` trials.
pub fn wilson(k: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = Z975 * Z975;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let half = Z975 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    ((center - half).max(0.0), (center + half).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    // scipy 1.17.1 fisher_exact, statsmodels 0.15.0 Table2x2 (shift_zeros) and
    // proportion_confint(method="wilson"): tests/reference/reference_values.py
    #[test]
    fn matches_scipy_and_statsmodels() {
        let v = crate::testref::values();
        let rel = |g: f64, w: &serde_json::Value| {
            let w = w.as_f64().unwrap();
            assert!((g - w).abs() <= 1e-9 * w.abs(), "{g} vs {w}");
        };
        for c in v["table2x2"].as_array().unwrap() {
            let t: Vec<u64> = serde_json::from_value(c["table"].clone()).unwrap();
            rel(fisher_exact(t[0], t[1], t[2], t[3]), &c["fisher_p"]);
            let o = odds_ratio(t[0], t[1], t[2], t[3]);
            rel(o.odds_ratio, &c["odds_ratio"]);
            rel(o.ci_low, &c["or_ci_low"]);
            rel(o.ci_high, &c["or_ci_high"]);
        }
        for c in v["wilson"].as_array().unwrap() {
            let (lo, hi) = wilson(c["k"].as_u64().unwrap(), c["n"].as_u64().unwrap());
            let wl = c["low"].as_f64().unwrap();
            assert!((lo - wl).abs() <= 1e-12 + 1e-9 * wl.abs(), "{lo} vs {wl}");
            rel(hi, &c["high"]);
        }
    }

    #[test]
    fn fisher_symmetric_cases() {
        // A balanced table is as likely as it gets: p = 1.
        assert!((fisher_exact(5, 5, 5, 5) - 1.0).abs() < 1e-12);
        // Empty margin: nothing to test.
        assert_eq!(fisher_exact(0, 0, 3, 4), 1.0);
    }

    #[test]
    fn zero_cell_odds_ratio_is_finite_and_flagged() {
        let o = odds_ratio(0, 10, 5, 5);
        assert!(o.corrected && o.odds_ratio.is_finite() && o.ci_low < o.odds_ratio);
    }
}
