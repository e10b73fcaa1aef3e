//! Logistic regression by Newton–Raphson (as `statsmodels Logit.fit(method=
//! "newton")`), with Firth's bias-reduced variant (as R's `brglm2` /
//! `logistf`) for separated data, average marginal effects with
//! delta-method standard errors (as `get_margeff(at="overall")`) and the AUC.
//!
//! The design is a dense column-major matrix whose first column is the
//! intercept; fits take a column subset so likelihood-ratio tests refit
//! without copying the data. Row passes run in parallel chunks.

use ndarray::Array2;
use rayon::prelude::*;
use serde::Serialize;

use super::linalg::{info_matrix, inverse_logdet};

/// Rows per parallel work item.
const CHUNK: usize = 16 * 1024;

/// A dense design matrix with the intercept as column 0, column-major so a
/// pass reads each used column contiguously (no per-pass transpose).
#[derive(Debug, Clone)]
pub struct Design {
    pub n: usize,
    pub p: usize,
    /// Column `j` is `x[j * n..(j + 1) * n]`.
    pub x: Vec<f64>,
    /// Outcome, 0.0 or 1.0.
    pub y: Vec<f64>,
}

impl Design {
    /// Column `j`, one value per row.
    pub fn column(&self, j: usize) -> &[f64] {
        &self.x[j * self.n..(j + 1) * self.n]
    }
}

/// Fitting method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Maximum likelihood (Newton–Raphson).
    Newton,
    /// Firth's penalised likelihood (Jeffreys prior).
    Firth,
}

/// The fit of one model on a subset of the design's columns.
#[derive(Debug, Clone)]
pub struct LogitFit {
    pub method: Method,
    /// Columns of the design used, in order; `beta[k]` belongs to `cols[k]`.
    pub cols: Vec<usize>,
    pub beta: Vec<f64>,
    /// Inverse Fisher information at the estimate (the covariance of `beta`).
    pub cov: Array2<f64>,
    /// Fisher information at the estimate.
    pub info: Array2<f64>,
    /// Log-likelihood at the estimate.
    pub log_likelihood: f64,
    /// Firth only: log-likelihood + ½ log det I(β).
    pub penalized_log_likelihood: Option<f64>,
    pub iterations: usize,
    pub converged: bool,
    /// Largest Newton step in the last iteration (a growing step is divergence).
    pub last_step: f64,
}

impl LogitFit {
    /// The likelihood that LR tests compare: penalised for Firth fits.
    pub fn objective(&self) -> f64 {
        self.penalized_log_likelihood.unwrap_or(self.log_likelihood)
    }
    pub fn std_errors(&self) -> Vec<f64> {
        (0..self.beta.len())
            .map(|k| self.cov[[k, k]].sqrt())
            .collect()
    }
}

/// Why a fit could not be produced at all.
#[derive(Debug, Clone, PartialEq)]
pub enum FitFailure {
    /// The information matrix is singular (collinear or degenerate columns).
    Singular,
}

impl From<super::linalg::Singular> for FitFailure {
    fn from(_: super::linalg::Singular) -> Self {
        FitFailure::Singular
    }
}

/// Sums over rows at one β: log-likelihood, score and information.
struct Pass {
    ll: f64,
    score: Vec<f64>,
    /// Upper triangle filled, p×p row-major.
    info: Vec<f64>,
}

/// The logistic function 1 / (1 + e^−η), the inverse of the logit link: the
/// crate's one sigmoid (predictions, counterfactual scoring, the demo
/// generator). It needs no branch: for very negative η, e^−η overflows to ∞
/// and the result is 0, as it should be.
pub fn sigmoid(eta: f64) -> f64 {
    1.0 / (1.0 + (-eta).exp())
}

