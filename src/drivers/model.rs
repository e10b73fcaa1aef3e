//! The multivariable logistic model of churned on all drivers, in linfa's
//! shape: [`LogitParams`] → [`LogitParams::fit`] → [`FittedLogit`], whose
//! summary ([`LogitModel`]) holds the coefficient table with full inference
//! (Wald SEs, z, p, CIs, odds ratios, VIFs, average marginal effects with
//! delta-method SEs) and scores accounts. The design, the separation
//! fallback and the per-driver LR tests live in [`super::design`],
//! [`super::separation`] and [`super::lr_tests`].

use serde::Serialize;

use super::design::{build_design, screen_columns, vifs, DriverInfo, DroppedTerm, Term};
use super::lr_tests::{lr_tests, LrTest};
use super::rows::ModelRows;
use super::separation::{fit_with_fallback, single_term_separation, Separation};
use crate::data::Driver;
use crate::stats::dist::{chi2_sf, norm_two_sided, Z975};
use crate::stats::logit::{self, FitFailure, FitOptions, Method};

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

/// What scoring an account needs beyond the coefficients: the drivers whose
/// values make a complete case, and for each coefficient (intercept first)
/// the driver it reads and the level code it tests (`None` for a value).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scoring {
    pub(super) used: Vec<usize>,
    pub(super) reads: Vec<Option<(usize, Option<u32>)>>,
    /// The coefficients' covariance, row-major, intercept first.
    pub(super) cov: Vec<f64>,
}

/// The fitted multivariable model: its summary table (what `results.json`
/// shows) and what it needs to score accounts ([`LogitModel::eta`]).
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
    /// How each coefficient reads an account's drivers.
    #[serde(skip)]
    pub scoring: Scoring,
}

/// Settings of the model: each driver's reference level and the drivers to
/// leave out (constant ones).
#[derive(Debug, Clone, Copy)]
pub struct LogitParams<'a> {
    pub references: &'a [usize],
    pub skip: &'a [bool],
}

/// The fitted model and what the driver stage reads off it.
#[derive(Debug, Clone)]
pub struct FittedLogit {
    pub model: LogitModel,
    /// The terms kept in the model, in the table's order after the intercept.
    pub terms: Vec<Term>,
    /// Indexed like the study's drivers; `None` when the driver is not in the model.
    pub lr: Vec<Option<LrTest>>,
    /// Pearson correlations of the kept terms on the model sample.
    pub term_corr: Vec<Vec<f64>>,
    /// Why each driver is out of the model, if it is.
    pub excluded: Vec<Option<String>>,
}

impl FittedLogit {
    /// The coefficient table and fit statistics.
    pub fn summary(&self) -> &LogitModel {
        &self.model
    }
}

