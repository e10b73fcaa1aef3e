//! Two-sample comparisons of a numeric driver between churned and retained
//! accounts: Welch's t-test (`scipy.stats.ttest_ind(equal_var=False)`),
//! the Mann-Whitney U test (`scipy.stats.mannwhitneyu`, two-sided, tie
//! corrected, continuity corrected; exact for small samples without ties, as
//! scipy's `method="auto"`), Hedges' g and the rank-biserial correlation.

use serde::Serialize;

use super::dist;

/// Welch's unequal-variance t-test of `a` against `b`.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct WelchT {
    pub statistic: f64,
    pub df: f64,
    pub p_value: f64,
    pub mean_a: f64,
    pub mean_b: f64,
}

/// Mean and unbiased variance.
pub fn mean_var(x: &[f64]) -> (f64, f64) {
    let m = Moments::of(x);
    (m.mean, m.var)
}

/// A group's size, mean and unbiased variance: all Welch's t and Hedges' g
/// need of it, whether from the values or from a tally of them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    pub n: f64,
    pub mean: f64,
    pub var: f64,
}

impl Moments {
    /// Of the values `x` (two passes: the mean, then the squares about it).
    pub fn of(x: &[f64]) -> Self {
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let ss: f64 = x.iter().map(|v| (v - mean) * (v - mean)).sum();
        Moments {
            n,
            mean,
            var: ss / (n - 1.0),
        }
    }

    /// Of a tally: each distinct value with how many times it occurs.
    pub fn of_counts(t: impl Iterator<Item = (f64, u64)> + Clone) -> Self {
        let n = t.clone().map(|(_, c)| c as f64).sum::<f64>();
        let mean = t.clone().map(|(v, c)| v * c as f64).sum::<f64>() / n;
        let ss: f64 = t.map(|(v, c)| (v - mean) * (v - mean) * c as f64).sum();
        Moments {
            n,
            mean,
            var: ss / (n - 1.0),
        }
    }
}

/// Welch's t-test; NaN statistic when a group has fewer than two values or
/// both variances are zero.
pub fn welch_t(a: &[f64], b: &[f64]) -> WelchT {
    welch_t_of(Moments::of(a), Moments::of(b))
}

/// [`welch_t`] from the groups' moments.
pub fn welch_t_of(a: Moments, b: Moments) -> WelchT {
    let (ma, va, na) = (a.mean, a.var, a.n);
    let (mb, vb, nb) = (b.mean, b.var, b.n);
    let (sa, sb) = (va / na, vb / nb);
    let se2 = sa + sb;
    if na < 2.0 || nb < 2.0 || se2 <= 0.0 || se2.is_nan() {
        return WelchT {
            statistic: f64::NAN,
            df: f64::NAN,
            p_value: f64::NAN,
            mean_a: ma,
            mean_b: mb,
        };
    }
    let t = (ma - mb) / se2.sqrt();
    let df = se2 * se2 / (sa * sa / (na - 1.0) + sb * sb / (nb - 1.0));
    WelchT {
        statistic: t,
        df,
        p_value: dist::t_two_sided(t, df),
        mean_a: ma,
        mean_b: mb,
    }
}

/// Hedges' g: Cohen's d on the pooled SD, times the small-sample correction
/// J = 1 − 3 / (4(n_a + n_b) − 9).
pub fn hedges_g(a: &[f64], b: &[f64]) -> f64 {
    hedges_g_of(Moments::of(a), Moments::of(b))
}

/// [`hedges_g`] from the groups' moments.
pub fn hedges_g_of(a: Moments, b: Moments) -> f64 {
    let (na, nb) = (a.n, b.n);
    let sp = (((na - 1.0) * a.var + (nb - 1.0) * b.var) / (na + nb - 2.0)).sqrt();
    if sp.is_nan() || sp <= 0.0 {
        return f64::NAN;
    }
    let j = 1.0 - 3.0 / (4.0 * (na + nb) - 9.0);
    (a.mean - b.mean) / sp * j
}

