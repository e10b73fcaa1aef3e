//! The multivariable logistic model of churned on all drivers: design
//! matrix (dummy coding against a reference level), complete cases,
//! constant and collinear terms dropped with a reason, separation detected
//! and explained (with Firth's bias-reduced fit as the fallback), full
//! inference, VIFs, average marginal effects and per-driver
//! likelihood-ratio tests.

use serde::Serialize;

use crate::data::{Driver, DriverValues};
use crate::stats::dist::{chi2_sf, norm_two_sided, Z975};
use crate::stats::logit::{self, Design, FitOptions, LogitFit, Method};

/// One column of the design (after the intercept).
#[derive(Debug, Clone)]
pub struct Term {
    /// `column` or `column[level]`.
    pub name: String,
    /// Index into the study's drivers.
    pub driver: usize,
    pub level: Option<String>,
    /// A categorical dummy (per-SD effects make no sense for those).
    pub dummy: bool,
}

/// A term left out of the model and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DroppedTerm {
    pub term: String,
    pub reason: String,
}

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

/// One coefficient row of the model table.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Coefficient {
    pub term: String,
    /// Driver column (`None` for the intercept).
    pub driver: Option<String>,
    pub level: Option<String>,
    pub estimate: f64,
    pub std_error: f64,
    pub z: f64,
    pub p_value: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub odds_ratio: f64,
    pub or_ci_low: f64,
    pub or_ci_high: f64,
    /// Variance inflation factor (not for the intercept).
    pub vif: Option<f64>,
    /// Standard deviation of the term on the model sample (not for dummies).
    pub sd: Option<f64>,
    /// Average marginal effect, percentage points of churn probability per unit.
    pub ame_pp: Option<f64>,
    pub ame_se_pp: Option<f64>,
    pub ame_p_value: Option<f64>,
    /// AME of a +1 SD change, percentage points (not for dummies).
    pub ame_per_sd_pp: Option<f64>,
}

/// The fitted multivariable model.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LogitModel {
    /// `newton` (maximum likelihood) or `firth` (after separation).
    pub method: Method,
    /// Accounts used (complete cases).
    pub n: usize,
    /// Accounts left out for a missing driver value.
    pub n_dropped_missing: usize,
    /// Missing values per driver among all accounts.
    pub missing_by_driver: Vec<(String, usize)>,
    pub events: usize,
    pub converged: bool,
    pub iterations: usize,
    pub log_likelihood: f64,
    /// Firth fits: the penalised log-likelihood their LR tests use.
    pub penalized_log_likelihood: Option<f64>,
    pub ll_null: f64,
    /// McFadden: 1 − ll / ll_null.
    pub pseudo_r2: f64,
    pub llr: f64,
    pub llr_df: usize,
    pub llr_p_value: f64,
    pub aic: f64,
    pub bic: f64,
    pub auc: f64,
    pub coefficients: Vec<Coefficient>,
    pub dropped_terms: Vec<DroppedTerm>,
    pub separation: Option<Separation>,
}

/// Per-driver LR test (drop all of the driver's terms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LrTest {
    pub statistic: f64,
    pub df: usize,
    pub p_value: f64,
}

/// What the model stage hands back: the table and the per-driver tests.
#[derive(Debug, Clone)]
pub struct ModelOutcome {
    pub model: LogitModel,
    pub terms: Vec<Term>,
    /// Indexed like the study's drivers; `None` when the driver is not in the model.
    pub lr: Vec<Option<LrTest>>,
    /// Pearson correlations of the kept terms on the model sample.
    pub term_corr: Vec<Vec<f64>>,
    /// Why each driver is out of the model, if it is.
    pub excluded: Vec<Option<String>>,
}

