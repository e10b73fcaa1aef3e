//! Ordinary least squares for continuous outcomes (NPS, net revenue change):
//! the fit from `linfa-linear`, the inference as `statsmodels OLS`
//! (classical SEs, t, p, t-based 95 % CI, R², adjusted R², overall F-test).

use linfa::prelude::*;
use linfa::Dataset;
use linfa_linalg::cholesky::InverseC;
use linfa_linear::LinearRegression;
use ndarray::{Array1, Array2};
use serde::Serialize;

use super::dist;

/// One coefficient row.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OlsTerm {
    pub term: String,
    pub estimate: f64,
    pub std_error: f64,
    pub t: f64,
    pub p_value: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// A fitted OLS model with its inference.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OlsFit {
    pub n: usize,
    pub df_model: usize,
    pub df_resid: usize,
    pub r_squared: f64,
    pub adj_r_squared: f64,
    pub f_statistic: f64,
    pub f_p_value: f64,
    /// Residual standard error.
    pub sigma: f64,
    pub log_likelihood: f64,
    pub aic: f64,
    pub bic: f64,
    pub coefficients: Vec<OlsTerm>,
}

/// Fits `y` on the columns of `x` (no intercept column: one is added and
/// reported first as `Intercept`). `None` when the problem is degenerate
/// (fewer rows than parameters + 1, or a singular X'X).
pub fn ols(x: Array2<f64>, y: Array1<f64>, names: &[String]) -> Option<OlsFit> {
    let (n, k) = x.dim();
    let p = k + 1;
    if n <= p {
        return None;
    }
    // X'X with the intercept, for the covariance.
    let mut xd = Array2::ones((n, p));
    for (mut row, src) in xd.rows_mut().into_iter().zip(x.rows()) {
        for (j, v) in src.iter().enumerate() {
            row[j + 1] = *v;
        }
    }
    let xtx_inv = xd.t().dot(&xd).invc().ok()?;
    let data = Dataset::new(x, y.clone());
    let model = LinearRegression::new().fit(&data).ok()?;
    let mut beta = vec![model.intercept()];
    beta.extend(model.params().iter().copied());
    let fitted = xd.dot(&Array1::from(beta.clone()));
    let rss: f64 = y.iter().zip(&fitted).map(|(a, b)| (a - b) * (a - b)).sum();
    let ybar = y.mean()?;
    let tss: f64 = y.iter().map(|v| (v - ybar) * (v - ybar)).sum();
    let df_resid = n - p;
    let s2 = rss / df_resid as f64;
    let tcrit = dist::t_ppf(0.975, df_resid as f64);
    let coefficients = (0..p)
        .map(|j| {
            let se = (s2 * xtx_inv[[j, j]]).sqrt();
            let t = beta[j] / se;
            OlsTerm {
                term: if j == 0 {
                    "Intercept".to_string()
                } else {
                    names.get(j - 1).cloned().unwrap_or_default()
                },
                estimate: beta[j],
                std_error: se,
                t,
                p_value: dist::t_two_sided(t, df_resid as f64),
                ci_low: beta[j] - tcrit * se,
                ci_high: beta[j] + tcrit * se,
            }
        })
        .collect();
    let r2 = 1.0 - rss / tss;
    let nf = n as f64;
    let f = ((tss - rss) / k as f64) / s2;
    let ll = -nf / 2.0 * ((2.0 * std::f64::consts::PI).ln() + (rss / nf).ln() + 1.0);
    Some(OlsFit {
        n,
        df_model: k,
        df_resid,
        r_squared: r2,
        adj_r_squared: 1.0 - (1.0 - r2) * (nf - 1.0) / df_resid as f64,
        f_statistic: f,
        f_p_value: dist::f_sf(f, k as f64, df_resid as f64),
        sigma: s2.sqrt(),
        log_likelihood: ll,
        aic: -2.0 * ll + 2.0 * p as f64,
        bic: -2.0 * ll + (p as f64) * nf.ln(),
        coefficients,
    })
}