/// Mann-Whitney U test of `a` against `b`.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct MannWhitney {
    /// U of the first sample (scipy's `statistic`).
    pub statistic: f64,
    pub p_value: f64,
    /// `exact` or `asymptotic`.
    pub method: &'static str,
    /// Rank-biserial correlation 2U/(n_a n_b) − 1: positive when `a` tends to be larger.
    pub rank_biserial: f64,
}

/// Each distinct value (ascending; −0 and +0 are one value, as `==` ties
/// them) with how many times it occurs in `a` and in `a` and `b` together:
/// a hash tally, so O(n) for the discrete drivers (scores, counts, days,
/// shares) that make up most of a study. `None` past `max` distinct values.
fn tallies(a: &[f64], b: &[f64], max: usize) -> Option<Vec<(f64, u64, u64)>> {
    // Whole numbers in 0..max (scores, counts, days): counted in place.
    let whole = |v: f64| v >= 0.0 && v < max as f64 && v.fract() == 0.0;
    if a.iter().chain(b).all(|&v| whole(v)) {
        let mut in_a = vec![0u64; max];
        let mut all = vec![0u64; max];
        for &v in a {
            in_a[v as usize] += 1;
        }
        for &v in a.iter().chain(b) {
            all[v as usize] += 1;
        }
        return Some(
            (0..max)
                .filter(|&k| all[k] > 0)
                .map(|k| (k as f64, in_a[k], all[k]))
                .collect(),
        );
    }
    // Otherwise an open-addressing table keyed by the value's bits
    // (Fibonacci hashing, linear probing; the all-ones NaN pattern marks a
    // free slot, and NaN never reaches a rank test).
    const FREE: u64 = u64::MAX;
    let bits = (2 * max.max(1)).next_power_of_two().trailing_zeros();
    let mask = (1usize << bits) - 1;
    let mut keys = vec![FREE; mask + 1];
    let mut counts = vec![(0u64, 0u64); mask + 1];
    let mut distinct = 0usize;
    for (xs, in_a) in [(a, 1), (b, 0)] {
        for &v in xs {
            let k = if v == 0.0 { 0u64 } else { v.to_bits() };
            let mut slot = (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize;
            while keys[slot] != k && keys[slot] != FREE {
                slot = (slot + 1) & mask;
            }
            if keys[slot] == FREE {
                distinct += 1;
                if distinct > max {
                    return None;
                }
                keys[slot] = k;
            }
            counts[slot].0 += in_a;
            counts[slot].1 += 1;
        }
    }
    let mut t: Vec<(f64, u64, u64)> = keys
        .iter()
        .zip(&counts)
        .filter(|(k, _)| **k != FREE)
        .map(|(&k, &(in_a, all))| (f64::from_bits(k), in_a, all))
        .collect();
    t.sort_unstable_by(|x, y| x.0.total_cmp(&y.0));
    Some(t)
}

/// Mann-Whitney U, two-sided. O(n) with few distinct values; else sorting
/// dominates, O(n log n).
pub fn mann_whitney(a: &[f64], b: &[f64]) -> MannWhitney {
    mann_whitney_tallied(a, b, 4096)
}

/// [`mann_whitney`], tallying when there are at most `max` distinct values.
fn mann_whitney_tallied(a: &[f64], b: &[f64], max: usize) -> MannWhitney {
    let (n1, n2) = (a.len(), b.len());
    let n = n1 + n2;
    // Both ways walk the tied groups in ascending order with the same sums.
    if let Some(groups) = tallies(a, b, max) {
        return mann_whitney_of(&groups);
    }
    let mut r1 = 0.0;
    let mut tie_term = 0.0;
    let mut all: Vec<(f64, bool)> = a
        .iter()
        .map(|&v| (v, true))
        .chain(b.iter().map(|&v| (v, false)))
        .collect();
    all.sort_unstable_by(|x, y| x.0.total_cmp(&y.0));
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && all[j].0 == all[i].0 {
            j += 1;
        }
        let avg_rank = (i + 1 + j) as f64 / 2.0;
        let in_a = all[i..j].iter().filter(|x| x.1).count() as f64;
        r1 += avg_rank * in_a;
        let t = (j - i) as f64;
        tie_term += t * t * t - t;
        i = j;
    }
    mann_whitney_ranks(r1, tie_term, n1, n2)
}