/// Builds the design on complete cases. Returns the design, its terms and the
/// rows used. Drivers flagged in `skip` are left out.
pub fn build_design(
    drivers: &[Driver],
    churned: &[bool],
    references: &[usize],
    skip: &[bool],
) -> (Design, Vec<Term>, usize) {
    use rayon::prelude::*;
    let mut terms = Vec::new();
    // What fills each design column after the intercept: the driver's value,
    // or the indicator of one of its levels.
    let mut fills: Vec<(usize, Option<u32>)> = Vec::new();
    for (k, d) in drivers.iter().enumerate() {
        if skip[k] {
            continue;
        }
        match &d.values {
            DriverValues::Numeric(_) => {
                terms.push(Term {
                    name: d.config.column.clone(),
                    driver: k,
                    level: None,
                    dummy: false,
                });
                fills.push((k, None));
            }
            DriverValues::Categorical(c) => {
                for (j, lev) in c.levels.iter().enumerate() {
                    if j != references[k] {
                        terms.push(Term {
                            name: format!("{}[{}]", d.config.column, lev),
                            driver: k,
                            level: Some(lev.clone()),
                            dummy: true,
                        });
                        fills.push((k, Some(j as u32)));
                    }
                }
            }
        }
    }
    let p = terms.len() + 1;
    let used: Vec<usize> = (0..drivers.len()).filter(|&k| !skip[k]).collect();
    let n_all = churned.len();
    let rows: Vec<usize> = (0..n_all)
        .filter(|&i| used.iter().all(|&k| drivers[k].is_present(i)))
        .collect();
    let n = rows.len();
    let mut x = vec![0.0; n * p];
    if n > 0 {
        let (intercept, rest) = x.split_at_mut(n);
        intercept.fill(1.0);
        rest.par_chunks_mut(n)
            .zip(&fills)
            .for_each(|(col, &(k, level))| match (&drivers[k].values, level) {
                (DriverValues::Numeric(v), _) => {
                    for (o, &i) in col.iter_mut().zip(&rows) {
                        *o = v[i];
                    }
                }
                (DriverValues::Categorical(c), Some(j)) => {
                    for (o, &i) in col.iter_mut().zip(&rows) {
                        *o = if c.codes[i] == j { 1.0 } else { 0.0 };
                    }
                }
                (DriverValues::Categorical(_), None) => {}
            });
    }
    let y = rows
        .iter()
        .map(|&i| if churned[i] { 1.0 } else { 0.0 })
        .collect();
    (Design { n, p, x, y }, terms, n_all - n)
}

/// Means and the covariance matrix of design columns 1..p (parallel one pass
/// for the means, one for the cross-products).
pub fn column_moments(d: &Design) -> (Vec<f64>, Vec<Vec<f64>>) {
    use rayon::prelude::*;
    let p = d.p;
    let n = d.n as f64;
    let chunk = 16 * 1024;
    let sums = (0..d.n.div_ceil(chunk))
        .into_par_iter()
        .map(|c| {
            let rows = c * chunk..((c + 1) * chunk).min(d.n);
            (0..p)
                .map(|k| {
                    let mut a = 0.0;
                    for v in &d.column(k)[rows.clone()] {
                        a += v;
                    }
                    a
                })
                .collect::<Vec<f64>>()
        })
        .collect::<Vec<_>>()
        .into_iter()
        .fold(vec![0.0; p], |mut a, b| {
            a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
            a
        });
    let mean: Vec<f64> = sums.iter().map(|s| s / n).collect();
    // Centred blocks of rows, then each cross-product summed over the block
    // in row order.
    const BLOCK: usize = 2048;
    let cross = (0..d.n.div_ceil(chunk))
        .into_par_iter()
        .map(|c| {
            let mut s = vec![0.0; p * p];
            let mut r = vec![0.0; p * BLOCK];
            let end = ((c + 1) * chunk).min(d.n);
            let mut start = c * chunk;
            while start < end {
                let m = BLOCK.min(end - start);
                for k in 1..p {
                    let col = &d.column(k)[start..start + m];
                    for (o, v) in r[k * BLOCK..k * BLOCK + m].iter_mut().zip(col) {
                        *o = v - mean[k];
                    }
                }
                for a in 1..p {
                    let ra = &r[a * BLOCK..a * BLOCK + m];
                    for b in a..p {
                        let rb = &r[b * BLOCK..b * BLOCK + m];
                        let mut acc = s[a * p + b];
                        for (u, v) in ra.iter().zip(rb) {
                            acc += u * v;
                        }
                        s[a * p + b] = acc;
                    }
                }
                start += m;
            }
            s
        })
        .collect::<Vec<_>>()
        .into_iter()
        .fold(vec![0.0; p * p], |mut a, b| {
            a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
            a
        });
    let mut cov = vec![vec![0.0; p]; p];
    for a in 1..p {
        for b in a..p {
            let v = cross[a * p + b] / (n - 1.0);
            cov[a][b] = v;
            cov[b][a] = v;
        }
    }
    (mean, cov)
}

