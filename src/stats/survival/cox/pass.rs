//! One pass of the Cox partial likelihood at a β: the data ordered once
//! per fit ([`Prepared`]), then log-likelihood, score and information from
//! running sums along that order.
//!
//! Rows are stored in sweep order (stratum ascending, exit time descending),
//! so S0 and S1 are running sums read in memory order. Delayed entry needs
//! no second order: each row's *leaving time* (the first exit time of its
//! stratum at or before its entry) is found once per fit, and per pass the
//! rows' risks are added into one bucket per exit time, in row order, and
//! taken out of the running sums as the sweep reaches that time. The
//! information matrix is assembled as Σᵢ eᵢ Wᵢ xᵢxᵢᵀ − Σ_events m mᵀ, where Wᵢ
//! is the sum of 1/S0 over the event times subject i was at risk for — a
//! parallel weighted cross-product instead of a running p×p sum per row.

use ndarray::Array2;
use rayon::prelude::*;

use super::super::Ties;
use super::{CoxData, EventTime};
use crate::stats::linalg::info_matrix;

/// Rows per parallel work item of the cross-product.
const CHUNK: usize = 8 * 1024;

/// A row that never leaves before its exit (entry before every exit time).
const NONE: u32 = u32::MAX;

/// The data prepared once per fit: standardised columns and every per-row
/// array stored in sweep order (stratum ascending, exit time descending), so
/// a pass reads memory in order instead of jumping through an index.
pub struct Prepared<'a> {
    /// Standardised columns, (x − mean) / sd, in sweep order.
    z: Vec<Vec<f64>>,
    pub means: Vec<f64>,
    pub sds: Vec<f64>,
    exit: Vec<f64>,
    event: Vec<bool>,
    stratum: Vec<u32>,
    /// Delayed entry only: per row, the exit-time group (a run of equal
    /// stratum and exit in sweep order) at which it leaves the risk set —
    /// the first of its stratum with time ≤ its entry — or [`NONE`].
    leave_at: Option<Vec<u32>>,
    /// The number of exit-time groups.
    groups: usize,
    _data: std::marker::PhantomData<&'a ()>,
}

impl<'a> Prepared<'a> {
    pub fn new(data: &'a CoxData<'a>) -> Self {
        let n = data.subjects.len();
        let stratum_of = |i: usize| data.strata.map_or(0, |s| s[i]);
        let (means, sds): (Vec<f64>, Vec<f64>) = data
            .columns
            .iter()
            .map(|c| {
                let m = c.iter().sum::<f64>() / n.max(1) as f64;
                let v = c.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n.max(2) - 1) as f64;
                let sd = v.sqrt();
                (m, if sd > 0.0 && sd.is_finite() { sd } else { 1.0 })
            })
            .unzip();
        let s = &data.subjects;
        // (stratum, exit) keys sorted once; the order is then applied to every array.
        let mut keys: Vec<(u32, f64, u32)> = (0..n)
            .map(|i| (stratum_of(i), s.exit[i], i as u32))
            .collect();
        // Stable radix sorts: by exit descending, then by stratum (ties keep row order).
        radsort::sort_by_key(&mut keys, |k| -k.1);
        radsort::sort_by_key(&mut keys, |k| k.0);
        let order: Vec<usize> = keys.iter().map(|k| k.2 as usize).collect();
        let z = data
            .columns
            .par_iter()
            .zip(means.par_iter().zip(&sds))
            .map(|(c, (m, sd))| order.iter().map(|&i| (c[i] - m) / sd).collect())
            .collect();
        let exit: Vec<f64> = keys.iter().map(|k| k.1).collect();
        let stratum: Vec<u32> = keys.iter().map(|k| k.0).collect();
        // Exit-time groups in sweep order, and where each one's stratum ends.
        let mut group_of = vec![0u32; n];
        let mut group_time: Vec<f64> = Vec::new();
        let mut group_stratum: Vec<u32> = Vec::new();
        for q in 0..n {
            if q == 0 || exit[q] != exit[q - 1] || stratum[q] != stratum[q - 1] {
                group_time.push(exit[q]);
                group_stratum.push(stratum[q]);
            }
            group_of[q] = (group_time.len() - 1) as u32;
        }
        let groups = group_time.len();
        let mut stratum_end = vec![groups; groups];
        for g in (0..groups.saturating_sub(1)).rev() {
            if group_stratum[g + 1] == group_stratum[g] {
                stratum_end[g] = stratum_end[g + 1];
            } else {
                stratum_end[g] = g + 1;
            }
        }
        let leave_at = s.entry.map(|e| {
            (0..n)
                .into_par_iter()
                .map(|q| {
                    // Times descend within the stratum; its own exit is after its entry.
                    let own = group_of[q] as usize;
                    let end = stratum_end[own];
                    let en = e[order[q]];
                    let g = own + group_time[own..end].partition_point(|&t| t > en);
                    if g < end {
                        g as u32
                    } else {
                        NONE
                    }
                })
                .collect()
        });
        Prepared {
            z,
            means,
            sds,
            exit,
            event: order.iter().map(|&i| s.event[i]).collect(),
            stratum,
            leave_at,
            groups,
            _data: std::marker::PhantomData,
        }
    }
}