/// Dot product with four independent accumulators, so the compiler can
/// vectorise it (a single running sum must stay in order).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut s = [0.0f64; 4];
    let (ac, ar) = a.split_at(a.len() - a.len() % 4);
    let (bc, br) = b.split_at(ac.len());
    for (x, y) in ac.chunks_exact(4).zip(bc.chunks_exact(4)) {
        s[0] += x[0] * y[0];
        s[1] += x[1] * y[1];
        s[2] += x[2] * y[2];
        s[3] += x[3] * y[3];
    }
    let tail: f64 = ar.iter().zip(br).map(|(x, y)| x * y).sum();
    (s[0] + s[1]) + (s[2] + s[3]) + tail
}

/// Rows per block inside a work item: the information matrix is built from
/// dot products over a block's column slices, which stay in cache.
const BLOCK: usize = 2048;

/// One parallel pass over the design's columns `sel` (read in place: no
/// copy of the design per refit). With `hinv` (Firth), the score is Firth's modified
/// score X'(y − μ + h(½ − μ)) with leverages h from `hinv`.
fn pass(d: &Design, sel: &[usize], beta: &[f64], hinv: Option<&Array2<f64>>) -> Pass {
    let p = sel.len();
    let zero = || Pass {
        ll: 0.0,
        score: vec![0.0; p],
        info: vec![0.0; p * p],
    };
    let columns: Vec<&[f64]> = sel.iter().map(|&j| d.column(j)).collect();
    let chunks = d.n.div_ceil(CHUNK);
    (0..chunks)
        .into_par_iter()
        .map(|c| {
            let mut acc = zero();
            let mut eta = vec![0.0; BLOCK];
            let mut w = vec![0.0; BLOCK];
            let mut resid = vec![0.0; BLOCK];
            let mut wa = vec![0.0; BLOCK];
            let mut cols: Vec<&[f64]> = Vec::with_capacity(p);
            let end = ((c + 1) * CHUNK).min(d.n);
            let mut start = c * CHUNK;
            while start < end {
                let m = BLOCK.min(end - start);
                cols.clear();
                cols.extend(columns.iter().map(|col| &col[start..start + m]));
                let eta = &mut eta[..m];
                eta.fill(0.0);
                for (bk, col) in beta.iter().zip(&cols) {
                    for (e, x) in eta.iter_mut().zip(*col) {
                        *e += bk * x;
                    }
                }
                // Σ log(1 + e) is taken as the log of a running product of
                // the (1 + e) ∈ (1, 2]: one logarithm per 512 rows instead of
                // one per row (the product stays below 2^512; each factor's
                // rounding moves the sum by at most 1.1e-16).
                let (mut lin, mut prod) = (0.0, 1.0);
                for i in 0..m {
                    let t = eta[i];
                    let y = d.y[start + i];
                    // One exponential serves the likelihood and the mean:
                    // e = exp(−|η|), log(1+e^η) = max(η,0) + log(1+e).
                    let e = (-t.abs()).exp();
                    let one_e = 1.0 + e;
                    lin += y * t - t.max(0.0);
                    prod *= one_e;
                    if i % 512 == 511 {
                        acc.ll += lin - prod.ln();
                        (lin, prod) = (0.0, 1.0);
                    }
                    let mu = if t >= 0.0 { 1.0 / one_e } else { e / one_e };
                    let wi = mu * (1.0 - mu);
                    let mut r = y - mu;
                    if let Some(h) = hinv {
                        // leverage h_i = w x' H⁻¹ x
                        let mut q = 0.0;
                        for a in 0..p {
                            let mut s = 0.0;
                            for b in 0..p {
                                s += h[[a, b]] * cols[b][i];
                            }
                            q += s * cols[a][i];
                        }
                        r += wi * q * (0.5 - mu);
                    }
                    w[i] = wi;
                    resid[i] = r;
                }
                acc.ll += lin - prod.ln();
                for a in 0..p {
                    let ca = cols[a];
                    acc.score[a] += dot(&resid[..m], ca);
                    for ((o, wi), x) in wa[..m].iter_mut().zip(&w[..m]).zip(ca) {
                        *o = wi * x;
                    }
                    for (b, cb) in cols.iter().enumerate().skip(a) {
                        acc.info[a * p + b] += dot(&wa[..m], cb);
                    }
                }
                start += m;
            }
            acc
        })
        .collect::<Vec<_>>()
        .into_iter()
        .fold(zero(), |mut a, b| {
            a.ll += b.ll;
            a.score.iter_mut().zip(&b.score).for_each(|(x, y)| *x += y);
            a.info.iter_mut().zip(&b.info).for_each(|(x, y)| *x += y);
            a
        })
}

