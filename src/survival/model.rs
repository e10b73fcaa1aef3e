//! The Cox model on all drivers at once: the same design as the logistic
//! model (one dummy per non-reference level, constant and collinear terms
//! screened out with the reason), hazard ratios per unit and per +1 SD,
//! LR / Wald / score tests, concordance and AIC, per-driver LR tests under
//! the study's correction, and the proportional-hazards check. A driver
//! that orders churn times perfectly sends its hazard ratio to infinity:
//! the fit says so and is redone with Firth's penalty (as R's `coxphf`).

use serde::Serialize;

use super::predict::{Basis, CoxPredictor};
use crate::data::{Driver, Durations};
use crate::drivers::design::DriverInfo;
use crate::drivers::design::{
    build_design_rows, column_moments, screen_columns, DroppedTerm, Term,
};
use crate::stats::dist::{chi2_sf, norm_two_sided, Z975};
use crate::stats::multitest::{adjust, Correction};
use crate::stats::survival::concordance::concordance;
use crate::stats::survival::cox::{self, CoxData, CoxFit, CoxParams, CoxRows, Prepared};
use crate::stats::survival::zph::{ph_test, PhTest, TimeTransform};
use crate::stats::survival::{Subjects, Ties};

/// One term of the Cox model.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CoxTerm {
    /// `column` or `column[level]`, as in the logistic model.
    pub term: String,
    pub driver: String,
    pub estimate: f64,
    pub std_error: f64,
    pub z: f64,
    pub p_value: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub hazard_ratio: f64,
    pub hr_ci_low: f64,
    pub hr_ci_high: f64,
    /// Numeric terms: the SD on the model sample and the hazard ratio of +1 SD.
    pub sd: Option<f64>,
    pub hr_per_sd: Option<f64>,
    pub hr_per_sd_ci_low: Option<f64>,
    pub hr_per_sd_ci_high: Option<f64>,
}

/// A driver judged by the LR test of dropping all its terms.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CoxDriverTest {
    pub driver: String,
    pub terms: Vec<String>,
    pub lr_statistic: f64,
    pub df: usize,
    pub p_value: f64,
    pub q_value: f64,
    pub significant: bool,
}

/// The PH check of one term.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PhTermOut {
    pub term: String,
    /// Drift of the coefficient per unit of transformed time.
    pub slope: f64,
    pub statistic: f64,
    pub p_value: f64,
}

/// The global PH test.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PhGlobalOut {
    pub statistic: f64,
    pub df: usize,
    pub p_value: f64,
}

/// The proportional-hazards check.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PhReport {
    pub transform: TimeTransform,
    pub terms: Vec<PhTermOut>,
    pub global: Option<PhGlobalOut>,
}

impl PhReport {
    /// The check as reported, its tests named by the fit's `terms`.
    pub(crate) fn of(t: &PhTest, terms: &[&Term]) -> Self {
        PhReport {
            transform: t.transform,
            terms: t
                .terms
                .iter()
                .map(|x| PhTermOut {
                    term: terms[x.index].name.clone(),
                    slope: x.slope,
                    statistic: x.statistic,
                    p_value: x.p_value,
                })
                .collect(),
            global: t.global.as_ref().map(|g| PhGlobalOut {
                statistic: g.statistic,
                df: g.df,
                p_value: g.p_value,
            }),
        }
    }
}

/// The fitted Cox model as the report shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CoxReport {
    pub ties: Ties,
    /// `partial likelihood` or `Firth penalised partial likelihood`.
    pub method: &'static str,
    pub n: usize,
    pub events: usize,
    /// Accounts left out for a missing driver value (complete cases).
    pub n_dropped: usize,
    pub strata: Option<String>,
    pub coefficients: Vec<CoxTerm>,
    pub log_partial_likelihood: f64,
    pub log_partial_likelihood_null: f64,
    /// Firth only: the penalised value the LR tests compare.
    pub penalized_log_partial_likelihood: Option<f64>,
    pub lr_statistic: f64,
    pub lr_df: usize,
    pub lr_p_value: f64,
    pub wald_statistic: f64,
    pub wald_p_value: f64,
    pub score_statistic: Option<f64>,
    pub score_p_value: Option<f64>,
    pub concordance: Option<f64>,
    pub aic: f64,
    pub converged: bool,
    pub iterations: usize,
    pub driver_tests: Vec<CoxDriverTest>,
    pub dropped_terms: Vec<DroppedTerm>,
    /// Why Firth's penalty was used, naming the drivers.
    pub separation: Option<String>,
}