/// Sums of one pass at β (standardised scale).
pub struct Pass {
    pub ll: f64,
    pub score: Vec<f64>,
    pub info: Array2<f64>,
    pub times: Vec<EventTime>,
}

/// One pass over the data at `beta` on the standardised columns `sel`.
pub(super) fn pass(pr: &Prepared, sel: &[usize], beta: &[f64], ties: Ties, record: bool) -> Pass {
    let n = pr.exit.len();
    let p = sel.len();
    let cols: Vec<&[f64]> = sel.iter().map(|&j| pr.z[j].as_slice()).collect();
    let mut eta = vec![0.0; n];
    eta.par_chunks_mut(CHUNK).enumerate().for_each(|(c, out)| {
        let start = c * CHUNK;
        let len = out.len();
        for (b, col) in beta.iter().zip(&cols) {
            for (o, x) in out.iter_mut().zip(&col[start..start + len]) {
                *o += b * x;
            }
        }
    });
    let risk: Vec<f64> = eta.par_iter().map(|v| v.exp()).collect();

    let mut ll = 0.0;
    let mut score = vec![0.0; p];
    let mut mm = vec![0.0; p * p];
    // Per row: Σ 1/S0 over the event times above its exit (same stratum),
    // and its own Efron tie term when it had the event.
    let mut above = vec![0.0; n];
    let mut tie_of = vec![0.0; n];
    // Per stratum: (stratum, first position, end position, total hazard).
    let mut strata: Vec<(u32, usize, usize, f64)> = Vec::new();
    let mut times = Vec::new();
    let (mut s0, mut s1) = (0.0, vec![0.0; p]);
    let mut d1 = vec![0.0; p];
    let mut m_l = vec![0.0; p];
    let mut mean_acc = vec![0.0; p];
    let mut sum_above = 0.0;
    // Delayed entry: per exit-time group, the risk and risk × x of the rows
    // leaving there, added up in row order; and Σ 1/S0 above each group.
    let leave = pr.leave_at.as_ref().map(|at| {
        let w = p + 1;
        let mut h = vec![0.0; pr.groups * w];
        for (q, &g) in at.iter().enumerate() {
            if g != NONE {
                let b = g as usize * w;
                let r = risk[q];
                h[b] += r;
                for (a, c) in cols.iter().enumerate() {
                    h[b + 1 + a] += r * c[q];
                }
            }
        }
        h
    });
    let mut above_group = vec![0.0; if leave.is_some() { pr.groups } else { 0 }];
    let mut group = 0;
    let mut j = 0;
    while j < n {
        let st = pr.stratum[j];
        if strata.last().map_or(true, |x| x.0 != st) {
            if let Some(last) = strata.last_mut() {
                last.2 = j;
                last.3 = sum_above;
            }
            strata.push((st, j, n, 0.0));
            s0 = 0.0;
            s1.fill(0.0);
            sum_above = 0.0;
        }
        let t = pr.exit[j];
        let mut d0 = 0.0;
        d1.fill(0.0);
        let mut d = 0usize;
        let mut k = j;
        while k < n && pr.exit[k] == t && pr.stratum[k] == st {
            let r = risk[k];
            s0 += r;
            for (a, c) in cols.iter().enumerate() {
                s1[a] += r * c[k];
            }
            if pr.event[k] {
                d += 1;
                d0 += r;
                ll += eta[k];
                for (a, c) in cols.iter().enumerate() {
                    d1[a] += r * c[k];
                    score[a] += c[k];
                }
            }
            above[k] = sum_above;
            k += 1;
        }
        if let Some(h) = &leave {
            // Leave the risk set: rows of this stratum with entry ≥ t.
            let b = group * (p + 1);
            s0 -= h[b];
            for (s, l) in s1.iter_mut().zip(&h[b + 1..b + 1 + p]) {
                *s -= l;
            }
            above_group[group] = sum_above;
        }
        group += 1;
        if d > 0 {
            let df = d as f64;
            let (mut hz, mut tie) = (0.0, 0.0);
            mean_acc.fill(0.0);
            for l in 0..d {
                let phi = match ties {
                    Ties::Efron => l as f64 / df,
                    Ties::Breslow => 0.0,
                };
                let den = s0 - phi * d0;
                ll -= den.ln();
                for a in 0..p {
                    m_l[a] = (s1[a] - phi * d1[a]) / den;
                    score[a] -= m_l[a];
                    mean_acc[a] += m_l[a] / df;
                }
                for a in 0..p {
                    for b in a..p {
                        mm[a * p + b] += m_l[a] * m_l[b];
                    }
                }
                hz += 1.0 / den;
                tie += phi / den;
            }
            for (t_q, &e) in tie_of[j..k].iter_mut().zip(&pr.event[j..k]) {
                if e {
                    *t_q = tie;
                }
            }
            sum_above += hz;
            if record {
                times.push(EventTime {
                    stratum: st,
                    time: t,
                    events: d,
                    hazard: hz,
                    mean: (0..p)
                        .map(|a| mean_acc[a] * pr.sds[sel[a]] + pr.means[sel[a]])
                        .collect(),
                });
            }
        }
        j = k;
    }
    if let Some(last) = strata.last_mut() {
        last.2 = n;
        last.3 = sum_above;
    }
    let info = cross_product(
        pr,
        &cols,
        &risk,
        &above,
        &tie_of,
        &strata,
        &above_group,
        &mm,
        p,
    );
    times.reverse();
    Pass {
        ll,
        score,
        info,
        times,
    }
}

