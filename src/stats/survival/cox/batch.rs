//! Newton–Raphson on the partial likelihood for several fits in lockstep:
//! each round every unfinished fit asks for the passes it needs next (its
//! first pass, Firth's 2p gradient passes, or one line-search trial), and
//! the rows answer them together ([`CoxRows::passes`]: side by side in
//! memory, in one scan on an engine). A fit takes exactly the steps it
//! would take alone; one fit is [`super::fit_from`].

use ndarray::Array2;

use super::{CoxFit, CoxParams, CoxRows, Pass};
use crate::stats::linalg::{inverse_logdet, Singular};

/// The step of Firth's gradient by central differences.
const H: f64 = 1e-5;
/// Halvings of a Newton step before the fit stops where it is.
const HALVINGS: usize = 40;

/// Where a fit stands.
enum State {
    /// Its first pass is due.
    Start,
    /// Firth's gradient passes are due (an iteration has begun).
    Gradient,
    /// A trial at `beta + scale · step` is due.
    Trial {
        scale: f64,
        tries: usize,
    },
    Done,
}

/// One fit under way.
struct Run<'a> {
    sel: &'a [usize],
    beta: Vec<f64>,
    cur: Option<Pass>,
    inv: Array2<f64>,
    logdet: f64,
    obj: f64,
    step: Vec<f64>,
    converged: bool,
    iterations: usize,
    state: State,
    failed: Option<Singular>,
}

impl Run<'_> {
    /// The coefficients whose passes are due, in order.
    fn asks(&self) -> Vec<Vec<f64>> {
        match self.state {
            State::Start => vec![self.beta.clone()],
            State::Gradient => (0..self.beta.len())
                .flat_map(|j| {
                    let mut up = self.beta.clone();
                    up[j] = self.beta[j] + H;
                    let mut down = self.beta.clone();
                    down[j] = self.beta[j] - H;
                    [up, down]
                })
                .collect(),
            State::Trial { scale, .. } => vec![self
                .beta
                .iter()
                .zip(&self.step)
                .map(|(b, s)| b + scale * s)
                .collect()],
            State::Done => Vec::new(),
        }
    }

    fn objective(&self, ps: &Pass, logdet: f64, params: &CoxParams) -> f64 {
        if params.firth {
            ps.ll + 0.5 * logdet
        } else {
            ps.ll
        }
    }

    fn fail(&mut self, e: Singular) {
        self.failed = Some(e);
        self.state = State::Done;
    }

    /// Begins the next iteration, or ends the fit.
    fn next_iteration(&mut self, params: &CoxParams) {
        if self.converged || self.iterations >= params.max_iter {
            self.state = State::Done;
            return;
        }
        self.iterations += 1;
        if params.firth {
            self.state = State::Gradient;
        } else {
            let u = self.cur.as_ref().map_or_else(Vec::new, |c| c.score.clone());
            self.take_step(u, params);
        }
    }

    /// The Newton step along `u`, or the end of a quick refit.
    fn take_step(&mut self, u: Vec<f64>, params: &CoxParams) {
        let p = self.beta.len();
        self.step = (0..p)
            .map(|a| (0..p).map(|b| self.inv[[a, b]] * u[b]).sum())
            .collect();
        if let Some(tol) = params.objective_tol.filter(|_| !params.firth) {
            if self.step.iter().all(|s| s.abs() < tol) {
                let gain: f64 = 0.5 * u.iter().zip(&self.step).map(|(g, s)| g * s).sum::<f64>();
                if let Some(c) = self.cur.as_mut() {
                    c.ll += gain.max(0.0);
                }
                self.converged = true;
                self.state = State::Done;
                return;
            }
        }
        self.state = State::Trial {
            scale: 1.0,
            tries: 0,
        };
    }

    /// Takes the answers to [`Run::asks`].
    fn feed(&mut self, mut passes: Vec<Pass>, params: &CoxParams) {
        match self.state {
            State::Start => {
                let Some(cur) = passes.pop() else { return };
                let p = self.beta.len();
                let (inv, logdet) = if p > 0 {
                    match inverse_logdet(&cur.info) {
                        Ok(x) => x,
                        Err(e) => return self.fail(e),
                    }
                } else {
                    (Array2::zeros((0, 0)), 0.0)
                };
                self.obj = self.objective(&cur, logdet, params);
                (self.inv, self.logdet, self.cur) = (inv, logdet, Some(cur));
                self.converged = p == 0;
                self.next_iteration(params);
            }
            State::Gradient => {
                let mut g = Vec::with_capacity(self.beta.len());
                for pair in passes.chunks(2) {
                    let (Some(up), Some(down)) = (pair.first(), pair.get(1)) else {
                        return;
                    };
                    match (inverse_logdet(&up.info), inverse_logdet(&down.info)) {
                        (Ok(u), Ok(d)) => g.push(0.25 * (u.1 - d.1) / H),
                        (Err(e), _) | (_, Err(e)) => return self.fail(e),
                    }
                }
                let mut u = self.cur.as_ref().map_or_else(Vec::new, |c| c.score.clone());
                u.iter_mut().zip(&g).for_each(|(a, b)| *a += b);
                self.take_step(u, params);
            }
            State::Trial { scale, tries } => {
                let Some(next) = passes.pop() else { return };
                if let Ok((ni, nl)) = inverse_logdet(&next.info) {
                    let nobj = self.objective(&next, nl, params);
                    if nobj.is_finite() && nobj >= self.obj - 1e-12 * self.obj.abs().max(1.0) {
                        let change = self
                            .step
                            .iter()
                            .map(|s| (scale * s).abs())
                            .fold(0.0, f64::max);
                        let gain = nobj - self.obj;
                        self.beta = self
                            .beta
                            .iter()
                            .zip(&self.step)
                            .map(|(b, s)| b + scale * s)
                            .collect();
                        (self.cur, self.inv, self.logdet, self.obj) = (Some(next), ni, nl, nobj);
                        self.converged = change < 1e-10
                            || (gain.abs() < 1e-13 * nobj.abs().max(1.0) && change < 1e-7);
                        return self.next_iteration(params);
                    }
                }
                if tries + 1 < HALVINGS {
                    self.state = State::Trial {
                        scale: scale * 0.5,
                        tries: tries + 1,
                    };
                } else {
                    // No step improves the objective: at the optimum to rounding.
                    self.converged = true;
                    self.state = State::Done;
                }
            }
            State::Done => {}
        }
    }

    /// The fit, in the data's units.
    fn finish(self, sds_all: &[f64], params: &CoxParams) -> Result<CoxFit, Singular> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let p = self.beta.len();
        let sds: Vec<f64> = self.sel.iter().map(|&j| sds_all[j]).collect();
        let max_std_beta = self.beta.iter().map(|b| b.abs()).fold(0.0, f64::max);
        let beta: Vec<f64> = self.beta.iter().zip(&sds).map(|(b, s)| b / s).collect();
        let mut cov = self.inv;
        for a in 0..p {
            for b in 0..p {
                cov[[a, b]] /= sds[a] * sds[b];
            }
        }
        let ll = self.cur.map_or(f64::NAN, |c| c.ll);
        // I on the standardised scale is D⁻¹ I D⁻¹ (D = diag(sd)), so ½ log det I = ½ log det I_std + Σ log sd.
        let log_sd: f64 = sds.iter().map(|s| s.ln()).sum();
        Ok(CoxFit {
            ties: params.ties,
            firth: params.firth,
            cols: self.sel.to_vec(),
            beta,
            cov,
            log_lik: ll,
            penalized_log_lik: params.firth.then_some(ll + 0.5 * self.logdet + log_sd),
            iterations: self.iterations,
            converged: self.converged,
            max_std_beta,
        })
    }
}