/// What the model stage needs.
pub struct ModelInput<'a> {
    pub drivers: &'a [Driver],
    pub durations: &'a Durations,
    pub references: &'a [usize],
    /// Drivers left out (constant, the tenure column itself, the strata).
    pub skip: &'a [bool],
    pub strata: Option<(&'a str, &'a [u32])>,
    pub ties: Ties,
    pub transform: TimeTransform,
    pub alpha: f64,
    pub correction: Correction,
}

/// |β| × SD beyond which a term is taken as running away (HR per SD > e^8).
const RUNAWAY: f64 = 8.0;

/// Fits the model and keeps it as a predictor; `None` when no driver has a usable term or the sample has no events.
pub fn fit_cox<T: Send>(
    m: &ModelInput,
    beside: impl FnOnce(&CoxPredictor) -> T + Send,
) -> Option<(CoxReport, Option<PhReport>, CoxPredictor, T)> {
    let dur = m.durations;
    let strata_ok = |i: usize| m.strata.map_or(true, |(_, s)| s[i] != u32::MAX);
    let churned = &dur.event;
    let (design, terms, rows) = build_design_rows(m.drivers, churned, m.references, m.skip, |i| {
        dur.exit[i].is_finite() && strata_ok(i)
    });
    if terms.is_empty() || rows.is_empty() {
        return None;
    }
    let (_, cov) = column_moments(&design);
    let (kept, dropped_terms) = screen_columns(&terms, &cov, m.drivers);
    if kept.is_empty() {
        return None;
    }
    let exit: Vec<f64> = rows.iter().map(|&i| dur.exit[i]).collect();
    let event: Vec<bool> = rows.iter().map(|&i| dur.event[i]).collect();
    let entry: Option<Vec<f64>> = dur
        .entry
        .as_ref()
        .map(|e| rows.iter().map(|&i| e[i]).collect());
    let strata: Option<Vec<u32>> = m.strata.map(|(_, s)| rows.iter().map(|&i| s[i]).collect());
    let events = event.iter().filter(|e| **e).count();
    if events == 0 {
        return None;
    }
    let subjects = Subjects {
        entry: entry.as_deref(),
        exit: &exit,
        event: &event,
    };
    let data = CoxData {
        subjects,
        columns: kept.iter().map(|&j| design.column(j)).collect(),
        strata: strata.as_deref(),
    };
    let kept_terms: Vec<&Term> = kept.iter().map(|&j| &terms[j - 1]).collect();
    let pr = Prepared::new(&data);
    crate::timing::mark("cox: rows sorted");
    let variances: Vec<f64> = kept.iter().map(|&j| cov[j][j]).collect();
    let core = fit_core(&pr, &kept_terms, &variances, m.drivers, m.ties)?;
    let eta = cox::linear_predictor(&data, &core.fit);
    crate::timing::mark("cox: fit");
    let basis = Basis {
        strata: m.strata.map(|(_, s)| s.to_vec()),
        references: m.references.to_vec(),
        skip: m.skip.to_vec(),
        n: rows.len(),
        events,
    };
    let terms_out: Vec<Term> = kept_terms.iter().map(|t| (*t).clone()).collect();
    let predictor = CoxPredictor::new(&pr, &core.fit, terms_out, basis);
    // What the caller runs on the fitted model goes beside the refits and
    // the PH test, which leave a core idle for part of their time.
    let ((driver_tests, ph), extra) = rayon::join(
        || {
            let t = driver_tests(&pr, &core, &kept_terms, m.drivers, (m.correction, m.alpha));
            crate::timing::mark("cox: LR refits");
            (t, ph_test(&pr, &data, &core.fit, m.transform))
        },
        || beside(&predictor),
    );
    let ph = ph.map(|t| PhReport::of(&t, &kept_terms));
    let sample = Sample {
        n: rows.len(),
        events,
        n_dropped: dur.exit.iter().filter(|x| x.is_finite()).count() - rows.len(),
        strata: m.strata.map(|(c, _)| c.to_string()),
    };
    let concordance = concordance(&exit, &event, &eta);
    let report = core.report(sample, driver_tests, dropped_terms, concordance);
    Some((report, ph, predictor, extra))
}

