//! Harrell's concordance index as lifelines' `concordance_index` counts it:
//! a pair is comparable when the earlier of the two times is an event (a
//! subject censored at the same time as an event counts as the longer one;
//! two events at the same time are not comparable); it is concordant when
//! the earlier event had the higher risk score, and a tie in the scores
//! counts one half. O(n log n) with a Fenwick tree over score ranks.

/// C = (concordant + ½ tied) / comparable pairs, for risk scores where higher
/// means earlier events (e.g. the Cox linear predictor). `None` without a
/// comparable pair.
pub fn concordance(time: &[f64], event: &[bool], risk: &[f64]) -> Option<f64> {
    let n = time.len();
    // Ranks of the event subjects' scores (ascending, ties share a rank).
    let mut scores: Vec<f64> = (0..n).filter(|&i| event[i]).map(|i| risk[i]).collect();
    radsort::sort(&mut scores);
    scores.dedup();
    let rank = |r: f64| scores.partition_point(|v| *v < r);
    let mut tree = Fenwick::new(scores.len());
    let mut keyed: Vec<(f64, u32)> = (0..n).map(|i| (time[i], i as u32)).collect();
    radsort::sort_by_key(&mut keyed, |k| k.0);
    let order: Vec<usize> = keyed.into_iter().map(|k| k.1 as usize).collect();
    let (mut pairs, mut correct, mut tied) = (0u64, 0u64, 0u64);
    let mut j = 0;
    while j < n {
        let t = time[order[j]];
        let mut k = j;
        while k < n && time[order[k]] == t {
            k += 1;
        }
        let group = &order[j..k];
        // Events at t compare with earlier events only.
        for &i in group.iter().filter(|&&i| event[i]) {
            let (c, ti) = tree.counts(rank(risk[i]), risk[i], &scores);
            pairs += tree.total;
            correct += c;
            tied += ti;
        }
        for &i in group.iter().filter(|&&i| event[i]) {
            tree.add(rank(risk[i]));
        }
        // Censored at t compare with events up to and including t.
        for &i in group.iter().filter(|&&i| !event[i]) {
            let (c, ti) = tree.counts(rank(risk[i]), risk[i], &scores);
            pairs += tree.total;
            correct += c;
            tied += ti;
        }
        j = k;
    }
    (pairs > 0).then(|| (correct as f64 + 0.5 * tied as f64) / pairs as f64)
}

/// Counts of inserted event scores per rank.
struct Fenwick {
    tree: Vec<u64>,
    total: u64,
}

impl Fenwick {
    fn new(n: usize) -> Self {
        Fenwick {
            tree: vec![0; n + 1],
            total: 0,
        }
    }
    fn add(&mut self, rank: usize) {
        let mut i = rank + 1;
        while i < self.tree.len() {
            self.tree[i] += 1;
            i += i & i.wrapping_neg();
        }
        self.total += 1;
    }
    /// Inserted scores with rank < `rank` (cumulative).
    fn below(&self, rank: usize) -> u64 {
        let mut i = rank;
        let mut s = 0;
        while i > 0 {
            s += self.tree[i];
            i -= i & i.wrapping_neg();
        }
        s
    }
    /// For a subject with score `r` (its rank among event scores is `rank`):
    /// earlier events with a higher score (concordant) and with the same score.
    fn counts(&self, rank: usize, r: f64, scores: &[f64]) -> (u64, u64) {
        let exact = rank < scores.len() && scores[rank] == r;
        let below = self.below(rank);
        let upto = if exact { self.below(rank + 1) } else { below };
        (self.total - upto, upto - below)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force over all pairs agrees with the tree on data with ties.
    #[test]
    fn matches_brute_force() {
        let time = [1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 5.0, 6.0];
        let event = [true, true, false, true, true, false, false, true];
        let risk = [2.0, 1.0, 1.0, 0.5, 1.0, 0.2, 0.1, 0.1];
        let (mut num, mut den) = (0.0, 0.0);
        for i in 0..8 {
            for j in 0..8 {
                let comparable =
                    event[i] && (time[i] < time[j] || (time[i] == time[j] && !event[j]));
                if comparable {
                    den += 1.0;
                    num += if risk[i] > risk[j] {
                        1.0
                    } else if risk[i] == risk[j] {
                        0.5
                    } else {
                        0.0
                    };
                }
            }
        }
        let c = concordance(&time, &event, &risk).unwrap();
        assert!((c - num / den).abs() < 1e-15, "{c} vs {}", num / den);
    }
}
