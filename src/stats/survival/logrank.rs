//! The log-rank test of equal survival across k groups (lifelines
//! `multivariate_logrank_test`, R `survdiff`), with delayed entry and an
//! optional stratification: observed minus expected events per group summed
//! over every event time (and stratum), with the hypergeometric covariance,
//! and χ² = Uᵀ V⁻¹ U on k − 1 degrees of freedom.
//!
//! One sweep over the sorted subjects tallies, at every event time, each
//! group's number at risk and events ([`Counts`]); any test on a subset of
//! the groups (the k-group test, every pairwise test) is then a pass over
//! those tallies, not over the subjects.

use serde::Serialize;

use std::collections::HashMap;

use foldhash::fast::FixedState;

use super::grid::{Tally, TimeGrid};
use super::Subjects;
use crate::stats::dist::chi2_sf;
use crate::stats::linalg::inverse_logdet;

/// The test across the groups.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LogRank {
    pub statistic: f64,
    pub df: usize,
    pub p_value: f64,
    /// Observed and expected events per group, in group-code order.
    pub observed: Vec<f64>,
    pub expected: Vec<f64>,
}

/// Per event time (within its stratum): each group's number at risk and events.
#[derive(Debug, Clone)]
pub struct Counts {
    k: usize,
    /// Row-major: `at_risk[t * k + g]`, `events[t * k + g]`.
    at_risk: Vec<f64>,
    events: Vec<f64>,
}

impl Counts {
    /// Tallies `group` (codes 0..k; other codes left out) within the levels
    /// of `strata` (rows with `u32::MAX` left out), from one counting pass
    /// over the rows on the study's grid; delayed entry when `s` has it.
    pub fn new(
        s: &Subjects,
        grid: &TimeGrid,
        group: &[u32],
        k: usize,
        strata: Option<&[u32]>,
    ) -> Self {
        let mut counts = Counts {
            k,
            at_risk: Vec::new(),
            events: Vec::new(),
        };
        let with_entry = s.entry.is_some();
        let Some(st) = strata else {
            return Counts::of_tally(&grid.tally(group, k, with_entry), with_entry);
        };
        // The strata present, ascending, each a block of k codes.
        let mut dense: HashMap<u32, u32, FixedState> = HashMap::default();
        for (&g, &c) in group.iter().zip(st) {
            if (g as usize) < k && c != u32::MAX {
                dense.entry(c).or_insert(0);
            }
        }
        let mut present: Vec<u32> = dense.keys().copied().collect();
        present.sort_unstable();
        for (b, c) in present.iter().enumerate() {
            dense.insert(*c, b as u32);
        }
        let codes: Vec<u32> = group
            .iter()
            .zip(st)
            .map(|(&g, c)| match dense.get(c) {
                Some(&b) if (g as usize) < k => b * k as u32 + g,
                _ => u32::MAX,
            })
            .collect();
        let t = grid.tally(&codes, present.len() * k, with_entry);
        for b in 0..present.len() {
            counts.sweep(&t, b, true);
        }
        counts
    }

    /// The unstratified tallies from the grid's counts of the groups (the
    /// counts the Kaplan–Meier curves of the same groups are drawn from),
    /// with delayed entry when `with_entry` and the tally counted entries.
    pub fn of_tally(t: &Tally, with_entry: bool) -> Self {
        let mut counts = Counts {
            k: t.k,
            at_risk: Vec::new(),
            events: Vec::new(),
        };
        counts.sweep(t, 0, with_entry);
        counts
    }

    /// One stratum's block of the tally: a sweep from the last grid time
    /// down keeps each group's count of rows with exit ≥ t, less those not
    /// yet entered (entry ≥ t), and records every time with an event.
    fn sweep(&mut self, t: &Tally, block: usize, with_entry: bool) {
        let with_entry = with_entry && t.with_entry;
        let k = self.k;
        let w = t.m + 1;
        let at = |g: usize, m: usize| (block * k + g) * w + m;
        let mut at_exit = vec![0f64; k];
        let mut not_in = vec![0f64; k];
        for m in (0..t.m).rev() {
            let mut any = false;
            for g in 0..k {
                at_exit[g] += t.exits[at(g, m)] as f64;
                if with_entry {
                    not_in[g] += t.entered[at(g, m + 1)] as f64;
                }
                any |= t.events[at(g, m)] > 0;
            }
            if any {
                self.at_risk
                    .extend((0..k).map(|g| (at_exit[g] - not_in[g]).max(0.0)));
                self.events
                    .extend((0..k).map(|g| t.events[at(g, m)] as f64));
            }
        }
    }