/// The model's fit and tests, on rows in memory or on an engine.
pub(crate) struct CoxCore {
    pub fit: CoxFit,
    pub params: CoxParams,
    pub ll0: f64,
    pub coefficients: Vec<CoxTerm>,
    pub wald: f64,
    pub score: Option<f64>,
    pub separation: Option<String>,
}

/// The model sample, as the report states it.
pub(crate) struct Sample {
    pub n: usize,
    pub events: usize,
    pub n_dropped: usize,
    pub strata: Option<String>,
}

/// Fits the model on the columns of `rows` (one per `terms`, whose
/// `variances` on the sample give the hazard ratios per SD): the plain fit,
/// redone with Firth's penalty when a term runs away; then the Wald and
/// score tests against the null model. `None` when no fit can be made.
pub(crate) fn fit_core<R: CoxRows + ?Sized, D: DriverInfo>(
    rows: &R,
    terms: &[&Term],
    variances: &[f64],
    drivers: &[D],
    ties: Ties,
) -> Option<CoxCore> {
    let all: Vec<usize> = (0..terms.len()).collect();
    let plain = CoxParams {
        ties,
        ..Default::default()
    };
    let first = cox::fit(rows, &all, &plain).ok();
    let runaway: Vec<&str> = match &first {
        Some(f) => f
            .beta
            .iter()
            .zip(&all)
            .filter(|(b, &j)| (*b * rows.sds()[j]).abs() > RUNAWAY || !f.converged)
            .map(|(_, &j)| terms[j].name.as_str())
            .collect(),
        None => terms.iter().map(|t| t.name.as_str()).collect(),
    };
    let firth = !runaway.is_empty();
    let params = CoxParams { firth, ..plain };
    let fit = if firth {
        cox::fit(rows, &all, &params).ok()?
    } else {
        first?
    };
    let separation = firth.then(|| {
        format!(
            "{} {} churn times almost perfectly (the plain hazard ratio runs to {}), so the model is fitted with Firth's penalised partial likelihood, as R's coxphf; its hazard ratios are finite and its LR tests use the penalised likelihood",
            runaway.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", "),
            if runaway.len() == 1 { "orders" } else { "order" },
            "infinity or zero"
        )
    });
    let ll0 = cox::null_log_lik(rows, ties);
    let se = fit.std_errors();
    let coefficients: Vec<CoxTerm> = all
        .iter()
        .map(|&j| {
            let t = terms[j];
            let (b, s) = (fit.beta[j], se[j]);
            // Per SD for numeric and ordinal drivers; a yes/no driver is read yes vs no.
            let binary = drivers[t.driver].config().kind == crate::config::DriverKind::Binary;
            let sd = (!t.dummy && !binary).then(|| variances[j].sqrt());
            CoxTerm {
                term: t.name.clone(),
                driver: drivers[t.driver].config().column.clone(),
                estimate: b,
                std_error: s,
                z: b / s,
                p_value: norm_two_sided(b / s),
                ci_low: b - Z975 * s,
                ci_high: b + Z975 * s,
                hazard_ratio: b.exp(),
                hr_ci_low: (b - Z975 * s).exp(),
                hr_ci_high: (b + Z975 * s).exp(),
                sd,
                hr_per_sd: sd.map(|d| (b * d).exp()),
                hr_per_sd_ci_low: sd.map(|d| ((b - Z975 * s) * d).exp()),
                hr_per_sd_ci_high: sd.map(|d| ((b + Z975 * s) * d).exp()),
            }
        })
        .collect();
    let p = all.len();
    let wald = {
        let inv = crate::stats::linalg::inverse_logdet(&fit.cov)
            .ok()
            .map(|x| x.0);
        inv.map_or(f64::NAN, |iv| {
            (0..p)
                .map(|a| {
                    (0..p)
                        .map(|b| fit.beta[a] * iv[[a, b]] * fit.beta[b])
                        .sum::<f64>()
                })
                .sum()
        })
    };
    let score = cox::score_test(rows, &all, ties);
    Some(CoxCore {
        fit,
        params,
        ll0,
        coefficients,
        wald,
        score,
        separation,
    })
}

