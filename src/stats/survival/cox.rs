//! The Cox proportional-hazards model (lifelines `CoxPHFitter`,
//! statsmodels `PHReg`, R `coxph`): Newton–Raphson on the partial
//! likelihood with Efron or Breslow ties, strata (one baseline per stratum),
//! delayed entry, and Firth's penalty (R `coxphf`) for monotone likelihoods.
//!
//! One pass at a β sorts nothing: the rows are ordered once per fit (by
//! stratum, then exit time descending, with a second order by entry time
//! for delayed entry), risk-set sums S0 and S1 are running sums along that
//! order, and the information matrix is assembled as
//! Σᵢ eᵢ Wᵢ xᵢxᵢᵀ − Σ_events m mᵀ, where Wᵢ is the sum of 1/S0 over the event
//! times subject i was at risk for — a parallel weighted cross-product
//! instead of a running p×p sum per row. Columns are centred and scaled
//! while fitting, as lifelines does, and the estimates mapped back.

use ndarray::Array2;
use rayon::prelude::*;

use super::{Subjects, Ties};
use crate::stats::linalg::{info_matrix, inverse_logdet, Singular};

/// Rows per parallel work item of the cross-product.
const CHUNK: usize = 8 * 1024;

/// The data of one Cox fit: subjects, covariate columns (complete cases,
/// one value per subject) and optional strata codes.
#[derive(Debug, Clone)]
pub struct CoxData<'a> {
    pub subjects: Subjects<'a>,
    pub columns: Vec<&'a [f64]>,
    pub strata: Option<&'a [u32]>,
}

/// How to fit.
#[derive(Debug, Clone, Copy)]
pub struct CoxParams {
    pub ties: Ties,
    /// Maximise the penalised partial likelihood l(β) + ½ log det I(β).
    pub firth: bool,
    pub max_iter: usize,
}

impl Default for CoxParams {
    fn default() -> Self {
        CoxParams {
            ties: Ties::Efron,
            firth: false,
            max_iter: 100,
        }
    }
}

/// The fit on a subset of the columns.
#[derive(Debug, Clone)]
pub struct CoxFit {
    pub ties: Ties,
    pub firth: bool,
    /// Columns of the data used; `beta[k]` belongs to `cols[k]`.
    pub cols: Vec<usize>,
    pub beta: Vec<f64>,
    /// Inverse information at the estimate (the covariance of `beta`).
    pub cov: Array2<f64>,
    pub log_lik: f64,
    /// Firth only: log_lik + ½ log det I(β̂).
    pub penalized_log_lik: Option<f64>,
    pub iterations: usize,
    pub converged: bool,
    /// Largest |β| × SD of its column: a monotone likelihood sends it to infinity.
    pub max_std_beta: f64,
}

impl CoxFit {
    /// The likelihood LR tests compare: penalised for Firth fits.
    pub fn objective(&self) -> f64 {
        self.penalized_log_lik.unwrap_or(self.log_lik)
    }
    pub fn std_errors(&self) -> Vec<f64> {
        (0..self.beta.len())
            .map(|k| self.cov[[k, k]].sqrt())
            .collect()
    }
}

/// An event time of one stratum, as the fit saw it at β.
#[derive(Debug, Clone)]
pub struct EventTime {
    pub stratum: u32,
    pub time: f64,
    pub events: usize,
    /// Σ over tie levels of 1 / S0 (Breslow: d / S0): the baseline hazard
    /// increment at the centred covariates.
    pub hazard: f64,
    /// The risk-weighted covariate mean at this time (Efron: averaged over
    /// the tie levels), in the data's original units.
    pub mean: Vec<f64>,
}

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
    /// Delayed entry times, in sweep order.
    entry: Option<Vec<f64>>,
    /// Positions ordered by stratum, then entry time descending (delayed entry only).
    by_entry: Vec<u32>,
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
        let entry: Option<Vec<f64>> = s.entry.map(|e| order.iter().map(|&i| e[i]).collect());
        let by_entry = match &entry {
            Some(e) => {
                let mut o: Vec<(u32, f64, u32)> =
                    (0..n).map(|k| (keys[k].0, e[k], k as u32)).collect();
                radsort::sort_by_key(&mut o, |k| -k.1);
                radsort::sort_by_key(&mut o, |k| k.0);
                o.into_iter().map(|x| x.2).collect()
            }
            None => Vec::new(),
        };
        Prepared {
            z,
            means,
            sds,
            exit: keys.iter().map(|k| k.1).collect(),
            event: order.iter().map(|&i| s.event[i]).collect(),
            stratum: keys.iter().map(|k| k.0).collect(),
            entry,
            by_entry,
            _data: std::marker::PhantomData,
        }
    }
}

/// Sums of one pass at β (standardised scale).
struct Pass {
    ll: f64,
    score: Vec<f64>,
    info: Array2<f64>,
    times: Vec<EventTime>,
}