impl LogitParams<'_> {
    /// Fits churned on the drivers (complete cases), diagnoses separation and
    /// runs the per-driver LR tests. `None` when no driver has a usable term.
    ///
    /// # Errors
    /// [`crate::error::Error::Analysis`] when no account is a complete case, the
    /// complete cases are all churned or all retained, or both fits fail.
    pub fn fit(
        &self,
        drivers: &[Driver],
        churned: &[bool],
    ) -> crate::error::Result<Option<FittedLogit>> {
        let (design, terms, n_dropped) = build_design(drivers, churned, self.references, self.skip);
        self.fit_rows(&design, terms, drivers, n_dropped)
    }

    /// [`LogitParams::fit`] on rows held anywhere (a design in memory, a
    /// table on an engine): `terms` are the design's columns after the
    /// intercept, `drivers` what the model says about each driver, and
    /// `n_dropped` the accounts left out for a missing value.
    ///
    /// # Errors
    /// As [`LogitParams::fit`], and the rows' own when they cannot be read.
    pub fn fit_rows<R: ModelRows + ?Sized, D: DriverInfo>(
        &self,
        design: &R,
        terms: Vec<Term>,
        drivers: &[D],
        n_dropped: usize,
    ) -> crate::error::Result<Option<FittedLogit>> {
        let skip = self.skip;
        let mut excluded = skipped_reasons(drivers, skip);
        if terms.is_empty() {
            return Ok(None);
        }
        check_sample(design.n(), design.events(), drivers, skip)?;
        let events = design.events() as usize;
        let (_, cov) = design.moments()?;
        let (kept, dropped_terms) = screen_columns(&terms, &cov, drivers);
        explain_dropped(&mut excluded, &kept, &terms, &dropped_terms);
        if kept.is_empty() {
            return Ok(None);
        }
        let mut cols = vec![0];
        cols.extend(&kept);
        let vif = vifs(&kept, &cov);
        let sep_single = single_term_separation(&design.ranges(&kept)?, &kept, &terms, drivers);

        crate::timing::mark("design");
        let (fit, separation) =
            fit_with_fallback(design, &cols, &cov, &terms, drivers, sep_single)?;
        let sd_of = |j: usize| cov[j][j].sqrt();
        let n = design.n();
        let nf = n as f64;
        let ybar = events as f64 / nf;
        let ll_null = nf * (ybar * ybar.ln() + (1.0 - ybar) * (1.0 - ybar).ln());
        let null_objective = if fit.method == Method::Firth {
            let null = logit::fit(
                design,
                &[0],
                &FitOptions {
                    method: Method::Firth,
                    ..Default::default()
                },
            );
            match null {
                Ok(f) => f.objective(),
                Err(FitFailure::Source(e)) => return Err(*e),
                Err(FitFailure::Singular) => ll_null,
            }
        } else {
            ll_null
        };
        let k = cols.len();
        let llr = 2.0 * (fit.objective() - null_objective);
        let (sw, swx, auc) = design.scored(&fit)?;
        let me = logit::margins(&fit, n, sw, &swx);
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
                driver: term.map(|t| drivers[t.driver].config().column.clone()),
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
        let lr = lr_tests(design, &cols, &terms, &fit, drivers.len())?;

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
            .filter(|(d, s)| !**s && d.n_missing() > 0)
            .map(|(d, _)| (d.config().column.clone(), d.n_missing()))
            .collect();
        let npar = k as f64;
        let scoring = Scoring {
            used: (0..drivers.len()).filter(|&k| !skip[k]).collect(),
            reads: cols
                .iter()
                .map(|&j| (j > 0).then(|| (terms[j - 1].driver, terms[j - 1].code)))
                .collect(),
            cov: fit.cov.iter().copied().collect(),
        };
        Ok(Some(FittedLogit {
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
                auc,
                coefficients,
                dropped_terms,
                separation,
                scoring,
            },
            terms: kept_term_list,
            lr,
            term_corr,
            excluded,
        }))
    }
}

/// Why each skipped driver is out of the model.
fn skipped_reasons<D: DriverInfo>(drivers: &[D], skip: &[bool]) -> Vec<Option<String>> {
    drivers
        .iter()
        .zip(skip)
        .map(|(d, &s)| {
            s.then(|| {
                if d.constant() && d.present() == 0 {
                    "no values: every row is blank".to_string()
                } else if d.constant() {
                    "constant: it does not vary, so it cannot explain churn".to_string()
                } else {
                    "left out".to_string()
                }
            })
        })
        .collect()
}

