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

mod newton;
mod pass;

pub use newton::{fit, fit_all, FitOptions};
use pass::CHUNK;
pub use pass::{Ask, Pass, Rows};

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
#[derive(Debug)]
pub enum FitFailure {
    /// The information matrix is singular (collinear or degenerate columns).
    Singular,
    /// The rows could not be read (an engine's error).
    Source(Box<crate::error::Error>),
}

impl FitFailure {
    /// The library's error: the source's own, or a singular fit of `analysis`.
    pub fn into_error(self, analysis: &'static str) -> crate::error::Error {
        match self {
            FitFailure::Source(e) => *e,
            FitFailure::Singular => crate::error::Error::Analysis {
                analysis,
                message: "the information matrix is singular (collinear or degenerate columns)"
                    .into(),
            },
        }
    }
}

impl From<super::linalg::Singular> for FitFailure {
    fn from(_: super::linalg::Singular) -> Self {
        FitFailure::Singular
    }
}

/// The logistic function 1 / (1 + e^−η), the inverse of the logit link: the
/// crate's one sigmoid (predictions, counterfactual scoring, the demo
/// generator). It needs no branch: for very negative η, e^−η overflows to ∞
/// and the result is 0, as it should be.
pub fn sigmoid(eta: f64) -> f64 {
    1.0 / (1.0 + (-eta).exp())
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
    let (sw, swx) = margin_sums(d, f, mu);
    margins(f, d.n, sw, &swx)
}

/// Σ w and Σ w(1 − 2μ)·x over the rows for each column of `f` (w = μ(1 − μ)).
pub fn margin_sums(d: &Design, f: &LogitFit, mu: &[f64]) -> (f64, Vec<f64>) {
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
    (sw, swx)
}

/// The average marginal effects of `f` from the sums over its `n` rows of
/// w = μ(1 − μ) (`sw`) and of w(1 − 2μ)·x for each column used (`swx`).
pub fn margins(f: &LogitFit, n: usize, sw: f64, swx: &[f64]) -> Vec<Margeff> {
    let p = f.cols.len();
    let n = n as f64;
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
    auc_of_rank_sum(rank_sum, n1, n0)
}

/// The AUC from the churned rows' mid-rank sum among all rows (Mann–Whitney
/// U over n1·n0); NaN without both classes.
pub fn auc_of_rank_sum(rank_sum: f64, n1: f64, n0: f64) -> f64 {
    if n1 == 0.0 || n0 == 0.0 {
        return f64::NAN;
    }
    (rank_sum - n1 * (n1 + 1.0) / 2.0) / (n1 * n0)
}

#[cfg(test)]
mod tests {
    use super::pass::pass;
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