impl CoxCore {
    /// The report of the fit, its driver tests and its concordance.
    pub(crate) fn report(
        self,
        sample: Sample,
        driver_tests: Vec<CoxDriverTest>,
        dropped_terms: Vec<DroppedTerm>,
        concordance: Option<f64>,
    ) -> CoxReport {
        let fit = self.fit;
        let p = fit.beta.len();
        let lr = 2.0 * (fit.objective() - self.ll0);
        CoxReport {
            ties: fit.ties,
            method: if fit.firth {
                "Firth penalised partial likelihood"
            } else {
                "partial likelihood"
            },
            n: sample.n,
            events: sample.events,
            n_dropped: sample.n_dropped,
            strata: sample.strata,
            coefficients: self.coefficients,
            log_partial_likelihood: fit.log_lik,
            log_partial_likelihood_null: self.ll0,
            penalized_log_partial_likelihood: fit.penalized_log_lik,
            lr_statistic: lr,
            lr_df: p,
            lr_p_value: chi2_sf(lr, p as f64),
            wald_statistic: self.wald,
            wald_p_value: chi2_sf(self.wald, p as f64),
            score_p_value: self.score.map(|s| chi2_sf(s, p as f64)),
            score_statistic: self.score,
            concordance,
            aic: -2.0 * fit.log_lik + 2.0 * p as f64,
            converged: fit.converged,
            iterations: fit.iterations,
            driver_tests,
            dropped_terms,
            separation: self.separation,
        }
    }
}

/// Each driver's LR test: the model refitted without its terms, all the
/// refits in lockstep (one round of passes per step, answered together),
/// each started from the full model's coefficients of the other terms;
/// with their q-values and verdicts.
pub(crate) fn driver_tests<R: CoxRows + ?Sized, D: DriverInfo>(
    rows: &R,
    core: &CoxCore,
    terms: &[&Term],
    drivers: &[D],
    (correction, alpha): (Correction, f64),
) -> Vec<CoxDriverTest> {
    let fit = &core.fit;
    let mut ks: Vec<usize> = terms.iter().map(|t| t.driver).collect();
    ks.dedup();
    let rests: Vec<Vec<usize>> = ks
        .iter()
        .map(|&k| (0..terms.len()).filter(|&j| terms[j].driver != k).collect())
        .collect();
    let starts: Vec<Vec<f64>> = rests
        .iter()
        .map(|r| r.iter().map(|&j| fit.beta[j]).collect())
        .collect();
    let quick = CoxParams {
        objective_tol: Some(1e-5),
        ..core.params
    };
    let todo: Vec<(&[usize], Option<&[f64]>)> = rests
        .iter()
        .zip(&starts)
        .filter(|(r, _)| !r.is_empty())
        .map(|(r, s)| (r.as_slice(), Some(s.as_slice())))
        .collect();
    let mut refits = cox::fit_batch(rows, &todo, &quick).into_iter();
    let mut out = Vec::new();
    for (&k, rest) in ks.iter().zip(&rests) {
        let reduced = if rest.is_empty() {
            Some(core.ll0)
        } else {
            refits.next().and_then(|f| f.ok()).map(|f| f.objective())
        };
        let Some(reduced) = reduced else { continue };
        let df = terms.len() - rest.len();
        let lr = (2.0 * (fit.objective() - reduced)).max(0.0);
        out.push(CoxDriverTest {
            driver: drivers[k].config().column.clone(),
            terms: terms
                .iter()
                .filter(|t| t.driver == k)
                .map(|t| t.name.clone())
                .collect(),
            lr_statistic: lr,
            df,
            p_value: chi2_sf(lr, df as f64),
            q_value: f64::NAN,
            significant: false,
        });
    }
    adjust_tests(&mut out, correction, alpha);
    out
}

/// The drivers' q-values under the study's correction, and their verdicts.
fn adjust_tests(tests: &mut [CoxDriverTest], correction: Correction, alpha: f64) {
    let q = adjust(
        &tests.iter().map(|t| t.p_value).collect::<Vec<_>>(),
        correction,
    );
    for (t, q) in tests.iter_mut().zip(q) {
        t.q_value = q;
        t.significant = q < alpha;
    }
}
