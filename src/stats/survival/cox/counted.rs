//! A Cox pass from per-time sums: when the rows live elsewhere (an
//! engine), one aggregate per exit time (the risks and risk-weighted
//! columns and cross-products of the rows that exit there, of its events,
//! and of the rows that leave the risk set there by delayed entry) is all
//! the sweep needs. The same running sums as [`super::pass`], with the
//! information as Σ over tie levels of S2/den − m mᵀ.

use ndarray::Array2;

use super::super::Ties;
use super::{EventTime, Pass};

/// The sums of one exit time at β, on the `p` standardised columns of the
/// fit (`zz` sums: the upper triangle, row by row).
#[derive(Debug, Clone)]
pub struct TimeSums {
    pub time: f64,
    /// The rows that exit here: Σ r, Σ r z, Σ r z zᵀ (r = exp(η)).
    pub r0: f64,
    pub r1: Vec<f64>,
    pub r2: Vec<f64>,
    /// Its events: how many, Σ r, Σ r z, Σ r z zᵀ, Σ z and Σ η.
    pub d: usize,
    pub d0: f64,
    pub d1: Vec<f64>,
    pub d2: Vec<f64>,
    pub z: Vec<f64>,
    pub eta: f64,
    /// The rows that leave the risk set here (entered at or after this
    /// time, before the next later one): Σ r, Σ r z, Σ r z zᵀ.
    pub l0: f64,
    pub l1: Vec<f64>,
    pub l2: Vec<f64>,
}

impl TimeSums {
    /// A time with no rows yet.
    pub fn empty(time: f64, p: usize) -> Self {
        let t = p * (p + 1) / 2;
        TimeSums {
            time,
            r0: 0.0,
            r1: vec![0.0; p],
            r2: vec![0.0; t],
            d: 0,
            d0: 0.0,
            d1: vec![0.0; p],
            d2: vec![0.0; t],
            z: vec![0.0; p],
            eta: 0.0,
            l0: 0.0,
            l1: vec![0.0; p],
            l2: vec![0.0; t],
        }
    }
}

/// Where (a, b), a ≤ b < p, stands in an upper triangle stored row by row.
pub fn upper(p: usize, a: usize, b: usize) -> usize {
    a * p - a * a.saturating_sub(1) / 2 - a + b
}

/// `s += add − sub`, element by element.
fn net(s: &mut [f64], add: &[f64], sub: &[f64]) {
    for ((x, a), b) in s.iter_mut().zip(add).zip(sub) {
        *x += a - b;
    }
}

