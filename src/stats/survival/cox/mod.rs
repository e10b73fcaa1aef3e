//! The Cox proportional-hazards model (lifelines `CoxPHFitter`,
//! statsmodels `PHReg`, R `coxph`): Newton–Raphson on the partial
//! likelihood with Efron or Breslow ties, strata (one baseline per stratum),
//! delayed entry, and Firth's penalty (R `coxphf`) for monotone likelihoods.
//!
//! One pass at a β sorts nothing ([`pass`]): the rows are ordered once per
//! fit and every sum is a running sum along that order. Columns are centred
//! and scaled while fitting, as lifelines does, and the estimates mapped back.

use ndarray::Array2;
use rayon::prelude::*;

mod batch;
mod counted;
mod pass;

pub use batch::fit_batch;
pub use counted::{pass_of_sums, upper, TimeSums};
pub use pass::{Pass, Prepared};

use super::{Subjects, Ties};
use crate::stats::linalg::{inverse_logdet, Singular};

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
    /// Only the maximised likelihood is wanted (an LR refit): stop once the
    /// largest Newton step (standardised scale) is below this and report
    /// l + ½ gᵀI⁻¹g, the quadratic model's maximum. I is the exact negative
    /// Hessian of the partial likelihood, so what is left is third order in
    /// the step (about n|step|³: < 1e-9 at 1e-5 and a million rows). The
    /// estimate and covariance are not final then. Not with Firth.
    pub objective_tol: Option<f64>,
}