/// Σᵢ eᵢ Wᵢ zᵢzᵢᵀ − Σ m mᵀ, with Wᵢ = Σ 1/S0 over the event times at which
/// subject i was at risk (those ≤ its exit, less those ≤ its entry), less
/// its own tie term (Efron) if it had the event.
#[allow(clippy::too_many_arguments)]
fn cross_product(
    pr: &Prepared,
    cols: &[&[f64]],
    risk: &[f64],
    above: &[f64],
    tie_of: &[f64],
    strata: &[(u32, usize, usize, f64)],
    above_group: &[f64],
    mm: &[f64],
    p: usize,
) -> Array2<f64> {
    let n = pr.exit.len();
    // Per position: the stratum's total hazard (positions are grouped by stratum).
    let mut total = vec![0.0; n];
    for &(_, lo, hi, tot) in strata {
        total[lo..hi].fill(tot);
    }
    // Delayed entry: C(entry), the hazard at event times ≤ the entry, is
    // the stratum's total less the hazard above the group it leaves at.
    let entry_c: Option<Vec<f64>> = pr.leave_at.as_ref().map(|at| {
        at.par_iter()
            .zip(&total)
            .map(|(&g, tot)| {
                if g == NONE {
                    0.0
                } else {
                    tot - above_group[g as usize]
                }
            })
            .collect()
    });
    let weights: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|q| {
            let c_exit = total[q] - above[q];
            let c_entry = entry_c.as_ref().map_or(0.0, |c| c[q]);
            risk[q] * (c_exit - c_entry - tie_of[q])
        })
        .collect();
    let upper = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let lo = c * CHUNK;
            let hi = ((c + 1) * CHUNK).min(n);
            let mut out = vec![0.0; p * p];
            let mut wa = vec![0.0; hi - lo];
            for a in 0..p {
                for (o, (w, x)) in wa
                    .iter_mut()
                    .zip(weights[lo..hi].iter().zip(&cols[a][lo..hi]))
                {
                    *o = w * x;
                }
                for b in a..p {
                    out[a * p + b] += wa
                        .iter()
                        .zip(&cols[b][lo..hi])
                        .map(|(u, v)| u * v)
                        .sum::<f64>();
                }
            }
            out
        })
        .collect::<Vec<Vec<f64>>>()
        // Summed in chunk order, not in rayon's reduction tree, whose shape
        // follows the scheduling: the same data gives the same bits.
        .into_iter()
        .fold(vec![0.0; p * p], |mut a, b| {
            a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
            a
        });
    let diff: Vec<f64> = upper.iter().zip(mm).map(|(a, b)| a - b).collect();
    info_matrix(p, &diff)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::survival::Subjects;

    /// Brute-force log partial likelihood: every risk set {entry < t ≤ exit}
    /// of the stratum summed afresh at every event time.
    fn brute_ll(z: &[Vec<f64>], s: &Subjects, strata: &[u32], beta: &[f64], ties: Ties) -> f64 {
        let n = s.len();
        let eta: Vec<f64> = (0..n)
            .map(|i| z.iter().zip(beta).map(|(c, b)| b * c[i]).sum())
            .collect();
        let mut keys: Vec<(u32, f64)> = (0..n)
            .filter(|&i| s.event[i])
            .map(|i| (strata[i], s.exit[i]))
            .collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        keys.dedup();
        let mut ll = 0.0;
        for (st, t) in keys {
            let entry = |i: usize| s.entry.map_or(0.0, |e| e[i]);
            let at_risk = |i: usize| strata[i] == st && entry(i) < t && t <= s.exit[i];
            let dead: Vec<usize> = (0..n)
                .filter(|&i| strata[i] == st && s.exit[i] == t && s.event[i])
                .collect();
            let s0: f64 = (0..n).filter(|&i| at_risk(i)).map(|i| eta[i].exp()).sum();
            let d0: f64 = dead.iter().map(|&i| eta[i].exp()).sum();
            let d = dead.len() as f64;
            for (l, &i) in dead.iter().enumerate() {
                ll += eta[i];
                let phi = if ties == Ties::Efron {
                    l as f64 / d
                } else {
                    0.0
                };
                ll -= (s0 - phi * d0).ln();
            }
        }
        ll
    }

    /// Whole-number times and entries, so entries coincide with exits and
    /// events tie: the running sums must give the brute-force likelihood,
    /// its gradient and its negative Hessian.
    #[test]
    fn running_sums_match_brute_force_with_ties_entry_and_strata() {
        let n = 60;
        let mut seed = 7u64;
        let mut next = |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let exit: Vec<f64> = (0..n).map(|_| 2.0 + next(6) as f64).collect();
        let entry: Vec<f64> = exit.iter().map(|&t| next(t as u64) as f64).collect();
        let event: Vec<bool> = (0..n).map(|_| next(3) > 0).collect();
        let strata: Vec<u32> = (0..n).map(|_| next(2) as u32).collect();
        let x: Vec<Vec<f64>> = (0..2)
            .map(|_| (0..n).map(|_| next(100) as f64 / 25.0).collect())
            .collect();
        let s = Subjects {
            entry: Some(&entry),
            exit: &exit,
            event: &event,
        };
        let data = CoxData {
            subjects: s,
            columns: x.iter().map(|c| c.as_slice()).collect(),
            strata: Some(&strata),
        };
        let pr = Prepared::new(&data);
        let z: Vec<Vec<f64>> = x
            .iter()
            .enumerate()
            .map(|(j, c)| c.iter().map(|v| (v - pr.means[j]) / pr.sds[j]).collect())
            .collect();
        let beta = [0.4, -0.3];
        for ties in [Ties::Efron, Ties::Breslow] {
            let ps = pass(&pr, &[0, 1], &beta, ties, false);
            let ll = |b: &[f64]| brute_ll(&z, &s, &strata, b, ties);
            assert!(
                (ps.ll - ll(&beta)).abs() < 1e-10,
                "{ties:?}: {} vs {}",
                ps.ll,
                ll(&beta)
            );
            let h = 1e-4;
            for a in 0..2 {
                let mut up = beta;
                up[a] += h;
                let mut down = beta;
                down[a] -= h;
                let grad = (ll(&up) - ll(&down)) / (2.0 * h);
                assert!((ps.score[a] - grad).abs() < 1e-6, "{ties:?} score {a}");
                for b in 0..2 {
                    let mut pp = up;
                    pp[b] += h;
                    let mut pm = up;
                    pm[b] -= h;
                    let mut mp = down;
                    mp[b] += h;
                    let mut mm = down;
                    mm[b] -= h;
                    let hess = (ll(&pp) - ll(&pm) - ll(&mp) + ll(&mm)) / (4.0 * h * h);
                    assert!(
                        (ps.info[[a, b]] + hess).abs() < 1e-4,
                        "{ties:?} info {a}{b}: {} vs {}",
                        ps.info[[a, b]],
                        -hess
                    );
                }
            }
        }
    }
}
