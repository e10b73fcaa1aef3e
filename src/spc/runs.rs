//! Anhøj's two run-chart rules for short series (Anhøj & Olesen 2014, PLoS
//! ONE 9(11): e113825), as qicharts2 applies them (`runs.analysis`): points
//! on the centre line are skipped; a run is a sequence of points on one side;
//! the signals are an unusually long run (longer than round(log₂ n) + 3) and
//! unusually few crossings (fewer than the lower 5 % quantile of the
//! binomial(n − 1, ½) distribution), n being the points not on the centre.

use serde::Serialize;
use statrs::function::gamma::ln_gamma;

/// The run-chart verdict of one series around its centre (the median).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Runs {
    /// The centre the runs are counted around.
    pub center: f64,
    /// Points not on the centre (qicharts2's `n.useful`).
    pub useful: usize,
    pub longest_run: usize,
    /// round(log₂ useful) + 3; a longer run signals a shift.
    pub longest_run_max: usize,
    /// 1-based first and last point of the (first) longest run.
    pub longest_first: usize,
    pub longest_last: usize,
    /// The longest run lies above the centre.
    pub longest_above: bool,
    /// Times the series crosses the centre (runs − 1).
    pub crossings: usize,
    /// The lower 5 % quantile of binomial(useful − 1, ½); fewer crossings
    /// signal a shift or a trend.
    pub crossings_min: usize,
    pub long_run: bool,
    pub few_crossings: bool,
}

impl Runs {
    /// Either rule signals.
    pub fn signal(&self) -> bool {
        self.long_run || self.few_crossings
    }
}

/// Counts runs and crossings of `values` around `center`; `first` is the
/// 1-based number of `values[0]` in its chart (for naming the longest run).
/// Missing values are skipped like points on the centre.
pub fn anhoj(values: &[f64], center: f64, first: usize) -> Runs {
    // Side of each useful point, with its 1-based position.
    let sides: Vec<(usize, bool)> = values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite() && **v != center)
        .map(|(i, v)| (first + i, *v > center))
        .collect();
    let useful = sides.len();
    let (mut longest, mut longest_first, mut longest_last) = (0, 0, 0);
    let mut longest_above = false;
    let mut runs = 0;
    let mut start = 0;
    for k in 0..useful {
        if k == 0 || sides[k].1 != sides[k - 1].1 {
            runs += 1;
            start = k;
        }
        let len = k - start + 1;
        if len > longest {
            longest = len;
            longest_first = sides[start].0;
            longest_last = sides[k].0;
            longest_above = sides[k].1;
        }
    }
    let (longest_run_max, crossings_min) = if useful == 0 {
        (0, 0)
    } else {
        (
            (useful as f64).log2().round() as usize + 3,
            binomial_half_quantile(useful - 1, 0.05),
        )
    };
    let crossings = runs.max(1) - 1;
    Runs {
        center,
        useful,
        longest_run: longest,
        longest_run_max,
        longest_first,
        longest_last,
        longest_above,
        crossings,
        crossings_min,
        long_run: useful > 0 && longest > longest_run_max,
        few_crossings: useful > 0 && crossings < crossings_min,
    }
}

/// The median of the finite values (NaN when there are none).
pub fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// R's `qbinom(p, n, 0.5)`: the smallest k with P(X ≤ k) ≥ p, with R's
/// fuzz factor 1 − 64 ε on p so that a p computed as a CDF value maps back.
fn binomial_half_quantile(n: usize, p: f64) -> usize {
    let target = p * (1.0 - 64.0 * f64::EPSILON);
    let nf = n as f64;
    let ln_total = nf * std::f64::consts::LN_2;
    let mut cdf = 0.0;
    for k in 0..=n {
        let kf = k as f64;
        cdf += (ln_gamma(nf + 1.0) - ln_gamma(kf + 1.0) - ln_gamma(nf - kf + 1.0) - ln_total).exp();
        if cdf >= target {
            return k;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lower 5 % quantile of binomial(n, ½), i.e. the smallest k with
    /// Σ_{j≤k} C(n, j) ≥ 0.05 · 2ⁿ, summed exactly in integers (Python's
    /// `math.comb`) for the lengths KPI series have.
    #[test]
    fn crossing_limits_match_exact_binomial_sums() {
        for (n, want) in [
            (9, 2),
            (10, 2),
            (11, 3),
            (15, 4),
            (19, 6),
            (23, 8),
            (29, 10),
            (99, 41),
        ] {
            assert_eq!(binomial_half_quantile(n, 0.05), want, "n = {n}");
        }
        assert_eq!(binomial_half_quantile(0, 0.05), 0);
    }

    /// Hand-counted: 12 points, median 5; two points on the median are
    /// skipped, leaving 10 useful: sides + + − − − − − − + + → runs of 2, 6,
    /// 2; 2 crossings. Limits: round(log₂ 10) + 3 = 6 (no long-run signal:
    /// 6 is not longer), qbinom(0.05, 9, ½) = 2 (2 crossings is not fewer).
    #[test]
    fn hand_counted_series() {
        let v = [6.0, 7.0, 5.0, 4.0, 3.0, 4.0, 2.0, 5.0, 3.0, 1.0, 8.0, 9.0];
        let r = anhoj(&v, 5.0, 1);
        assert_eq!(r.useful, 10);
        assert_eq!(r.longest_run, 6);
        assert_eq!((r.longest_first, r.longest_last), (4, 10));
        assert_eq!(r.longest_run_max, 6);
        assert_eq!(r.crossings, 2);
        assert_eq!(r.crossings_min, 2);
        assert!(!r.signal());
        // One more point below makes the run 7 > 6 (useful 11: max
        // round(3.46) + 3 = 6).
        let mut w = v.to_vec();
        w.insert(9, 0.5);
        let r = anhoj(&w, 5.0, 1);
        assert_eq!((r.useful, r.longest_run, r.longest_run_max), (11, 7, 6));
        assert!(r.long_run);
    }

    /// Alternating points cross every time; a step change crosses once.
    #[test]
    fn crossings_rule() {
        let alt: Vec<f64> = (0..20)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let r = anhoj(&alt, 0.0, 1);
        assert_eq!((r.crossings, r.longest_run), (19, 1));
        assert!(!r.signal());
        let step: Vec<f64> = (0..20).map(|i| if i < 10 { -1.0 } else { 1.0 }).collect();
        let r = anhoj(&step, median(&step), 1);
        // median 0: 20 useful, one crossing < qbinom(0.05, 19, ½) = 6, and
        // a run of 10 > round(log₂ 20) + 3 = 7.
        assert_eq!((r.crossings, r.crossings_min), (1, 6));
        assert!(r.few_crossings && r.long_run);
    }

    #[test]
    fn median_of_odd_even_and_missing() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[f64::NAN, 1.0]), 1.0);
        assert!(median(&[]).is_nan());
    }
}