impl Default for CoxParams {
    fn default() -> Self {
        CoxParams {
            ties: Ties::Efron,
            firth: false,
            max_iter: 100,
            objective_tol: None,
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

/// What a fit needs of its data: the columns' means and SDs (the fit runs
/// on the standardised columns) and a pass at β. The rows in memory
/// ([`Prepared`]) answer by running sums; an engine by per-time sums
/// ([`pass_of_sums`]).
pub trait CoxRows {
    fn means(&self) -> &[f64];
    fn sds(&self) -> &[f64];
    /// Log-likelihood, score and information at `beta` (standardised
    /// scale) on the columns `sel`; the event times too when `record`.
    fn pass(&self, sel: &[usize], beta: &[f64], ties: Ties, record: bool) -> Pass;
    /// The passes of several fits' next steps, in order (an engine answers
    /// them in one scan).
    fn passes(&self, asks: &[(&[usize], &[f64])], ties: Ties) -> Vec<Pass> {
        asks.iter()
            .map(|(sel, beta)| self.pass(sel, beta, ties, false))
            .collect()
    }
}

impl CoxRows for Prepared<'_> {
    fn means(&self) -> &[f64] {
        &self.means
    }
    fn sds(&self) -> &[f64] {
        &self.sds
    }
    fn pass(&self, sel: &[usize], beta: &[f64], ties: Ties, record: bool) -> Pass {
        pass::pass(self, sel, beta, ties, record)
    }
    /// Side by side: each pass's sweep is sequential.
    fn passes(&self, asks: &[(&[usize], &[f64])], ties: Ties) -> Vec<Pass> {
        asks.par_iter()
            .map(|(sel, beta)| pass::pass(self, sel, beta, ties, false))
            .collect()
    }
}

/// Fits the model on the columns `sel` of the prepared data.
///
/// # Errors
/// [`Singular`] when the information matrix cannot be inverted (collinear
/// or degenerate columns).
pub fn fit<R: CoxRows + ?Sized>(
    pr: &R,
    sel: &[usize],
    params: &CoxParams,
) -> Result<CoxFit, Singular> {
    fit_from(pr, sel, params, None)
}

/// [`fit`] started from `start` (coefficients of `sel` in the data's units,
/// e.g. the full model's for a refit without one driver) instead of 0: the
/// same optimum in fewer Newton steps.
///
/// # Errors
/// As [`fit`].
pub fn fit_from<R: CoxRows + ?Sized>(
    pr: &R,
    sel: &[usize],
    params: &CoxParams,
    start: Option<&[f64]>,
) -> Result<CoxFit, Singular> {
    fit_batch(pr, &[(sel, start)], params)
        .pop()
        .unwrap_or(Err(Singular))
}

/// Log partial likelihood at β = 0 (the null model; with Firth the penalty of
/// an empty model is 0).
pub fn null_log_lik<R: CoxRows + ?Sized>(pr: &R, ties: Ties) -> f64 {
    pr.pass(&[], &[], ties, false).ll
}

/// The score (log-rank) test of β = 0 on the columns `sel`: U(0)ᵀ I(0)⁻¹ U(0).
pub fn score_test<R: CoxRows + ?Sized>(pr: &R, sel: &[usize], ties: Ties) -> Option<f64> {
    let zero = vec![0.0; sel.len()];
    let ps = pr.pass(sel, &zero, ties, false);
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
pub fn event_times<R: CoxRows + ?Sized>(pr: &R, fit: &CoxFit) -> Vec<EventTime> {
    let beta_std: Vec<f64> = fit
        .beta
        .iter()
        .zip(&fit.cols)
        .map(|(b, &j)| b * pr.sds()[j])
        .collect();
    pr.pass(&fit.cols, &beta_std, fit.ties, true).times
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

#[cfg(test)]
mod tests {
    use super::*;

    /// An LR refit stopped at the quadratic model's maximum gives the same
    /// maximised likelihood as one run to convergence, one pass sooner.
    /// `n` subjects with three covariates and a hazard from them, censored at 24.
    fn sample(n: usize) -> (Vec<Vec<f64>>, Vec<f64>, Vec<bool>) {
        let mut seed = 11u64;
        let mut unif = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let x: Vec<Vec<f64>> = (0..3)
            .map(|_| (0..n).map(|_| unif() * 2.0).collect())
            .collect();
        let (mut exit, mut event) = (Vec::new(), Vec::new());
        for ((a, b), c) in x[0].iter().zip(&x[1]).zip(&x[2]) {
            let risk = (0.7 * a - 0.4 * b + 0.2 * c).exp();
            let t = (-unif().ln() / risk * 10.0).ceil();
            exit.push(t.min(24.0));
            event.push(t < 24.0);
        }
        (x, exit, event)
    }

    /// The Cox data of a sample.
    fn data_of<'a>(x: &'a [Vec<f64>], exit: &'a [f64], event: &'a [bool]) -> CoxData<'a> {
        CoxData {
            subjects: Subjects {
                entry: None,
                exit,
                event,
            },
            columns: x.iter().map(|c| c.as_slice()).collect(),
            strata: None,
        }
    }

    /// The fit is the same to the bit however many threads run it (the
    /// information matrix is summed over many chunks here).
    #[test]
    fn the_fit_does_not_depend_on_the_threads() {
        let (x, exit, event) = sample(60_000);
        let data = data_of(&x, &exit, &event);
        let bits = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            pool.install(|| {
                let pr = Prepared::new(&data);
                let f = fit(&pr, &[0, 1, 2], &CoxParams::default()).expect("fit");
                f.beta
                    .iter()
                    .chain(&f.cov)
                    .map(|v| v.to_bits())
                    .collect::<Vec<u64>>()
            })
        };
        let one = bits(1);
        for threads in [2, 3, 4] {
            assert_eq!(bits(threads), one, "{threads} threads");
        }
    }

    #[test]
    fn quick_refit_reaches_the_same_likelihood() {
        let (x, exit, event) = sample(3000);
        let data = data_of(&x, &exit, &event);
        let pr = Prepared::new(&data);
        let full = fit(&pr, &[0, 1, 2], &CoxParams::default()).expect("full");
        let start = [full.beta[0], full.beta[2]];
        let exact = fit_from(&pr, &[0, 2], &CoxParams::default(), Some(&start)).expect("exact");
        let quick = CoxParams {
            objective_tol: Some(1e-5),
            ..Default::default()
        };
        let fast = fit_from(&pr, &[0, 2], &quick, Some(&start)).expect("quick");
        let diff = (exact.objective() - fast.objective()).abs();
        assert!(diff < 1e-9 * exact.objective().abs(), "{diff}");
        // The quick fit's last iteration costs no pass (the exact one's does).
        assert!(
            fast.iterations <= exact.iterations,
            "{} vs {}",
            fast.iterations,
            exact.iterations
        );
    }
}
