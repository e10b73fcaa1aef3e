//! Separation: a driver (or a combination) that predicts churn perfectly
//! makes maximum-likelihood estimates run off to infinity. Single-term
//! separation is found directly and explained in plain words; the model then
//! falls back to Firth's penalised likelihood (Firth 1993; Heinze & Schemper
//! 2002).

use serde::Serialize;

use super::design::{DriverInfo, Term};
use super::rows::{ModelRows, Ranges};
use crate::stats::logit::{self, FitFailure, FitOptions, LogitFit, Method};

/// Separation found in the data and what was done about it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Separation {
    /// Drivers (columns) responsible.
    pub drivers: Vec<String>,
    /// Plain-words explanation.
    pub message: String,
    /// Whether maximum likelihood converged before the fallback.
    pub ml_converged: bool,
}

/// Looks for (quasi-)complete separation by a single term: all churned
/// accounts on one side of a threshold and all retained on the other.
/// Returns a plain-words explanation per separating term.
pub fn single_term_separation<D: DriverInfo>(
    ranges: &[Ranges],
    kept: &[usize],
    terms: &[Term],
    drivers: &[D],
) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (&j, r) in kept.iter().zip(ranges) {
        let (min1, max1, min0, max0) =
            (r.min_churned, r.max_churned, r.min_retained, r.max_retained);
        let term = &terms[j - 1];
        let label = drivers[term.driver].config().display_label();
        let msg = if term.dummy {
            let lev = term.level.as_deref().unwrap_or_default();
            let n_lev = r.ones;
            if max1 <= min0 {
                Some(format!(
                    "none of the {n_lev} accounts with {label} = {lev} churned, so its odds ratio is zero and the maximum-likelihood estimate runs off to minus infinity"
                ))
            } else if max0 <= min1 {
                Some(format!(
                    "all {n_lev} accounts with {label} = {lev} churned, so its odds ratio is infinite under maximum likelihood"
                ))
            } else {
                None
            }
        } else if max1 <= min0 {
            let kind = if max1 < min0 {
                "completely"
            } else {
                "quasi-completely"
            };
            Some(format!(
                "{label} separates churn {kind}: every churned account has {label} ≤ {} and every retained account ≥ {}",
                crate::format::rounded(max1),
                crate::format::rounded(min0)
            ))
        } else if max0 <= min1 {
            let kind = if max0 < min1 {
                "completely"
            } else {
                "quasi-completely"
            };
            Some(format!(
                "{label} separates churn {kind}: every retained account has {label} ≤ {} and every churned account ≥ {}",
                crate::format::rounded(max0),
                crate::format::rounded(min1)
            ))
        } else {
            None
        };
        if let Some(m) = msg {
            out.push((j, m));
        }
    }
    out
}

/// Fits the model on the design columns `cols` (intercept first) by maximum
/// likelihood and, when the data separate (a single-term separator in
/// `single`, or estimates that diverge on the standardised scale), by
/// Firth's penalised likelihood instead, naming the culprits.
///
/// # Errors
/// [`crate::error::Error::Analysis`] when the information matrix is singular for
/// both fits.
pub fn fit_with_fallback<R: ModelRows + ?Sized, D: DriverInfo>(
    design: &R,
    cols: &[usize],
    cov: &[Vec<f64>],
    terms: &[Term],
    drivers: &[D],
    single: Vec<(usize, String)>,
) -> crate::error::Result<(LogitFit, Option<Separation>)> {
    let analysis_err = |m: String| crate::error::Error::Analysis {
        analysis: "multivariable model",
        message: m,
    };
    // Maximum likelihood first.
    let ml = match logit::fit(
        design,
        cols,
        &FitOptions {
            max_iter: 50,
            ..Default::default()
        },
    ) {
        Err(FitFailure::Source(e)) => return Err(*e),
        r => r,
    };
    let sd_of = |j: usize| cov[j][j].sqrt();
    let diverged = |f: &LogitFit| {
        let se = f.std_errors();
        !f.converged
            || f.beta.iter().any(|b| !b.is_finite())
            || cols.iter().enumerate().skip(1).any(|(k, &j)| {
                let s = sd_of(j);
                (f.beta[k] * s).abs() > 15.0 || se[k] * s > 5.0
            })
    };
    let ml_ok = matches!(&ml, Ok(f) if !diverged(f));
    if ml_ok && single.is_empty() {
        return Ok((
            ml.map_err(|_| analysis_err("singular information matrix".into()))?,
            None,
        ));
    }
    // Name the culprits: single-term separators, else the terms whose
    // standardised estimates or errors blew up.
    let mut culprits: Vec<usize> = single.iter().map(|(j, _)| *j).collect();
    let mut why: Vec<String> = single.into_iter().map(|(_, m)| m).collect();
    if culprits.is_empty() {
        if let Ok(f) = &ml {
            let se = f.std_errors();
            let mut worst: Vec<(f64, usize)> = cols
                .iter()
                .enumerate()
                .skip(1)
                .map(|(k, &j)| ((f.beta[k] * sd_of(j)).abs().max(se[k] * sd_of(j)), j))
                .collect();
            worst.sort_by(|a, b| b.0.total_cmp(&a.0));
            culprits = worst.iter().take(1).map(|x| x.1).collect();
        }
        why.push(
            "a combination of drivers predicts churn (almost) perfectly: maximum likelihood did not converge to finite estimates".into(),
        );
    }
    let mut names: Vec<String> = culprits
        .iter()
        .map(|&j| drivers[terms[j - 1].driver].config().column.clone())
        .collect();
    names.dedup();
    let firth = logit::fit(
        design,
        cols,
        &FitOptions {
            method: Method::Firth,
            max_iter: 200,
            ..Default::default()
        },
    )
    .map_err(|e| match e {
        FitFailure::Source(e) => *e,
        FitFailure::Singular => analysis_err(format!(
            "separation ({}) and Firth's fit failed too: the information matrix is singular",
            why.join("; ")
        )),
    })?;
    let separation = Separation {
        drivers: names,
        message: format!(
            "{}. Maximum-likelihood estimates would be meaningless (infinite odds ratios, huge standard errors), so the model uses Firth's bias-reduced logistic regression, which gives finite estimates; read the separating driver as 'very strong', not its exact size.",
            why.join("; ")
        ),
        ml_converged: matches!(&ml, Ok(f) if f.converged),
    };
    Ok((firth, Some(separation)))
}