/// Solves the symmetric positive-definite system `m x = b` by Cholesky
/// (linfa-linalg); `None` when `m` is not positive definite.
fn spd_solve(m: &[Vec<f64>], b: &[f64]) -> Option<Vec<f64>> {
    use linfa_linalg::cholesky::SolveC;
    let k = b.len();
    let mut a = ndarray::Array2::from_shape_fn((k, k), |(i, j)| m[i][j]);
    let rhs = ndarray::Array2::from_shape_fn((k, 1), |(i, _)| b[i]);
    let x = a.solvec(&rhs).ok()?;
    Some(x.column(0).to_vec())
}

/// Screens design columns 1..p in order: a column with no variance, or one
/// that the columns kept before it explain (R² > 1 − 1e-8), is dropped and
/// the reason names the terms it duplicates.
pub fn screen_columns(
    terms: &[Term],
    cov: &[Vec<f64>],
    drivers: &[Driver],
) -> (Vec<usize>, Vec<DroppedTerm>) {
    let mut kept: Vec<usize> = Vec::new(); // design column indices (≥ 1)
    let mut dropped = Vec::new();
    for (t, term) in terms.iter().enumerate() {
        let j = t + 1;
        let var = cov[j][j];
        if var.is_nan() || var <= 0.0 {
            let what = if term.dummy {
                format!(
                    "no account in the model sample has {} = {}",
                    drivers[term.driver].config.column,
                    term.level.as_deref().unwrap_or_default()
                )
            } else {
                "the term does not vary among the accounts in the model".to_string()
            };
            dropped.push(DroppedTerm {
                term: term.name.clone(),
                reason: format!("constant: {what}"),
            });
            continue;
        }
        if !kept.is_empty() {
            let m: Vec<Vec<f64>> = kept
                .iter()
                .map(|&a| kept.iter().map(|&b| cov[a][b]).collect())
                .collect();
            let r: Vec<f64> = kept.iter().map(|&a| cov[a][j]).collect();
            if let Some(coef) = spd_solve(&m, &r) {
                let explained: f64 = coef.iter().zip(&r).map(|(c, v)| c * v).sum();
                let resid = var - explained;
                if resid <= 1e-8 * var {
                    let mut names: Vec<(f64, &str)> = kept
                        .iter()
                        .zip(&coef)
                        .filter(|(_, c)| c.abs() > 1e-9)
                        .map(|(&a, c)| (c.abs() * cov[a][a].sqrt(), terms[a - 1].name.as_str()))
                        .collect();
                    names.sort_by(|a, b| b.0.total_cmp(&a.0));
                    let list: Vec<&str> = names.iter().map(|x| x.1).collect();
                    dropped.push(DroppedTerm {
                        term: term.name.clone(),
                        reason: if list.len() == 1 {
                            format!(
                                "perfectly collinear: it is a linear function of {} (a copy or rescaling)",
                                list[0]
                            )
                        } else {
                            format!(
                                "perfectly collinear: it is a linear combination of {}",
                                list.join(", ")
                            )
                        },
                    });
                    continue;
                }
            }
        }
        kept.push(j);
    }
    (kept, dropped)
}