    /// The test on the groups `which` (codes), as if the other groups'
    /// subjects were not there. `None` when fewer than two of them carry
    /// information.
    pub fn test(&self, which: &[usize]) -> Option<LogRank> {
        let k = self.k;
        let w = which.len();
        let mut o = vec![0.0; w];
        let mut e = vec![0.0; w];
        let mut v = vec![0.0; w * w];
        let n_times = self.at_risk.len() / k.max(1);
        for t in 0..n_times {
            let nr = &self.at_risk[t * k..(t + 1) * k];
            let dr = &self.events[t * k..(t + 1) * k];
            let n: f64 = which.iter().map(|&g| nr[g]).sum();
            let d: f64 = which.iter().map(|&g| dr[g]).sum();
            if n <= 0.0 || d <= 0.0 {
                continue;
            }
            for (a, &g) in which.iter().enumerate() {
                o[a] += dr[g];
                e[a] += d * nr[g] / n;
            }
            if n > 1.0 {
                let c = d * (n - d) / (n - 1.0);
                for (a, &ga) in which.iter().enumerate() {
                    for (b, &gb) in which.iter().enumerate() {
                        let delta = if a == b { 1.0 } else { 0.0 };
                        v[a * w + b] += c * (nr[ga] / n) * (delta - nr[gb] / n);
                    }
                }
            }
        }
        // Groups with no variance (nobody at risk at any event time) carry no
        // information: left out, as a generalised inverse would.
        let used: Vec<usize> = (0..w).filter(|&a| v[a * w + a] > 0.0).collect();
        if used.len() < 2 {
            return None;
        }
        let m = used.len() - 1;
        let mut vm = ndarray::Array2::zeros((m, m));
        for (a, &ga) in used[..m].iter().enumerate() {
            for (b, &gb) in used[..m].iter().enumerate() {
                vm[[a, b]] = v[ga * w + gb];
            }
        }
        let (inv, _) = inverse_logdet(&vm).ok()?;
        let mut stat = 0.0;
        for (a, &ga) in used[..m].iter().enumerate() {
            for (b, &gb) in used[..m].iter().enumerate() {
                stat += (o[ga] - e[ga]) * inv[[a, b]] * (o[gb] - e[gb]);
            }
        }
        let mut observed = vec![0.0; k];
        let mut expected = vec![0.0; k];
        for (a, &g) in which.iter().enumerate() {
            observed[g] = o[a];
            expected[g] = e[a];
        }
        Some(LogRank {
            statistic: stat,
            df: m,
            p_value: chi2_sf(stat, m as f64),
            observed,
            expected,
        })
    }
}

/// Tests `group` (codes 0..k, rows with `u32::MAX` left out) on the rows of
/// `s`, within the levels of `strata` when given. `None` when fewer than two
/// groups have anyone at risk at an event time.
pub fn logrank(s: &Subjects, group: &[u32], k: usize, strata: Option<&[u32]>) -> Option<LogRank> {
    let all: Vec<usize> = (0..k).collect();
    Counts::new(s, &TimeGrid::new(s), group, k, strata).test(&all)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two identical groups give χ² = 0; a clear difference a small p.
    #[test]
    fn identical_groups_have_no_difference() {
        let exit = [1.0, 2.0, 3.0, 1.0, 2.0, 3.0];
        let event = [true, true, false, true, true, false];
        let s = Subjects {
            entry: None,
            exit: &exit,
            event: &event,
        };
        let r = logrank(&s, &[0, 0, 0, 1, 1, 1], 2, None).unwrap();
        assert!(r.statistic.abs() < 1e-12, "{r:?}");
        assert_eq!(r.df, 1);
        assert_eq!(r.observed, [2.0, 2.0]);
    }

    #[test]
    fn one_group_is_no_test() {
        let s = Subjects {
            entry: None,
            exit: &[1.0, 2.0],
            event: &[true, true],
        };
        assert!(logrank(&s, &[0, 0], 2, None).is_none());
    }

    /// A pairwise test from the tallies equals the test on the pair's rows alone.
    #[test]
    fn pairs_from_tallies_equal_tests_on_subsets() {
        let exit = [1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 1.5, 2.5, 6.0];
        let event = [true, true, false, true, true, false, true, false, true];
        let group = [0, 1, 2, 0, 1, 2, 0, 1, 2];
        let s = Subjects {
            entry: None,
            exit: &exit,
            event: &event,
        };
        let counts = Counts::new(&s, &TimeGrid::new(&s), &group, 3, None);
        let pair = counts.test(&[0, 2]).unwrap();
        let sub: Vec<u32> = group
            .iter()
            .map(|&g| if g == 1 { u32::MAX } else { g / 2 })
            .collect();
        let direct = logrank(&s, &sub, 2, None).unwrap();
        assert!(
            (pair.statistic - direct.statistic).abs() < 1e-12,
            "{pair:?} {direct:?}"
        );
    }
}