/// The pass of one stratum from its times' sums, latest time first; the
/// event times are recorded (ascending) with their means in the data's
/// units when `scale` (the fit's columns' means and SDs) is given.
pub fn pass_of_sums(
    times: &[TimeSums],
    p: usize,
    ties: Ties,
    scale: Option<(&[f64], &[f64])>,
) -> Pass {
    let t = p * (p + 1) / 2;
    let (mut s0, mut s1, mut s2) = (0.0, vec![0.0; p], vec![0.0; t]);
    let mut ll = 0.0;
    let mut score = vec![0.0; p];
    let mut info = Array2::<f64>::zeros((p, p));
    let mut m = vec![0.0; p];
    let mut recorded = Vec::new();
    for g in times {
        s0 += g.r0 - g.l0;
        net(&mut s1, &g.r1, &g.l1);
        net(&mut s2, &g.r2, &g.l2);
        if g.d == 0 {
            continue;
        }
        ll += g.eta;
        score.iter_mut().zip(&g.z).for_each(|(u, z)| *u += z);
        let df = g.d as f64;
        let mut hazard = 0.0;
        let mut mean = vec![0.0; p];
        for l in 0..g.d {
            let phi = match ties {
                Ties::Efron => l as f64 / df,
                Ties::Breslow => 0.0,
            };
            let den = s0 - phi * g.d0;
            ll -= den.ln();
            for a in 0..p {
                m[a] = (s1[a] - phi * g.d1[a]) / den;
                score[a] -= m[a];
                mean[a] += m[a] / df;
            }
            for a in 0..p {
                for b in a..p {
                    let i = upper(p, a, b);
                    let v = (s2[i] - phi * g.d2[i]) / den - m[a] * m[b];
                    info[[a, b]] += v;
                    if a != b {
                        info[[b, a]] += v;
                    }
                }
            }
            hazard += 1.0 / den;
        }
        if let Some((means, sds)) = scale {
            recorded.push(EventTime {
                stratum: 0,
                time: g.time,
                events: g.d,
                hazard,
                mean: (0..p).map(|a| mean[a] * sds[a] + means[a]).collect(),
            });
        }
    }
    recorded.reverse();
    Pass {
        ll,
        score,
        info,
        times: recorded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::survival::cox::{CoxData, CoxRows, Prepared};
    use crate::stats::survival::Subjects;

    /// The sums of the rows at each exit time give the in-memory pass:
    /// ties, delayed entry (entries on and between exit times) and both
    /// tie rules.
    #[test]
    fn per_time_sums_give_the_running_sums_pass() {
        let n = 80;
        let mut seed = 3u64;
        let mut next = |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let exit: Vec<f64> = (0..n).map(|_| 2.0 + next(7) as f64).collect();
        let entry: Vec<f64> = exit.iter().map(|&t| next(t as u64) as f64 * 0.75).collect();
        let event: Vec<bool> = (0..n).map(|_| next(3) > 0).collect();
        let x: Vec<Vec<f64>> = (0..2)
            .map(|_| (0..n).map(|_| next(100) as f64 / 25.0).collect())
            .collect();
        let data = CoxData {
            subjects: Subjects {
                entry: Some(&entry),
                exit: &exit,
                event: &event,
            },
            columns: x.iter().map(|c| c.as_slice()).collect(),
            strata: None,
        };
        let pr = Prepared::new(&data);
        let beta = [0.3, -0.5];
        let z = |j: usize, i: usize| (x[j][i] - pr.means[j]) / pr.sds[j];
        let mut ts: Vec<f64> = exit.clone();
        ts.sort_by(|a, b| b.total_cmp(a));
        ts.dedup();
        let mut sums: Vec<TimeSums> = ts.iter().map(|&t| TimeSums::empty(t, 2)).collect();
        for i in 0..n {
            let zi = [z(0, i), z(1, i)];
            let eta = beta[0] * zi[0] + beta[1] * zi[1];
            let r = eta.exp();
            let g = ts.iter().position(|&t| t == exit[i]).unwrap();
            let s = &mut sums[g];
            s.r0 += r;
            for a in 0..2 {
                s.r1[a] += r * zi[a];
                for b in a..2 {
                    s.r2[upper(2, a, b)] += r * zi[a] * zi[b];
                }
            }
            if event[i] {
                s.d += 1;
                s.d0 += r;
                s.eta += eta;
                for a in 0..2 {
                    s.d1[a] += r * zi[a];
                    s.z[a] += zi[a];
                    for b in a..2 {
                        s.d2[upper(2, a, b)] += r * zi[a] * zi[b];
                    }
                }
            }
            // It leaves at the latest time at or before its entry.
            if let Some(g) = ts.iter().position(|&t| t <= entry[i]) {
                let s = &mut sums[g];
                s.l0 += r;
                for a in 0..2 {
                    s.l1[a] += r * zi[a];
                    for b in a..2 {
                        s.l2[upper(2, a, b)] += r * zi[a] * zi[b];
                    }
                }
            }
        }
        for ties in [Ties::Efron, Ties::Breslow] {
            let a = pr.pass(&[0, 1], &beta, ties, true);
            let b = pass_of_sums(&sums, 2, ties, Some((&pr.means, &pr.sds)));
            assert!((a.ll - b.ll).abs() < 1e-10, "{ties:?}: {} {}", a.ll, b.ll);
            for k in 0..2 {
                assert!((a.score[k] - b.score[k]).abs() < 1e-10);
                for l in 0..2 {
                    assert!((a.info[[k, l]] - b.info[[k, l]]).abs() < 1e-10);
                }
            }
            assert_eq!(a.times.len(), b.times.len());
            for (u, v) in a.times.iter().zip(&b.times) {
                assert_eq!((u.time, u.events), (v.time, v.events));
                assert!((u.hazard - v.hazard).abs() < 1e-12);
                assert!((u.mean[1] - v.mean[1]).abs() < 1e-10);
            }
        }
    }
}