/// [`mann_whitney`] from a tally of both samples: each distinct value,
/// ascending, with how many times it occurs in `a` and in `a` and `b`
/// together (as an engine's GROUP BY answers it).
pub fn mann_whitney_of(groups: &[(f64, u64, u64)]) -> MannWhitney {
    let mut i = 0usize;
    let (mut r1, mut tie_term) = (0.0, 0.0);
    let (mut n1, mut n) = (0usize, 0usize);
    for &(_, in_a, t) in groups {
        let j = i + t as usize;
        let avg_rank = (i + 1 + j) as f64 / 2.0;
        r1 += avg_rank * in_a as f64;
        let t = t as f64;
        tie_term += t * t * t - t;
        i = j;
        n1 += in_a as usize;
        n += t as usize;
    }
    mann_whitney_ranks(r1, tie_term, n1, n - n1)
}

/// The test from the first sample's rank sum `r1` and the ties' Σ (t³ − t).
fn mann_whitney_ranks(r1: f64, tie_term: f64, n1: usize, n2: usize) -> MannWhitney {
    let n = n1 + n2;
    let (f1, f2) = (n1 as f64, n2 as f64);
    let u1 = r1 - f1 * (f1 + 1.0) / 2.0;
    let u2 = f1 * f2 - u1;
    let big_u = u1.max(u2);
    let has_ties = tie_term > 0.0;
    let rank_biserial = 2.0 * u1 / (f1 * f2) - 1.0;
    if n1 == 0 || n2 == 0 {
        return MannWhitney {
            statistic: u1,
            p_value: f64::NAN,
            method: "asymptotic",
            rank_biserial: f64::NAN,
        };
    }
    if (n1 <= 8 || n2 <= 8) && !has_ties {
        if let Some(p) = exact_sf(big_u, n1, n2) {
            return MannWhitney {
                statistic: u1,
                p_value: (2.0 * p).min(1.0),
                method: "exact",
                rank_biserial,
            };
        }
    }
    let nf = n as f64;
    let mu = f1 * f2 / 2.0;
    let s = (f1 * f2 / 12.0 * ((nf + 1.0) - tie_term / (nf * (nf - 1.0)))).sqrt();
    let p = if s > 0.0 {
        let z = (big_u - mu - 0.5) / s;
        (2.0 * dist::norm_sf(z)).min(1.0)
    } else {
        f64::NAN
    };
    MannWhitney {
        statistic: u1,
        p_value: p,
        method: "asymptotic",
        rank_biserial,
    }
}

