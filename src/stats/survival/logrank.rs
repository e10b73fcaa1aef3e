//! The log-rank test of equal survival across k groups (lifelines
//! `multivariate_logrank_test`, R `survdiff`), with delayed entry and an
//! optional stratification: observed minus expected events per group summed
//! over every event time (and stratum), with the hypergeometric covariance,
//! and χ² = Uᵀ V⁻¹ U on k − 1 degrees of freedom.

use serde::Serialize;

use super::{count_below, Subjects};
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

/// Tests `group` (codes 0..k, rows with `u32::MAX` left out) on the rows of
/// `s`, within the levels of `strata` when given. `None` when fewer than two
/// groups have anyone at risk at an event time.
pub fn logrank(s: &Subjects, group: &[u32], k: usize, strata: Option<&[u32]>) -> Option<LogRank> {
    let rows: Vec<usize> = (0..s.len())
        .filter(|&i| (group[i] as usize) < k && strata.map_or(true, |st| st[i] != u32::MAX))
        .collect();
    let mut by_stratum: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
    for &i in &rows {
        by_stratum
            .entry(strata.map_or(0, |st| st[i]))
            .or_default()
            .push(i);
    }
    let mut u = vec![0.0; k];
    let mut e = vec![0.0; k];
    let mut o = vec![0.0; k];
    let mut v = vec![0.0; k * k];
    for rows in by_stratum.values() {
        accumulate(s, group, k, rows, &mut o, &mut e, &mut v);
    }
    for g in 0..k {
        u[g] = o[g] - e[g];
    }
    // Groups with no variance (nobody at risk at any event time) carry no
    // information: left out, as a generalised inverse would.
    let used: Vec<usize> = (0..k).filter(|&g| v[g * k + g] > 0.0).collect();
    if used.len() < 2 {
        return None;
    }
    let m = used.len() - 1;
    let mut vm = ndarray::Array2::zeros((m, m));
    for (a, &ga) in used[..m].iter().enumerate() {
        for (b, &gb) in used[..m].iter().enumerate() {
            vm[[a, b]] = v[ga * k + gb];
        }
    }
    let (inv, _) = inverse_logdet(&vm).ok()?;
    let mut stat = 0.0;
    for (a, &ga) in used[..m].iter().enumerate() {
        for (b, &gb) in used[..m].iter().enumerate() {
            stat += u[ga] * inv[[a, b]] * u[gb];
        }
    }
    Some(LogRank {
        statistic: stat,
        df: m,
        p_value: chi2_sf(stat, m as f64),
        observed: o,
        expected: e,
    })
}

/// Adds one stratum's observed, expected and covariance terms.
fn accumulate(
    s: &Subjects,
    group: &[u32],
    k: usize,
    rows: &[usize],
    o: &mut [f64],
    e: &mut [f64],
    v: &mut [f64],
) {
    // Per group: ascending exits (with the event flag) and ascending entries.
    let mut exits: Vec<Vec<f64>> = vec![Vec::new(); k];
    let mut entries: Vec<Vec<f64>> = vec![Vec::new(); k];
    let mut times: Vec<f64> = Vec::new();
    let mut d_at: Vec<(f64, usize)> = Vec::new();
    for &i in rows {
        let g = group[i] as usize;
        exits[g].push(s.exit[i]);
        if s.entry.is_some() {
            entries[g].push(s.entry_of(i));
        }
        if s.event[i] {
            d_at.push((s.exit[i], g));
            times.push(s.exit[i]);
        }
    }
    exits.iter_mut().for_each(|x| x.sort_by(f64::total_cmp));
    entries.iter_mut().for_each(|x| x.sort_by(f64::total_cmp));
    d_at.sort_by(|a, b| a.0.total_cmp(&b.0));
    times.sort_by(f64::total_cmp);
    times.dedup();
    let mut n_g = vec![0.0; k];
    let mut d_g = vec![0.0; k];
    let mut p = 0;
    for &t in &times {
        d_g.fill(0.0);
        while p < d_at.len() && d_at[p].0 == t {
            d_g[d_at[p].1] += 1.0;
            p += 1;
        }
        for g in 0..k {
            let at_exit = exits[g].len() - count_below(&exits[g], t);
            let not_in = entries[g].len() - count_below(&entries[g], t);
            n_g[g] = at_exit.saturating_sub(not_in) as f64;
        }
        let n: f64 = n_g.iter().sum();
        let d: f64 = d_g.iter().sum();
        if n <= 0.0 {
            continue;
        }
        for g in 0..k {
            o[g] += d_g[g];
            e[g] += d * n_g[g] / n;
        }
        if n > 1.0 {
            let c = d * (n - d) / (n - 1.0);
            for a in 0..k {
                for b in 0..k {
                    let delta = if a == b { 1.0 } else { 0.0 };
                    v[a * k + b] += c * (n_g[a] / n) * (delta - n_g[b] / n);
                }
            }
        }
    }
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
}