/// Options of [`fit`].
#[derive(Debug, Clone)]
pub struct FitOptions {
    pub method: Method,
    pub max_iter: usize,
    /// Convergence when the largest Newton step is below this. The step is
    /// still applied, and Newton converges quadratically, so the estimate's
    /// error is of the order of tol² (far below what is reported).
    pub tol: f64,
    /// Starting values (one per column used); default: zeros with the
    /// intercept at the logit of the mean outcome.
    pub start: Option<Vec<f64>>,
    /// Only the maximised log-likelihood is wanted (a likelihood-ratio
    /// refit): a maximum-likelihood fit may stop once the largest step is
    /// below this and report ll + ½ g'I⁻¹g, the quadratic model's maximum.
    /// For the logistic model I is the exact Hessian, so what is left is
    /// third order in the step (about n|step|³/10: < 1e-10 at 1e-5 and a
    /// million rows). The estimate and covariance are not final then.
    pub objective_tol: Option<f64>,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            method: Method::Newton,
            max_iter: 100,
            tol: 1e-8,
            start: None,
            objective_tol: None,
        }
    }
}

/// Fits the model on the columns `cols` of `d` (`cols[0]` should be the intercept).
///
/// Newton steps are halved (up to 20 times) whenever they would lower the
/// (penalised) log-likelihood, so a fit never moves away from the optimum.
pub fn fit(d: &Design, cols: &[usize], opts: &FitOptions) -> Result<LogitFit, FitFailure> {
    let p = cols.len();
    let mut beta = opts.start.clone().unwrap_or_else(|| {
        let ybar = d.y.iter().sum::<f64>() / d.n as f64;
        let mut b = vec![0.0; p];
        if !b.is_empty() && ybar > 0.0 && ybar < 1.0 {
            b[0] = (ybar / (1.0 - ybar)).ln();
        }
        b
    });
    let firth = opts.method == Method::Firth;
    let mut prev: Option<(f64, Vec<f64>, Vec<f64>)> = None; // (objective, beta, step)
    let mut iterations = 0;
    let mut halvings = 0;
    loop {
        let plain = pass(d, cols, &beta, None);
        let info = info_matrix(p, &plain.info);
        let (inv, logdet) = inverse_logdet(&info)?;
        let objective = if firth {
            plain.ll + 0.5 * logdet
        } else {
            plain.ll
        };
        // Step-halving: back off towards the previous estimate if worse.
        if let Some((prev_obj, prev_beta, prev_step)) = &prev {
            if objective < *prev_obj - 1e-12 * prev_obj.abs().max(1.0) && halvings < 20 {
                halvings += 1;
                let f = 0.5f64.powi(halvings);
                beta = prev_beta
                    .iter()
                    .zip(prev_step)
                    .map(|(b, s)| b + f * s)
                    .collect();
                continue;
            }
        }
        halvings = 0;
        let score = if firth {
            pass(d, cols, &beta, Some(&inv)).score
        } else {
            plain.score
        };
        let step: Vec<f64> = (0..p)
            .map(|a| (0..p).map(|b| inv[[a, b]] * score[b]).sum())
            .collect();
        let biggest = step.iter().fold(0.0f64, |m, s| m.max(s.abs()));
        // An LR refit may stop early and report the quadratic model's
        // maximum, ll + ½ g'I⁻¹g (see `objective_tol`).
        let quick = !firth && opts.objective_tol.is_some_and(|t| biggest < t);
        let done = quick || biggest < opts.tol;
        if done || iterations >= opts.max_iter || !biggest.is_finite() {
            let converged = done;
            if done {
                for (b, s) in beta.iter_mut().zip(&step) {
                    *b += s;
                }
            }
            let log_likelihood = if quick {
                plain.ll + 0.5 * step.iter().zip(&score).map(|(s, g)| s * g).sum::<f64>()
            } else {
                plain.ll
            };
            return Ok(LogitFit {
                method: opts.method,
                cols: cols.to_vec(),
                beta,
                cov: inv,
                info,
                log_likelihood,
                penalized_log_likelihood: firth.then_some(objective),
                iterations,
                converged,
                last_step: biggest,
            });
        }
        iterations += 1;
        prev = Some((objective, beta.clone(), step.clone()));
        for (b, s) in beta.iter_mut().zip(&step) {
            *b += s;
        }
    }
}