/// VIF of each kept column: the diagonal of the inverse correlation matrix
/// (equal to statsmodels' `variance_inflation_factor` with a constant).
pub fn vifs(kept: &[usize], cov: &[Vec<f64>]) -> Vec<f64> {
    let k = kept.len();
    let corr: Vec<Vec<f64>> = kept
        .iter()
        .map(|&a| {
            kept.iter()
                .map(|&b| cov[a][b] / (cov[a][a] * cov[b][b]).sqrt())
                .collect()
        })
        .collect();
    (0..k)
        .map(|j| {
            let mut e = vec![0.0; k];
            e[j] = 1.0;
            spd_solve(&corr, &e).map_or(f64::INFINITY, |col| col[j])
        })
        .collect()
}

/// Looks for (quasi-)complete separation by a single term: all churned
/// accounts on one side of a threshold and all retained on the other.
/// Returns a plain-words explanation per separating term.
pub fn single_term_separation(
    d: &Design,
    kept: &[usize],
    terms: &[Term],
    drivers: &[Driver],
) -> Vec<(usize, String)> {
    use rayon::prelude::*;
    // Per column: (min, max) among churned and among retained.
    let ranges: Vec<[f64; 4]> = kept
        .par_iter()
        .map(|&j| {
            let mut r = [
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
            ];
            for (&v, &y) in d.column(j).iter().zip(&d.y) {
                let o = if y > 0.5 { 0 } else { 2 };
                r[o] = r[o].min(v);
                r[o + 1] = r[o + 1].max(v);
            }
            r
        })
        .collect();
    let mut out = Vec::new();
    for (&j, r) in kept.iter().zip(&ranges) {
        let [min1, max1, min0, max0] = *r;
        let term = &terms[j - 1];
        let label = drivers[term.driver].config.display_label();
        let count = |pred: &dyn Fn(f64) -> bool, churn: bool| -> usize {
            d.column(j)
                .iter()
                .zip(&d.y)
                .filter(|(&v, &y)| (y > 0.5) == churn && pred(v))
                .count()
        };
        let msg = if term.dummy {
            let lev = term.level.as_deref().unwrap_or_default();
            let n_lev = count(&|v| v > 0.5, true) + count(&|v| v > 0.5, false);
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
                num(max1),
                num(min0)
            ))
        } else if max0 <= min1 {
            let kind = if max0 < min1 {
                "completely"
            } else {
                "quasi-completely"
            };
            Some(format!(
                "{label} separates churn {kind}: every retained account has {label} ≤ {} and every churned account ≥ {}",
                num(max0),
                num(min1)
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

fn num(x: f64) -> String {
    crate::data::parse::format_number((x * 1e6).round() / 1e6)
}

/// Fits the model, diagnoses separation, and runs the per-driver LR tests.
pub fn fit_model(
    drivers: &[Driver],
    churned: &[bool],
    references: &[usize],
    skip: &[bool],
) -> crate::Result<Option<ModelOutcome>> {
    let analysis_err = |m: String| crate::Error::Analysis {
        analysis: "multivariable model",
        message: m,
    };
    let (design, terms, n_dropped) = build_design(drivers, churned, references, skip);
    let mut excluded: Vec<Option<String>> = drivers
        .iter()
        .zip(skip)
        .map(|(d, &s)| {
            s.then(|| {
                if d.constant && d.len_present() == 0 {
                    "no values: every row is blank".to_string()
                } else if d.constant {
                    "constant: it does not vary, so it cannot explain churn".to_string()
                } else {
                    "left out".to_string()
                }
            })
        })
        .collect();
    if terms.is_empty() {
        return Ok(None);
    }
    if design.n == 0 {
        let mut worst: Vec<(usize, &str)> = drivers
            .iter()
            .zip(skip)
            .filter(|(_, s)| !**s)
            .map(|(d, _)| (d.n_missing, d.config.column.as_str()))
            .collect();
        worst.sort_by_key(|w| std::cmp::Reverse(w.0));
        return Err(analysis_err(format!(
            "no account has a value for every driver, so there are no complete cases to model; most missing: {}. Drop or impute those drivers",
            worst
                .iter()
                .take(3)
                .map(|(n, c)| format!("{c} ({n} missing)"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let events = design.y.iter().filter(|v| **v > 0.5).count();
    if events == 0 || events == design.n {
        return Err(analysis_err(format!(
            "all {} complete-case accounts are {}; the model needs both churned and retained accounts",
            design.n,
            if events == 0 { "retained" } else { "churned" }
        )));
    }
    let (_, cov) = column_moments(&design);
    let (kept, dropped_terms) = screen_columns(&terms, &cov, drivers);
    for (k, ex) in excluded.iter_mut().enumerate() {
        if ex.is_none() && !kept.iter().any(|&j| terms[j - 1].driver == k) {
            let why: Vec<&str> = dropped_terms
                .iter()
                .filter(|t| terms.iter().any(|tt| tt.name == t.term && tt.driver == k))
                .map(|t| t.reason.as_str())
                .collect();
            *ex = Some(
                why.first()
                    .map_or("no usable term".to_string(), |s| s.to_string()),
            );
        }
    }
    if kept.is_empty() {
        return Ok(None);
    }
    let mut cols = vec![0];
    cols.extend(&kept);
    let vif = vifs(&kept, &cov);
    let sep_single = single_term_separation(&design, &kept, &terms, drivers);

    crate::timing::mark("design");
    // Maximum likelihood first.
    let ml = logit::fit(
        &design,
        &cols,
        &FitOptions {
            max_iter: 50,
            ..Default::default()
        },
    );
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
    let mut separation = None;
    let fit = if ml_ok && sep_single.is_empty() {
        ml.map_err(|_| analysis_err("singular information matrix".into()))?
    } else {
        // Name the culprits: single-term separators, else the terms whose
        // standardised estimates or errors blew up.
        let mut culprits: Vec<usize> = sep_single.iter().map(|(j, _)| *j).collect();
        let mut why: Vec<String> = sep_single.iter().map(|(_, m)| m.clone()).collect();
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
            .map(|&j| drivers[terms[j - 1].driver].config.column.clone())
            .collect();
        names.dedup();
        let firth = logit::fit(
            &design,
            &cols,
            &FitOptions {
                method: Method::Firth,
                max_iter: 200,
                ..Default::default()
            },
        )
        .map_err(|_| {
            analysis_err(format!(
                "separation ({}) and Firth's fit failed too: the information matrix is singular",
                why.join("; ")
            ))
        })?;
        separation = Some(Separation {
            drivers: names,
            message: format!(
                "{}. Maximum-likelihood estimates would be meaningless (infinite odds ratios, huge standard errors), so the model uses Firth's bias-reduced logistic regression, which gives finite estimates; read the separating driver as 'very strong', not its exact size.",
                why.join("; ")
            ),
            ml_converged: matches!(&ml, Ok(f) if f.converged),
        });
        firth
    };

    let n = design.n;
    let nf = n as f64;
    let ybar = events as f64 / nf;
    let ll_null = nf * (ybar * ybar.ln() + (1.0 - ybar) * (1.0 - ybar).ln());
    let null_objective = if fit.method == Method::Firth {
        logit::fit(
            &design,
            &[0],
            &FitOptions {
                method: Method::Firth,
                ..Default::default()
            },
        )
        .map(|f| f.objective())
        .unwrap_or(ll_null)
    } else {
        ll_null
    };
    let k = cols.len();
    let llr = 2.0 * (fit.objective() - null_objective);
    let mu = logit::predict(&design, &fit);
    let me = logit::marginal_effects(&design, &fit, &mu);
    let se = fit.std_errors();
    let mut coefficients = Vec::with_capacity(k);
    for (pos, &j) in cols.iter().enumerate() {
        let b = fit.beta[pos];
        let s = se[pos];
        let term = (j > 0).then(|| &terms[j - 1]);
        let sd = term.filter(|t| !t.dummy).map(|_| sd_of(j));
        let m = (pos > 0).then(|| me[pos - 1]);
        coefficients.push(Coefficient {
            term: term.map_or("Intercept".to_string(), |t| t.name.clone()),
            driver: term.map(|t| drivers[t.driver].config.column.clone()),
            level: term.and_then(|t| t.level.clone()),
            estimate: b,
            std_error: s,
            z: b / s,
            p_value: norm_two_sided(b / s),
            ci_low: b - Z975 * s,
            ci_high: b + Z975 * s,
            odds_ratio: b.exp(),
            or_ci_low: (b - Z975 * s).exp(),
            or_ci_high: (b + Z975 * s).exp(),
            vif: (pos > 0).then(|| vif[pos - 1]),
            sd,
            ame_pp: m.map(|m| m.effect * 100.0),
            ame_se_pp: m.map(|m| m.std_error * 100.0),
            ame_p_value: m.map(|m| norm_two_sided(m.effect / m.std_error)),
            ame_per_sd_pp: m.and_then(|m| sd.map(|s| m.effect * s * 100.0)),
        });
    }

    crate::timing::mark("full model");
    // Per-driver LR tests: refit without the driver's terms, warm-started.
    let mut lr = vec![None; drivers.len()];
    for (kd, slot) in lr.iter_mut().enumerate() {
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
        // A warm start from far-out estimates (separation) can fail where a
        // cold start does not.
        let reduced = logit::fit(&design, &sub_cols, &opts)
            .ok()
            .filter(|r| r.converged)
            .or_else(|| {
                logit::fit(
                    &design,
                    &sub_cols,
                    &FitOptions {
                        start: None,
                        ..opts.clone()
                    },
                )
                .ok()
            });
        if let Some(r) = reduced {
            let stat = (2.0 * (fit.objective() - r.objective())).max(0.0);
            *slot = Some(LrTest {
                statistic: stat,
                df: mine.len(),
                p_value: chi2_sf(stat, mine.len() as f64),
            });
        }
    }

    let kept_terms: Vec<usize> = cols[1..].to_vec();
    let term_corr: Vec<Vec<f64>> = kept_terms
        .iter()
        .map(|&a| {
            kept_terms
                .iter()
                .map(|&b| cov[a][b] / (cov[a][a] * cov[b][b]).sqrt())
                .collect()
        })
        .collect();
    let kept_term_list: Vec<Term> = kept_terms.iter().map(|&j| terms[j - 1].clone()).collect();
    let missing_by_driver = drivers
        .iter()
        .zip(skip)
        .filter(|(d, s)| !**s && d.n_missing > 0)
        .map(|(d, _)| (d.config.column.clone(), d.n_missing))
        .collect();
    let npar = k as f64;
    Ok(Some(ModelOutcome {
        model: LogitModel {
            method: fit.method,
            n,
            n_dropped_missing: n_dropped,
            missing_by_driver,
            events,
            converged: fit.converged,
            iterations: fit.iterations,
            log_likelihood: fit.log_likelihood,
            penalized_log_likelihood: fit.penalized_log_likelihood,
            ll_null,
            pseudo_r2: 1.0 - fit.log_likelihood / ll_null,
            llr,
            llr_df: k - 1,
            llr_p_value: chi2_sf(llr, (k - 1) as f64),
            aic: -2.0 * fit.log_likelihood + 2.0 * npar,
            bic: -2.0 * fit.log_likelihood + npar * nf.ln(),
            auc: logit::auc(&mu, &design.y),
            coefficients,
            dropped_terms,
            separation,
        },
        terms: kept_term_list,
        lr,
        term_corr,
        excluded,
    }))
}

/// The reference level index of each driver (0 for non-categorical drivers).
///
/// # Errors
/// [`crate::Error::Config`]-style analysis error when a configured
/// reference level does not occur in the data.
pub fn references(drivers: &[Driver]) -> crate::Result<Vec<usize>> {
    drivers
        .iter()
        .map(|d| match (&d.values, &d.config.reference) {
            (DriverValues::Categorical(c), Some(r)) => c
                .levels
                .iter()
                .position(|l| l == r)
                .ok_or_else(|| crate::Error::Analysis {
                    analysis: "multivariable model",
                    message: format!(
                        "driver `{}`: reference = \"{r}\" is not a level in the data; levels: {}",
                        d.config.column,
                        c.levels.join(", ")
                    ),
                }),
            _ => Ok(0),
        })
        .collect()
}