/// One pass over the data at `beta` on the standardised columns `sel`.
fn pass(pr: &Prepared, sel: &[usize], beta: &[f64], ties: Ties, record: bool) -> Pass {
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
    // Ascending event times and cumulative hazard, per stratum (for entries).
    let mut steps: Vec<(u32, f64, f64)> = Vec::new();
    let mut times = Vec::new();
    let (mut s0, mut s1) = (0.0, vec![0.0; p]);
    let mut d1 = vec![0.0; p];
    let mut m_l = vec![0.0; p];
    let mut mean_acc = vec![0.0; p];
    let mut sum_above = 0.0;
    let mut ep = 0;
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
        if let Some(entry) = &pr.entry {
            // Leave the risk set: rows of this stratum with entry ≥ t.
            while ep < n {
                let q = pr.by_entry[ep] as usize;
                let sq = pr.stratum[q];
                if sq < st || (sq == st && entry[q] >= t) {
                    if sq == st {
                        let r = risk[q];
                        s0 -= r;
                        for (a, c) in cols.iter().enumerate() {
                            s1[a] -= r * c[q];
                        }
                    }
                    ep += 1;
                } else {
                    break;
                }
            }
        }
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
            steps.push((st, t, hz));
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
    let info = cross_product(pr, &cols, &risk, &above, &tie_of, &strata, &steps, &mm, p);
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
    steps_desc: &[(u32, f64, f64)],
    mm: &[f64],
    p: usize,
) -> Array2<f64> {
    let n = pr.exit.len();
    // Per position: the stratum's total hazard (positions are grouped by stratum).
    let mut total = vec![0.0; n];
    for &(_, lo, hi, tot) in strata {
        total[lo..hi].fill(tot);
    }
    // Delayed entry: C(stratum, entry) from the ascending cumulative hazard.
    let entry_c: Option<Vec<f64>> = pr.entry.as_ref().map(|entry| {
        let mut asc: Vec<(u32, f64, f64)> = steps_desc.to_vec();
        asc.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let mut cum = Vec::with_capacity(asc.len());
        let (mut acc, mut cur) = (0.0, u32::MAX);
        for x in &asc {
            if x.0 != cur {
                cur = x.0;
                acc = 0.0;
            }
            acc += x.2;
            cum.push(acc);
        }
        // Walk the positions by entry (stratum ascending, entry descending)
        // with a pointer down the stratum's ascending times: O(n).
        let mut c = vec![0.0; n];
        let mut e = 0;
        while e < pr.by_entry.len() {
            let st = pr.stratum[pr.by_entry[e] as usize];
            let lo = asc.partition_point(|x| x.0 < st);
            let mut k = asc.partition_point(|x| x.0 <= st);
            while e < pr.by_entry.len() && pr.stratum[pr.by_entry[e] as usize] == st {
                let q = pr.by_entry[e] as usize;
                while k > lo && asc[k - 1].1 > entry[q] {
                    k -= 1;
                }
                c[q] = if k > lo { cum[k - 1] } else { 0.0 };
                e += 1;
            }
        }
        c
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
        .reduce(
            || vec![0.0; p * p],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        );
    let diff: Vec<f64> = upper.iter().zip(mm).map(|(a, b)| a - b).collect();
    info_matrix(p, &diff)
}

/// ∂/∂βⱼ of ½ log det I(β), by central differences of the analytic information.
fn firth_gradient(
    pr: &Prepared,
    sel: &[usize],
    beta: &[f64],
    ties: Ties,
) -> Result<Vec<f64>, Singular> {
    const H: f64 = 1e-5;
    (0..beta.len())
        .map(|j| {
            let mut b = beta.to_vec();
            b[j] = beta[j] + H;
            let up = inverse_logdet(&pass(pr, sel, &b, ties, false).info)?.1;
            b[j] = beta[j] - H;
            let down = inverse_logdet(&pass(pr, sel, &b, ties, false).info)?.1;
            Ok(0.25 * (up - down) / H)
        })
        .collect()
}

/// Fits the model on the columns `sel` of the prepared data.
///
/// # Errors
/// [`Singular`] when the information matrix cannot be inverted (collinear
/// or degenerate columns).
pub fn fit(pr: &Prepared, sel: &[usize], params: &CoxParams) -> Result<CoxFit, Singular> {
    fit_from(pr, sel, params, None)
}

/// [`fit`] started from `start` (coefficients of `sel` in the data's units,
/// e.g. the full model's for a refit without one driver) instead of 0: the
/// same optimum in fewer Newton steps.
///
/// # Errors
/// As [`fit`].
pub fn fit_from(
    pr: &Prepared,
    sel: &[usize],
    params: &CoxParams,
    start: Option<&[f64]>,
) -> Result<CoxFit, Singular> {
    let p = sel.len();
    let ties = params.ties;
    let objective = |ps: &Pass, logdet: f64| {
        if params.firth {
            ps.ll + 0.5 * logdet
        } else {
            ps.ll
        }
    };
    let mut beta: Vec<f64> = match start {
        Some(b) => b.iter().zip(sel).map(|(b, &j)| b * pr.sds[j]).collect(),
        None => vec![0.0; p],
    };
    let mut cur = pass(pr, sel, &beta, ties, false);
    let (mut inv, mut logdet) = if p > 0 {
        inverse_logdet(&cur.info)?
    } else {
        (Array2::zeros((0, 0)), 0.0)
    };
    let mut obj = objective(&cur, logdet);
    let mut converged = p == 0;
    let mut iterations = 0;
    while !converged && iterations < params.max_iter {
        iterations += 1;
        let mut u = cur.score.clone();
        if params.firth {
            let g = firth_gradient(pr, sel, &beta, ties)?;
            u.iter_mut().zip(&g).for_each(|(a, b)| *a += b);
        }
        let step: Vec<f64> = (0..p)
            .map(|a| (0..p).map(|b| inv[[a, b]] * u[b]).sum())
            .collect();
        let mut scale = 1.0;
        let mut accepted = false;
        for _ in 0..40 {
            let trial: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b + scale * s).collect();
            let next = pass(pr, sel, &trial, ties, false);
            if let Ok((ni, nl)) = inverse_logdet(&next.info) {
                let nobj = objective(&next, nl);
                if nobj.is_finite() && nobj >= obj - 1e-12 * obj.abs().max(1.0) {
                    let change = step.iter().map(|s| (scale * s).abs()).fold(0.0, f64::max);
                    let gain = nobj - obj;
                    beta = trial;
                    cur = next;
                    inv = ni;
                    logdet = nl;
                    obj = nobj;
                    accepted = true;
                    converged = change < 1e-10
                        || (gain.abs() < 1e-13 * obj.abs().max(1.0) && change < 1e-7);
                    break;
                }
            }
            scale *= 0.5;
        }
        if !accepted {
            // No step improves the objective: at the optimum to rounding.
            converged = true;
        }
    }
    let sds: Vec<f64> = sel.iter().map(|&j| pr.sds[j]).collect();
    let max_std_beta = beta.iter().map(|b| b.abs()).fold(0.0, f64::max);
    let beta_orig: Vec<f64> = beta.iter().zip(&sds).map(|(b, s)| b / s).collect();
    let mut cov = inv.clone();
    for a in 0..p {
        for b in 0..p {
            cov[[a, b]] /= sds[a] * sds[b];
        }
    }
    // I on the standardised scale is D⁻¹ I D⁻¹ (D = diag(sd)), so ½ log det I = ½ log det I_std + Σ log sd.
    let log_sd: f64 = sds.iter().map(|s| s.ln()).sum();
    Ok(CoxFit {
        ties,
        firth: params.firth,
        cols: sel.to_vec(),
        beta: beta_orig,
        cov,
        log_lik: cur.ll,
        penalized_log_lik: params.firth.then_some(cur.ll + 0.5 * logdet + log_sd),
        iterations,
        converged,
        max_std_beta,
    })
}

/// Log partial likelihood at β = 0 (the null model; with Firth the penalty of
/// an empty model is 0).
pub fn null_log_lik(pr: &Prepared, ties: Ties) -> f64 {
    pass(pr, &[], &[], ties, false).ll
}

/// The score (log-rank) test of β = 0 on the columns `sel`: U(0)ᵀ I(0)⁻¹ U(0).
pub fn score_test(pr: &Prepared, sel: &[usize], ties: Ties) -> Option<f64> {
    let zero = vec![0.0; sel.len()];
    let ps = pass(pr, sel, &zero, ties, false);
    let (inv, _) = inverse_logdet(&ps.info).ok()?;
    let u = &ps.score;
    Some(
        (0..u.len())
            .map(|a| (0..u.len()).map(|b| u[a] * inv[[a, b]] * u[b]).sum::<f64>())
            .sum(),
    )
}

/// The event times of the fit, with their baseline hazard increments and
/// risk-weighted covariate means (for residuals and predictions).
pub fn event_times(pr: &Prepared, fit: &CoxFit) -> Vec<EventTime> {
    let beta_std: Vec<f64> = fit
        .beta
        .iter()
        .zip(&fit.cols)
        .map(|(b, &j)| b * pr.sds[j])
        .collect();
    pass(pr, &fit.cols, &beta_std, fit.ties, true).times
}

/// Linear predictors xᵢᵀβ in the data's units (uncentred).
pub fn linear_predictor(data: &CoxData, fit: &CoxFit) -> Vec<f64> {
    let n = data.subjects.len();
    (0..n)
        .into_par_iter()
        .map(|i| {
            fit.cols
                .iter()
                .zip(&fit.beta)
                .map(|(&j, b)| b * data.columns[j][i])
                .sum()
        })
        .collect()
}