/// The complete cases must exist and hold both churned and retained accounts.
fn check_sample<D: DriverInfo>(
    n: usize,
    events: f64,
    drivers: &[D],
    skip: &[bool],
) -> crate::error::Result<()> {
    let analysis_err = |m: String| crate::error::Error::Analysis {
        analysis: "multivariable model",
        message: m,
    };
    if n == 0 {
        let mut worst: Vec<(usize, &str)> = drivers
            .iter()
            .zip(skip)
            .filter(|(_, s)| !**s)
            .map(|(d, _)| (d.n_missing(), d.config().column.as_str()))
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
    let events = events as usize;
    if events == 0 || events == n {
        return Err(analysis_err(format!(
            "all {n} complete-case accounts are {}; the model needs both churned and retained accounts",
            if events == 0 { "retained" } else { "churned" }
        )));
    }
    Ok(())
}

/// A driver whose every term the screen dropped is out with the first reason.
fn explain_dropped(
    excluded: &mut [Option<String>],
    kept: &[usize],
    terms: &[Term],
    dropped: &[DroppedTerm],
) {
    for (k, ex) in excluded.iter_mut().enumerate() {
        if ex.is_none() && !kept.iter().any(|&j| terms[j - 1].driver == k) {
            let why: Vec<&str> = dropped
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
}

/// The reference level index of each driver (0 for non-categorical drivers).
///
/// # Errors
/// [`crate::error::Error::Analysis`] when a configured
/// reference level does not occur in the data.
pub fn references<D: DriverInfo>(drivers: &[D]) -> crate::error::Result<Vec<usize>> {
    drivers
        .iter()
        .map(|d| match (d.levels(), &d.config().reference) {
            (Some(levels), Some(r)) => {
                levels
                    .iter()
                    .position(|l| l == r)
                    .ok_or_else(|| crate::error::Error::Analysis {
                        analysis: "multivariable model",
                        message: format!(
                        "driver `{}`: reference = \"{r}\" is not a level in the data; levels: {}",
                        d.config().column,
                        levels.join(", ")
                    ),
                    })
            }
            _ => Ok(0),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StudyConfig;
    use crate::data::DriverValues;

    fn demo() -> (crate::data::Study, crate::drivers::DriverReport) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo/study.toml");
        let cfg = StudyConfig::from_path(&path).expect("demo config");
        let study = crate::data::load_study(&cfg).expect("demo study");
        let r = crate::drivers::analyse(&study.accounts, &cfg.analysis).expect("drivers");
        (study, r)
    }

    /// η from the fitted model equals the linear predictor rebuilt by
    /// matching each coefficient's column and level names back to the data
    /// (how the recommendation computed it before the model could score),
    /// bit for bit, and is NaN exactly where a driver is missing.
    #[test]
    fn eta_equals_the_predictor_rebuilt_from_names() {
        let (study, r) = demo();
        let m = r.model.as_ref().expect("model");
        let eta = m.eta(&study.accounts.drivers).expect("same drivers");
        let drivers = &study.accounts.drivers;
        assert_eq!(eta.len(), study.accounts.len());
        let mut complete = 0;
        for (i, &e) in eta.iter().enumerate() {
            let present = drivers
                .iter()
                .filter(|d| !d.constant)
                .all(|d| d.is_present(i));
            if !present {
                assert!(e.is_nan(), "row {i}");
                continue;
            }
            complete += 1;
            let mut v = 0.0;
            for c in &m.coefficients {
                match (&c.driver, &c.level) {
                    (None, _) => v += c.estimate,
                    (Some(col), level) => {
                        let d = drivers.iter().find(|d| &d.config.column == col).unwrap();
                        match (&d.values, level) {
                            (DriverValues::Numeric(x), None) => v += c.estimate * x[i],
                            (DriverValues::Categorical(cat), Some(l)) => {
                                let j = cat.levels.iter().position(|x| x == l).unwrap() as u32;
                                if cat.codes[i] == j {
                                    v += c.estimate;
                                }
                            }
                            _ => panic!("term {} does not fit its driver", c.term),
                        }
                    }
                }
            }
            assert_eq!(e.to_bits(), v.to_bits(), "row {i}");
        }
        assert_eq!(complete, m.n, "the model's complete cases");
    }

    /// A driver's terms are found by index, not by name, and the scoring
    /// refuses a driver list that does not match the model.
    #[test]
    fn terms_of_a_driver_and_foreign_drivers() {
        let (study, r) = demo();
        let m = r.model.as_ref().expect("model");
        let drivers = &study.accounts.drivers;
        for (k, d) in drivers.iter().enumerate() {
            let terms = m.terms_of(k);
            let by_name: Vec<&str> = m
                .coefficients
                .iter()
                .filter(|c| c.driver.as_deref() == Some(d.config.column.as_str()))
                .map(|c| c.term.as_str())
                .collect();
            let by_index: Vec<&str> = terms.iter().map(|(c, _)| c.term.as_str()).collect();
            assert_eq!(by_index, by_name, "{}", d.config.column);
        }
        assert!(m.eta(&drivers[..1]).is_none());
    }

    /// A fit on a separating driver falls back to Firth, names the driver,
    /// and still scores every account with finite η.
    #[test]
    fn separation_falls_back_to_firth_and_still_scores() {
        let (study, _) = demo();
        let mut drivers = study.accounts.drivers.clone();
        let churned = &study.accounts.churned;
        // A copy of the outcome as a numeric driver separates completely.
        let mut cfg = drivers[0].config.clone();
        cfg.column = "leak".into();
        drivers.push(crate::data::Driver {
            config: cfg,
            values: DriverValues::Numeric(churned.iter().map(|&c| c as u8 as f64).collect()),
            n_missing: 0,
            constant: false,
        });
        let refs = references(&drivers).unwrap();
        let skip: Vec<bool> = drivers.iter().map(|d| d.constant).collect();
        let params = LogitParams {
            references: &refs,
            skip: &skip,
        };
        let fitted = params.fit(&drivers, churned).unwrap().expect("a model");
        let m = fitted.summary();
        assert_eq!(m.method, Method::Firth);
        let sep = m.separation.as_ref().expect("separation named");
        assert!(
            sep.drivers.contains(&"leak".to_string()),
            "{:?}",
            sep.drivers
        );
        let eta = m.eta(&drivers).unwrap();
        assert!(eta.iter().filter(|e| !e.is_nan()).all(|e| e.is_finite()));
    }
}
