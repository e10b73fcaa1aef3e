//! Control-chart constants, from one table.
//!
//! d2 (mean of the relative range W = R/σ of n normal observations) for
//! n = 2..25 is the tabulated value of ASTM STP 15D / Montgomery,
//! *Introduction to Statistical Quality Control*, Appendix VI, as R qcc uses
//! it (d2(5) = 2.326, not 2.3259). d3 (SD of W) is given to four decimals
//! (Harter 1960, as in ASTM STP 15D); qcc integrates d3, so R-chart limits
//! agree with qcc to about 1e-5 relative. c4 is exact:
//! c4(n) = √(2/(n−1)) Γ(n/2) / Γ((n−1)/2). The derived factors follow:
//! A2 = 3/(d2√n), D3 = max(0, 1 − 3 d3/d2), D4 = 1 + 3 d3/d2,
//! A3 = 3/(c4√n), B3 = max(0, 1 − 3√(1−c4²)/c4), B4 = 1 + 3√(1−c4²)/c4.

use statrs::function::gamma::ln_gamma;

/// (n, d2, d3) for n = 2..=25.
pub const TABLE: [(usize, f64, f64); 24] = [
    (2, 1.128, 0.8525),
    (3, 1.693, 0.8884),
    (4, 2.059, 0.8798),
    (5, 2.326, 0.8641),
    (6, 2.534, 0.8480),
    (7, 2.704, 0.8332),
    (8, 2.847, 0.8198),
    (9, 2.970, 0.8078),
    (10, 3.078, 0.7971),
    (11, 3.173, 0.7873),
    (12, 3.258, 0.7785),
    (13, 3.336, 0.7704),
    (14, 3.407, 0.7630),
    (15, 3.472, 0.7562),
    (16, 3.532, 0.7499),
    (17, 3.588, 0.7441),
    (18, 3.640, 0.7386),
    (19, 3.689, 0.7335),
    (20, 3.735, 0.7287),
    (21, 3.778, 0.7242),
    (22, 3.819, 0.7199),
    (23, 3.858, 0.7159),
    (24, 3.895, 0.7121),
    (25, 3.931, 0.7084),
];

/// d2(n); NaN outside 2..=25 (callers check sizes first).
pub fn d2(n: usize) -> f64 {
    TABLE.iter().find(|t| t.0 == n).map_or(f64::NAN, |t| t.1)
}

/// d3(n); NaN outside 2..=25.
pub fn d3(n: usize) -> f64 {
    TABLE.iter().find(|t| t.0 == n).map_or(f64::NAN, |t| t.2)
}

/// c4(n), exact, for n ≥ 2.
pub fn c4(n: usize) -> f64 {
    let n = n as f64;
    (2.0 / (n - 1.0)).sqrt() * (ln_gamma(n / 2.0) - ln_gamma((n - 1.0) / 2.0)).exp()
}

/// D4 = 1 + 3 d3/d2 (upper R-chart factor).
pub fn d4_factor(n: usize) -> f64 {
    1.0 + 3.0 * d3(n) / d2(n)
}

/// A2 = 3 / (d2 √n) (X̄-R limit factor).
pub fn a2(n: usize) -> f64 {
    3.0 / (d2(n) * (n as f64).sqrt())
}

/// B4 = 1 + 3 √(1 − c4²) / c4 (upper S-chart factor).
pub fn b4(n: usize) -> f64 {
    let c = c4(n);
    1.0 + 3.0 * (1.0 - c * c).sqrt() / c
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Derived factors against the printed table (Montgomery App. VI, 3 decimals).
    #[test]
    fn derived_factors_match_the_printed_table() {
        let printed = [
            // n, A2, D4, c4, B4
            (2, 1.880, 3.267, 0.7979, 3.267),
            (5, 0.577, 2.114, 0.9400, 2.089),
            (10, 0.308, 1.777, 0.9727, 1.716),
            (25, 0.153, 1.541, 0.9896, 1.435),
        ];
        // Printed to 3 decimals, sometimes truncated rather than rounded.
        for (n, a, d, c, b) in printed {
            assert!((a2(n) - a).abs() < 1e-3, "A2({n}) = {}", a2(n));
            assert!(
                (d4_factor(n) - d).abs() < 1e-3,
                "D4({n}) = {}",
                d4_factor(n)
            );
            assert!((c4(n) - c).abs() < 6e-5, "c4({n}) = {}", c4(n));
            assert!((b4(n) - b).abs() < 1e-3, "B4({n}) = {}", b4(n));
        }
        assert!(d2(1).is_nan() && d2(26).is_nan());
    }
}
