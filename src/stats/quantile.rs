//! Sample quantiles by selection (numpy's default linear interpolation,
//! Hyndman & Fan 1996 type 7): the median, percentiles and quantile bin edges
//! without sorting the whole sample.

/// Linear-interpolation quantile (numpy's default) by selection; reorders `x`.
pub fn quantile_select(x: &mut [f64], q: f64) -> f64 {
    let h = (x.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let (_, &mut v_lo, right) = x.select_nth_unstable_by(lo, f64::total_cmp);
    if h == lo as f64 || right.is_empty() {
        return v_lo;
    }
    let v_hi = right.iter().copied().fold(f64::INFINITY, f64::min);
    v_lo + (h - lo as f64) * (v_hi - v_lo)
}

/// [`quantile_select`] at each of the ascending `qs`, bit for bit, with one
/// selection per quantile inside the part right of the previous one
/// (O(n log k) rather than O(n k)); reorders `x`.
pub fn quantiles_select(x: &mut [f64], qs: &[f64]) -> Vec<f64> {
    if x.is_empty() {
        return vec![f64::NAN; qs.len()];
    }
    let n = x.len();
    let pos: Vec<(usize, f64)> = qs
        .iter()
        .map(|&q| {
            let h = (n - 1) as f64 * q;
            (h.floor() as usize, h)
        })
        .collect();
    // Order statistic lo of each quantile, selected left to right.
    let mut start = 0;
    for &(lo, _) in &pos {
        if lo >= start {
            x[start..].select_nth_unstable_by(lo - start, f64::total_cmp);
            start = lo + 1;
        }
    }
    // Everything right of position lo is ≥ x[lo], and everything between
    // two selected positions lies between their values, so the next order
    // statistic is the smallest value up to the next selected position.
    pos.iter()
        .enumerate()
        .map(|(k, &(lo, h))| {
            let v_lo = x[lo];
            if h == lo as f64 || lo + 1 >= n {
                return v_lo;
            }
            let upto = pos[k + 1..]
                .iter()
                .map(|p| p.0)
                .find(|&p| p > lo)
                .map_or(n, |p| p + 1);
            let v_hi = x[lo + 1..upto]
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min);
            v_lo + (h - lo as f64) * (v_hi - v_lo)
        })
        .collect()
}

/// A sample given as its distinct values (ascending) and their counts, as
/// an engine's `GROUP BY` returns it: its quantiles by the same rule as
/// [`quantile_select`], bit for bit, the order statistics read off the
/// running counts.
#[derive(Debug, Clone)]
pub struct Counted {
    values: Vec<f64>,
    /// Rows up to and including each value.
    upto: Vec<u64>,
}

impl Counted {
    /// From (value, count) pairs in ascending order of value.
    pub fn new(t: impl IntoIterator<Item = (f64, u64)>) -> Self {
        let mut acc = 0u64;
        let (values, upto) = t
            .into_iter()
            .map(|(v, c)| {
                acc += c;
                (v, acc)
            })
            .unzip();
        Counted { values, upto }
    }

    /// The number of rows.
    pub fn n(&self) -> u64 {
        self.upto.last().copied().unwrap_or(0)
    }

    /// The value at order statistic `r` (0-based).
    fn at(&self, r: u64) -> f64 {
        let k = self.upto.partition_point(|&c| c <= r);
        self.values[k.min(self.values.len() - 1)]
    }

    /// The linear-interpolation quantile `q`; NaN without rows.
    pub fn quantile(&self, q: f64) -> f64 {
        let n = self.n();
        if n == 0 {
            return f64::NAN;
        }
        let h = (n - 1) as f64 * q;
        let lo = h.floor() as u64;
        let v_lo = self.at(lo);
        if h == lo as f64 || lo + 1 >= n {
            return v_lo;
        }
        v_lo + (h - lo as f64) * (self.at(lo + 1) - v_lo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// All quantiles at once equal one selection per quantile, bit for bit.
    #[test]
    fn quantiles_at_once_equal_one_by_one() {
        let mut state = 7u64;
        let data: Vec<f64> = (0..5000)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                ((state >> 33) % 997) as f64 / 7.0
            })
            .collect();
        for n in [1, 2, 3, 10, 11, 999, 5000] {
            let qs: Vec<f64> = (0..=10).map(|k| k as f64 / 10.0).collect();
            let mut x = data[..n].to_vec();
            let all = quantiles_select(&mut x, &qs);
            for (q, got) in qs.iter().zip(&all) {
                let mut y = data[..n].to_vec();
                assert_eq!(
                    got.to_bits(),
                    quantile_select(&mut y, *q).to_bits(),
                    "n={n} q={q}"
                );
            }
        }
    }

    #[test]
    fn quantiles_match_numpy_linear() {
        // numpy.quantile([7, 1, 3, 9, 5], [0, .25, .5, .9, 1]) = 1, 3, 5, 8.2, 9
        for (q, want) in [(0.0, 1.0), (0.25, 3.0), (0.5, 5.0), (0.9, 8.2), (1.0, 9.0)] {
            let mut x = vec![7.0, 1.0, 3.0, 9.0, 5.0];
            assert!((quantile_select(&mut x, q) - want).abs() < 1e-12);
        }
    }
}