/// Fits each of `fits` (its columns, and its start in the data's units or
/// 0) with `params`, all in lockstep: one round of passes answered
/// together per step.
pub fn fit_batch<R: CoxRows + ?Sized>(
    rows: &R,
    fits: &[(&[usize], Option<&[f64]>)],
    params: &CoxParams,
) -> Vec<Result<CoxFit, Singular>> {
    let sds = rows.sds();
    let mut runs: Vec<Run> = fits
        .iter()
        .map(|&(sel, start)| Run {
            sel,
            beta: match start {
                Some(b) => b.iter().zip(sel).map(|(b, &j)| b * sds[j]).collect(),
                None => vec![0.0; sel.len()],
            },
            cur: None,
            inv: Array2::zeros((0, 0)),
            logdet: 0.0,
            obj: f64::NAN,
            step: Vec::new(),
            converged: false,
            iterations: 0,
            state: State::Start,
            failed: None,
        })
        .collect();
    loop {
        let asks: Vec<Vec<Vec<f64>>> = runs.iter().map(Run::asks).collect();
        if asks.iter().all(Vec::is_empty) {
            break;
        }
        let flat: Vec<(&[usize], &[f64])> = runs
            .iter()
            .zip(&asks)
            .flat_map(|(r, a)| a.iter().map(move |b| (r.sel, b.as_slice())))
            .collect();
        let mut answers = rows.passes(&flat, params.ties).into_iter();
        for (run, a) in runs.iter_mut().zip(&asks) {
            if a.is_empty() {
                continue;
            }
            let mine: Vec<Pass> = answers.by_ref().take(a.len()).collect();
            if mine.len() < a.len() {
                // Rows that answer short: the fit cannot go on.
                run.fail(Singular);
                continue;
            }
            run.feed(mine, params);
        }
    }
    runs.into_iter().map(|r| r.finish(sds, params)).collect()
}