/// P(U ≥ u) under the null for samples of sizes m and n without ties, from
/// the Gaussian binomial coefficient [m+n choose m]_q whose coefficients
/// count the rank arrangements giving each U. Exact integer arithmetic;
/// `None` when the counts would overflow (then the normal approximation is used).
fn exact_sf(u: f64, m: usize, n: usize) -> Option<f64> {
    let (small, large) = if m <= n { (m, n) } else { (n, m) };
    // C(large+small, small) must fit in u128.
    let mut total: u128 = 1;
    for j in 1..=small as u128 {
        total = total.checked_mul(large as u128 + j)? / j;
    }
    let deg = small * large;
    let mut g = vec![0u128; deg + 1];
    g[0] = 1;
    let mut cur_deg = 0;
    // G_j = G_{j-1} (1 − q^{large+j}) / (1 − q^j), all coefficients non-negative.
    for j in 1..=small {
        let shift = large + j;
        let new_deg = cur_deg + large;
        // Multiply by (1 − q^shift) into signed temporaries.
        let mut h = vec![0i128; new_deg + j + 1];
        for (k, &c) in g.iter().enumerate().take(cur_deg + 1) {
            h[k] += i128::try_from(c).ok()?;
            if k + shift < h.len() {
                h[k + shift] -= i128::try_from(c).ok()?;
            }
        }
        // Divide by (1 − q^j): running sums with stride j.
        for k in j..h.len() {
            h[k] = h[k].checked_add(h[k - j])?;
        }
        for k in 0..=new_deg {
            g[k] = u128::try_from(h[k]).ok()?;
        }
        cur_deg = new_deg;
    }
    let start = u.ceil().max(0.0) as usize;
    if start > deg {
        return Some(0.0);
    }
    let tail: u128 = g[start..].iter().sum();
    Some(tail as f64 / total as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_distribution_sums_to_one_and_is_symmetric() {
        // m=3, n=4: C(7,3)=35 arrangements; P(U ≥ 0) = 1.
        assert_eq!(exact_sf(0.0, 3, 4), Some(1.0));
        let p_hi = exact_sf(12.0, 3, 4).unwrap();
        assert!((p_hi - 1.0 / 35.0).abs() < 1e-15);
        // Symmetry: P(U ≥ 12-k) = P(U ≤ k).
        let p = exact_sf(9.0, 3, 4).unwrap();
        assert!((p - exact_sf(0.0, 3, 4).unwrap() + exact_sf(4.0, 3, 4).unwrap()).abs() < 1e-15);
    }

    #[test]
    fn matches_scipy_on_small_samples() {
        let v = crate::testref::values();
        for c in v["two_sample"].as_array().unwrap() {
            let a: Vec<f64> = serde_json::from_value(c["a"].clone()).unwrap();
            let b: Vec<f64> = serde_json::from_value(c["b"].clone()).unwrap();
            let w = welch_t(&a, &b);
            let m = mann_whitney(&a, &b);
            for (got, key) in [
                (w.statistic, "welch_t"),
                (w.df, "welch_df"),
                (w.p_value, "welch_p"),
                (m.statistic, "mw_u"),
                (m.p_value, "mw_p"),
            ] {
                let want = c[key].as_f64().unwrap();
                assert!(
                    (got - want).abs() <= 1e-9 * want.abs(),
                    "{key}: {got} vs {want} ({a:?} / {b:?})"
                );
            }
        }
    }

    /// Tallying and sorting give bit-identical results, ties and signed
    /// zeros included.
    #[test]
    fn mann_whitney_tally_equals_sort() {
        let a: Vec<f64> = (0..3000)
            .map(|i| ((i * 7) % 11) as f64 - 5.0)
            .chain([-0.0, 0.0])
            .collect();
        let b: Vec<f64> = (0..2500)
            .map(|i| ((i * 5) % 13) as f64 - 6.0)
            .chain([0.0, -0.0, 2.5])
            .collect();
        // Whole non-negative numbers take the counting path.
        let wa: Vec<f64> = a.iter().map(|v| v.abs()).collect();
        let wb: Vec<f64> = b.iter().map(|v| v.abs().floor()).collect();
        for (a, b) in [(&a, &b), (&wa, &wb)] {
            let t = mann_whitney_tallied(a, b, 4096);
            let s = mann_whitney_tallied(a, b, 0);
            assert_eq!(t.statistic.to_bits(), s.statistic.to_bits());
            assert_eq!(t.p_value.to_bits(), s.p_value.to_bits());
            assert_eq!(t.rank_biserial.to_bits(), s.rank_biserial.to_bits());
            assert!(t.p_value > 0.0 && t.p_value < 1.0);
        }
    }

    #[test]
    fn degenerate_groups_give_nan_not_panic() {
        let w = welch_t(&[1.0], &[2.0, 3.0]);
        assert!(w.p_value.is_nan());
        let w = welch_t(&[1.0, 1.0], &[1.0, 1.0]);
        assert!(w.p_value.is_nan());
        let m = mann_whitney(&[], &[1.0]);
        assert!(m.p_value.is_nan());
        assert!(hedges_g(&[1.0, 1.0], &[1.0, 1.0]).is_nan());
    }
}