/// Fitted probabilities of a fit.
pub fn predict(d: &Design, f: &LogitFit) -> Vec<f64> {
    let p = f.cols.len();
    (0..d.n)
        .into_par_iter()
        .with_min_len(CHUNK)
        .map(|i| {
            let mut eta = 0.0;
            for k in 0..p {
                eta += d.x[f.cols[k] * d.n + i] * f.beta[k];
            }
            sigmoid(eta)
        })
        .collect()
}

/// Average marginal effect of each non-intercept column (∂P/∂x averaged
/// over the sample) with its delta-method standard error, as
/// `statsmodels get_margeff(at="overall", method="dydx")`.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Margeff {
    pub effect: f64,
    pub std_error: f64,
}

pub fn marginal_effects(d: &Design, f: &LogitFit, mu: &[f64]) -> Vec<Margeff> {
    let p = f.cols.len();
    // mean w and mean w(1-2μ) x_k
    let zero = || (0.0, vec![0.0; p]);
    let (sw, swx) = (0..d.n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let (mut sw, mut swx) = zero();
            let lo = c * CHUNK;
            let hi = ((c + 1) * CHUNK).min(d.n);
            for (i, &m) in mu.iter().enumerate().take(hi).skip(lo) {
                let w = m * (1.0 - m);
                sw += w;
                let g = w * (1.0 - 2.0 * m);
                for (s, &col) in swx.iter_mut().zip(&f.cols) {
                    *s += g * d.x[col * d.n + i];
                }
            }
            (sw, swx)
        })
        .collect::<Vec<_>>()
        .into_iter()
        .fold(zero(), |mut a, b| {
            a.0 += b.0;
            a.1.iter_mut().zip(&b.1).for_each(|(x, y)| *x += y);
            a
        });
    let n = d.n as f64;
    let mw = sw / n;
    let mwx: Vec<f64> = swx.iter().map(|v| v / n).collect();
    (1..p)
        .map(|j| {
            // J_jk = δ_jk mean(w) + β_j mean(w(1−2μ) x_k)
            let jrow: Vec<f64> = (0..p)
                .map(|k| (if k == j { mw } else { 0.0 }) + f.beta[j] * mwx[k])
                .collect();
            let mut var = 0.0;
            for a in 0..p {
                for b in 0..p {
                    var += jrow[a] * f.cov[[a, b]] * jrow[b];
                }
            }
            Margeff {
                effect: f.beta[j] * mw,
                std_error: var.sqrt(),
            }
        })
        .collect()
}

