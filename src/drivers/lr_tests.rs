//! Per-driver likelihood-ratio tests: refit the model without all of one
//! driver's terms and compare log-likelihoods (penalised ones for Firth fits,
//! Heinze & Schemper 2002), LR = 2 (ℓ_full − ℓ_reduced) on as many df as the
//! driver has terms. Each refit starts from a one-step approximation of the
//! reduced estimate, so it needs one to three Newton passes.

use super::design::{spd_solve, Term};
use crate::stats::dist::chi2_sf;
use crate::stats::logit::{self, FitFailure, FitOptions, LogitFit, Rows};

/// Per-driver LR test (drop all of the driver's terms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LrTest {
    pub statistic: f64,
    pub df: usize,
    pub p_value: f64,
}

/// The LR test of each of `n_drivers` drivers against the full `fit` on the
/// design columns `cols` (intercept first); `None` for a driver with no term
/// in the model or whose reduced fit fails.
///
/// The refits run together ([`logit::fit_all`]): on an engine each round
/// of Newton steps is one read of the table, whatever the number of drivers.
///
/// # Errors
/// The rows' own error when they cannot be read.
pub fn lr_tests<R: Rows + ?Sized>(
    rows: &R,
    cols: &[usize],
    terms: &[Term],
    fit: &LogitFit,
    n_drivers: usize,
) -> crate::error::Result<Vec<Option<LrTest>>> {
    let k = cols.len();
    let mut lr = vec![None; n_drivers];
    // Per refit: the driver and its terms (df); the refit's columns and options.
    let mut tested: Vec<(usize, usize)> = Vec::new();
    let mut specs: Vec<(Vec<usize>, FitOptions)> = Vec::new();
    for kd in 0..n_drivers {
        let mine: Vec<usize> = (1..k)
            .filter(|&pos| terms[cols[pos] - 1].driver == kd)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let keep_pos: Vec<usize> = (0..k).filter(|p| !mine.contains(p)).collect();
        let sub_cols: Vec<usize> = keep_pos.iter().map(|&p| cols[p]).collect();
        // One-step approximation of the reduced estimate from the full fit's
        // information: β_k + I_kk⁻¹ I_kd β_d. It starts Newton close enough
        // to save an iteration or two per refit.
        let i_kk: Vec<Vec<f64>> = keep_pos
            .iter()
            .map(|&a| keep_pos.iter().map(|&b| fit.info[[a, b]]).collect())
            .collect();
        let rhs: Vec<f64> = keep_pos
            .iter()
            .map(|&a| mine.iter().map(|&d| fit.info[[a, d]] * fit.beta[d]).sum())
            .collect();
        let shift = spd_solve(&i_kk, &rhs).unwrap_or_else(|| vec![0.0; keep_pos.len()]);
        let start: Vec<f64> = keep_pos
            .iter()
            .zip(&shift)
            .map(|(&p, s)| fit.beta[p] + s)
            .collect();
        let opts = FitOptions {
            method: fit.method,
            start: Some(start),
            max_iter: 200,
            objective_tol: Some(1e-5),
            ..Default::default()
        };
        tested.push((kd, mine.len()));
        specs.push((sub_cols, opts));
    }
    let source = |e: FitFailure| e.into_error("likelihood-ratio tests");
    let mut reduced: Vec<Option<LogitFit>> = logit::fit_all(rows, &specs)
        .map_err(source)?
        .into_iter()
        .map(|r| r.ok().filter(|r| r.converged))
        .collect();
    // A warm start from far-out estimates (separation) can fail where a
    // cold start does not.
    let again: Vec<usize> = (0..specs.len()).filter(|&i| reduced[i].is_none()).collect();
    if !again.is_empty() {
        let cold: Vec<(Vec<usize>, FitOptions)> = again
            .iter()
            .map(|&i| {
                let (cols, opts) = &specs[i];
                let cold = FitOptions {
                    start: None,
                    ..opts.clone()
                };
                (cols.clone(), cold)
            })
            .collect();
        for (&i, r) in again
            .iter()
            .zip(logit::fit_all(rows, &cold).map_err(source)?)
        {
            reduced[i] = r.ok();
        }
    }
    for (&(kd, df), r) in tested.iter().zip(reduced) {
        if let Some(r) = r {
            let stat = (2.0 * (fit.objective() - r.objective())).max(0.0);
            lr[kd] = Some(LrTest {
                statistic: stat,
                df,
                p_value: chi2_sf(stat, df as f64),
            });
        }
    }
    Ok(lr)
}
