//! Newton–Raphson for the logistic model (and Firth's penalised variant),
//! written as a small state machine per fit so that many fits (a model and
//! all its likelihood-ratio refits) advance together, each round asking its
//! rows for every fit's next pass at once: on a SQL engine one round is one
//! read of the table. A fit on its own ([`fit`]) takes exactly the steps it
//! would take in a batch.

use ndarray::Array2;

use super::pass::{Ask, Pass, Rows};
use super::{FitFailure, LogitFit, Method};
use crate::stats::linalg::{info_matrix, inverse_logdet};

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

/// Fits the model on the columns `cols` of `rows` (`cols[0]` should be the
/// intercept).
///
/// Newton steps are halved (up to 20 times) whenever they would lower the
/// (penalised) log-likelihood, so a fit never moves away from the optimum.
///
/// # Errors
/// [`FitFailure::Singular`] for a singular information matrix;
/// [`FitFailure::Source`] when the rows cannot be read.
pub fn fit<R: Rows + ?Sized>(
    rows: &R,
    cols: &[usize],
    opts: &FitOptions,
) -> Result<LogitFit, FitFailure> {
    let mut all = fit_all(rows, &[(cols.to_vec(), opts.clone())])?;
    all.pop().unwrap_or(Err(FitFailure::Singular))
}

/// Fits every `(cols, options)` model on `rows` together: each round asks
/// for the next pass of every fit still running. The result of each fit is
/// what [`fit`] alone gives.
///
/// # Errors
/// [`FitFailure::Source`] when the rows cannot be read (a singular fit is
/// that fit's own `Err`).
pub fn fit_all<R: Rows + ?Sized>(
    rows: &R,
    specs: &[(Vec<usize>, FitOptions)],
) -> Result<Vec<Result<LogitFit, FitFailure>>, FitFailure> {
    let ybar = rows.events() / rows.n() as f64;
    let mut fits: Vec<Newton> = specs
        .iter()
        .map(|(cols, opts)| Newton::new(cols, opts, ybar))
        .collect();
    loop {
        let running: Vec<usize> = (0..fits.len())
            .filter(|&k| fits[k].result.is_none())
            .collect();
        if running.is_empty() {
            break;
        }
        let asks: Vec<Ask> = running.iter().map(|&k| fits[k].ask()).collect();
        let passes = rows.passes(&asks)?;
        drop(asks);
        for (k, pass) in running.into_iter().zip(passes) {
            fits[k].feed(pass);
        }
    }
    Ok(fits
        .into_iter()
        .map(|f| f.result.unwrap_or(Err(FitFailure::Singular)))
        .collect())
}

/// The pass a fit waits for.
enum Want {
    /// The plain pass at β: log-likelihood, score, information.
    Plain,
    /// Firth's modified score at β, after the plain pass gave these.
    FirthScore {
        ll: f64,
        info: Array2<f64>,
        inv: Array2<f64>,
        objective: f64,
    },
}

/// One fit in progress.
struct Newton<'a> {
    cols: &'a [usize],
    opts: &'a FitOptions,
    firth: bool,
    beta: Vec<f64>,
    /// The last accepted iterate: (objective, β, step).
    prev: Option<(f64, Vec<f64>, Vec<f64>)>,
    iterations: usize,
    halvings: i32,
    want: Want,
    result: Option<Result<LogitFit, FitFailure>>,
}

impl<'a> Newton<'a> {
    fn new(cols: &'a [usize], opts: &'a FitOptions, ybar: f64) -> Self {
        let p = cols.len();
        let beta = opts.start.clone().unwrap_or_else(|| {
            let mut b = vec![0.0; p];
            if !b.is_empty() && ybar > 0.0 && ybar < 1.0 {
                b[0] = (ybar / (1.0 - ybar)).ln();
            }
            b
        });
        Newton {
            cols,
            opts,
            firth: opts.method == Method::Firth,
            beta,
            prev: None,
            iterations: 0,
            halvings: 0,
            want: Want::Plain,
            result: None,
        }
    }

    fn ask(&self) -> Ask<'_> {
        Ask {
            cols: self.cols,
            beta: &self.beta,
            hinv: match &self.want {
                Want::Plain => None,
                Want::FirthScore { inv, .. } => Some(inv),
            },
        }
    }

    fn feed(&mut self, pass: Pass) {
        match std::mem::replace(&mut self.want, Want::Plain) {
            Want::Plain => self.plain(pass),
            Want::FirthScore {
                ll,
                info,
                inv,
                objective,
            } => self.step(ll, info, inv, objective, pass.score),
        }
    }

    /// The plain pass at β: back off if worse, else take the step (after
    /// Firth's score pass for a Firth fit).
    fn plain(&mut self, plain: Pass) {
        let p = self.cols.len();
        let info = info_matrix(p, &plain.info);
        let (inv, logdet) = match inverse_logdet(&info) {
            Ok(x) => x,
            Err(e) => {
                self.result = Some(Err(e.into()));
                return;
            }
        };
        let objective = if self.firth {
            plain.ll + 0.5 * logdet
        } else {
            plain.ll
        };
        // Step-halving: back off towards the previous estimate if worse.
        if let Some((prev_obj, prev_beta, prev_step)) = &self.prev {
            if objective < *prev_obj - 1e-12 * prev_obj.abs().max(1.0) && self.halvings < 20 {
                self.halvings += 1;
                let f = 0.5f64.powi(self.halvings);
                self.beta = prev_beta
                    .iter()
                    .zip(prev_step)
                    .map(|(b, s)| b + f * s)
                    .collect();
                return;
            }
        }
        self.halvings = 0;
        if self.firth {
            self.want = Want::FirthScore {
                ll: plain.ll,
                info,
                inv,
                objective,
            };
        } else {
            self.step(plain.ll, info, inv, objective, plain.score);
        }
    }

    /// The Newton step from the score: finish, or move on.
    fn step(
        &mut self,
        ll: f64,
        info: Array2<f64>,
        inv: Array2<f64>,
        objective: f64,
        score: Vec<f64>,
    ) {
        let p = self.cols.len();
        let opts = self.opts;
        let step: Vec<f64> = (0..p)
            .map(|a| (0..p).map(|b| inv[[a, b]] * score[b]).sum())
            .collect();
        let biggest = step.iter().fold(0.0f64, |m, s| m.max(s.abs()));
        // An LR refit may stop early and report the quadratic model's
        // maximum, ll + ½ g'I⁻¹g (see `objective_tol`).
        let quick = !self.firth && opts.objective_tol.is_some_and(|t| biggest < t);
        let done = quick || biggest < opts.tol;
        if done || self.iterations >= opts.max_iter || !biggest.is_finite() {
            let mut beta = std::mem::take(&mut self.beta);
            if done {
                for (b, s) in beta.iter_mut().zip(&step) {
                    *b += s;
                }
            }
            let log_likelihood = if quick {
                ll + 0.5 * step.iter().zip(&score).map(|(s, g)| s * g).sum::<f64>()
            } else {
                ll
            };
            self.result = Some(Ok(LogitFit {
                method: opts.method,
                cols: self.cols.to_vec(),
                beta,
                cov: inv,
                info,
                log_likelihood,
                penalized_log_likelihood: self.firth.then_some(objective),
                iterations: self.iterations,
                converged: done,
                last_step: biggest,
            }));
            return;
        }
        self.iterations += 1;
        self.prev = Some((objective, self.beta.clone(), step.clone()));
        for (b, s) in self.beta.iter_mut().zip(&step) {
            *b += s;
        }
    }
}