/// Area under the ROC curve of scores against 0/1 outcomes (ties count ½),
/// as `sklearn.metrics.roc_auc_score`.
pub fn auc(scores: &[f64], y: &[f64]) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.par_sort_unstable_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let n1 = y.iter().filter(|v| **v > 0.5).count() as f64;
    let n0 = y.len() as f64 - n1;
    if n1 == 0.0 || n0 == 0.0 {
        return f64::NAN;
    }
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i + 1;
        while j < idx.len() && scores[idx[j]] == scores[idx[i]] {
            j += 1;
        }
        let avg = (i + 1 + j) as f64 / 2.0;
        let pos = idx[i..j].iter().filter(|&&k| y[k] > 0.5).count() as f64;
        rank_sum += avg * pos;
        i = j;
    }
    (rank_sum - n1 * (n1 + 1.0) / 2.0) / (n1 * n0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Design {
        // y depends on x with overlap.
        let xs = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
        let ys = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0];
        Design {
            n: 10,
            p: 2,
            x: [1.0; 10].iter().chain(&xs).copied().collect(),
            y: ys.to_vec(),
        }
    }

    #[test]
    fn score_is_zero_at_the_estimate() {
        let d = toy();
        let f = fit(&d, &[0, 1], &FitOptions::default()).unwrap();
        assert!(f.converged);
        let s = pass(&d, &[0, 1], &f.beta, None).score;
        assert!(s.iter().all(|v| v.abs() < 1e-9), "{s:?}");
        // Intercept-only fit reproduces the mean.
        let f0 = fit(&d, &[0], &FitOptions::default()).unwrap();
        assert!((sigmoid(f0.beta[0]) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn separated_data_does_not_converge_but_firth_does() {
        let mut d = toy();
        d.y = vec![0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        let ml = fit(
            &d,
            &[0, 1],
            &FitOptions {
                max_iter: 30,
                ..Default::default()
            },
        );
        let diverged = match ml {
            Ok(f) => !f.converged || f.beta[1].abs() > 10.0,
            Err(_) => true,
        };
        assert!(diverged);
        let fi = fit(
            &d,
            &[0, 1],
            &FitOptions {
                method: Method::Firth,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(fi.converged && fi.beta[1].is_finite() && fi.beta[1] > 0.0);
    }

    /// Stopping an LR refit early with the quadratic correction gives the
    /// maximised log-likelihood of the full Newton fit, in fewer passes.
    #[test]
    fn objective_only_refit_matches_the_full_fit() {
        let n = 20_000;
        let mut state = 11u64;
        let mut u = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut x1, mut x2, mut y) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..n {
            let (a, b) = (u() * 4.0 - 2.0, u());
            let p = 1.0 / (1.0 + (-(0.3 - 0.8 * a + 0.5 * b)).exp());
            x1.push(a);
            x2.push(b);
            y.push(if u() < p { 1.0 } else { 0.0 });
        }
        let d = Design {
            n,
            p: 3,
            x: vec![1.0; n].into_iter().chain(x1).chain(x2).collect(),
            y,
        };
        let best = fit(&d, &[0, 1, 2], &FitOptions::default()).unwrap();
        // A warm start near the optimum, as an LR refit's one-step start.
        let start = Some(best.beta.iter().map(|b| b + 2e-3).collect::<Vec<_>>());
        let full = fit(
            &d,
            &[0, 1, 2],
            &FitOptions {
                start: start.clone(),
                ..FitOptions::default()
            },
        )
        .unwrap();
        let quick = fit(
            &d,
            &[0, 1, 2],
            &FitOptions {
                start,
                objective_tol: Some(1e-5),
                ..FitOptions::default()
            },
        )
        .unwrap();
        assert!(quick.converged);
        assert!(quick.iterations < full.iterations);
        assert!((quick.log_likelihood - full.log_likelihood).abs() < 1e-9);
    }

    #[test]
    fn auc_of_perfect_and_useless_scores() {
        let y = [0.0, 0.0, 1.0, 1.0];
        assert_eq!(auc(&[0.1, 0.2, 0.3, 0.4], &y), 1.0);
        assert_eq!(auc(&[0.5, 0.5, 0.5, 0.5], &y), 0.5);
    }
}
