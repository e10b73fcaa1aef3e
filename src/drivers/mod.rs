//! Driver statistics: which candidate drivers move churn, on their own
//! ([`univariate`]) and once the others are accounted for (the logistic
//! [`model`] and its per-driver [`lr_tests`]), each driver's verdict,
//! confounding explained, and an optional OLS model of a continuous outcome.
//! [`analyse`] takes the typed study and returns a serialisable
//! [`DriverReport`]; its only side effect is the `run --timings` step marks.

pub mod design;
pub mod lr_tests;
pub mod model;
pub mod rows;
pub mod scoring;
pub mod separation;
pub mod univariate;

use rayon::prelude::*;
use serde::Serialize;

use crate::config::{AnalysisConfig, DriverKind, Indicator};
use crate::data::{Accounts, Driver, DriverValues, Warning};
use crate::error::Result;
use crate::stats::multitest::{adjust, Correction};
use crate::stats::ols::{ols, OlsFit};
use design::DriverInfo;
pub use model::{Coefficient, FittedLogit, LogitModel, LogitParams};
pub use univariate::Univariate;

/// Everything the driver stage found.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DriverReport {
    pub alpha: f64,
    pub correction: Correction,
    pub univariate: Vec<Univariate>,
    /// The multivariable logistic model; `None` when no driver could enter it.
    pub model: Option<LogitModel>,
    /// One row per driver: the LR test that judges it in the model.
    pub drivers: Vec<DriverEvidence>,
    /// Pearson correlations of the numeric, ordinal and binary drivers on the model sample.
    pub correlations: Correlations,
    pub confounding: Vec<Confounding>,
    pub outcome_model: Option<OutcomeModel>,
    pub warnings: Vec<Warning>,
}

/// A driver's verdict from the model.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DriverEvidence {
    pub driver: String,
    pub label: String,
    pub kind: DriverKind,
    pub controllable: bool,
    pub indicator: Indicator,
    pub in_model: bool,
    pub terms: Vec<String>,
    /// Likelihood-ratio test of dropping all its terms (penalised for Firth fits).
    pub lr_statistic: Option<f64>,
    pub df: Option<usize>,
    pub p_value: Option<f64>,
    pub q_value: Option<f64>,
    pub significant: bool,
    /// AME in percentage points: per unit for one-term drivers; for a
    /// categorical driver, the level with the largest effect vs the reference.
    pub ame_pp: Option<f64>,
    /// AME of +1 SD, percentage points (one-term drivers).
    pub ame_per_sd_pp: Option<f64>,
    /// Largest-magnitude effect used for impact: per SD, or the level effect.
    pub impact_pp: Option<f64>,
    pub univariate_q: f64,
    pub univariate_significant: bool,
    /// Why it is not in the model, or a caution.
    pub note: Option<String>,
    /// What the evidence above says of the driver.
    #[serde(skip)]
    pub verdict: DriverVerdict,
}

/// What the model says of one driver: decided once here, worded by the renderers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriverVerdict {
    /// It could not enter the model (the evidence's `note` says why).
    NotInModel,
    /// Its LR test is significant once the other drivers are known.
    Significant,
    /// Significant on its own but not once the others are known: confounded.
    SignificantAloneOnly,
    NotSignificant,
}

impl DriverVerdict {
    fn of(in_model: bool, significant: bool, univariate_significant: bool) -> Self {
        match (in_model, significant, univariate_significant) {
            (false, _, _) => DriverVerdict::NotInModel,
            (true, true, _) => DriverVerdict::Significant,
            (true, false, true) => DriverVerdict::SignificantAloneOnly,
            (true, false, false) => DriverVerdict::NotSignificant,
        }
    }

    /// The verdict in words; `note` says why a driver is not in the model.
    pub fn describe(self, note: Option<&str>) -> String {
        match self {
            DriverVerdict::NotInModel => format!("not in model: {}", note.unwrap_or_default()),
            DriverVerdict::Significant => "significant".into(),
            DriverVerdict::SignificantAloneOnly => "significant alone only (confounded)".into(),
            DriverVerdict::NotSignificant => "not significant".into(),
        }
    }
}

/// Correlation matrix of the single-term drivers.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Correlations {
    pub drivers: Vec<String>,
    pub matrix: Vec<Vec<f64>>,
    pub n: usize,
}

/// A driver significant alone but not in the model, and what likely carries it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Confounding {
    pub driver: String,
    pub univariate_q: f64,
    pub model_q: f64,
    /// Most associated drivers, strongest first: (driver, r).
    pub correlated_with: Vec<(String, f64)>,
    pub message: String,
}

/// OLS of a continuous outcome on the other drivers.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OutcomeModel {
    pub outcome: String,
    pub n_dropped_missing: usize,
    pub dropped_terms: Vec<design::DroppedTerm>,
    pub fit: OlsFit,
}

/// Runs the driver stage on a loaded study.
///
/// # Errors
/// [`crate::error::Error::Column`] (bad input) when there are no churned or no retained
/// accounts; [`crate::error::Error::Analysis`] when there are no complete cases, or a
/// configured reference level is not in the data.
pub fn analyse(accounts: &Accounts, cfg: &AnalysisConfig) -> Result<DriverReport> {
    let churned = &accounts.churned;
    if let Some(e) = accounts.one_class_error() {
        return Err(e);
    }
    let drivers = &accounts.drivers;
    let refs = model::references(drivers)?;
    let skip: Vec<bool> = drivers.iter().map(|d| d.constant).collect();
    // The univariate tests and the model need nothing from each other.
    let (univariate, outcome) = rayon::join(
        || -> Vec<Univariate> {
            let u = drivers
                .par_iter()
                .zip(&refs)
                .map(|(d, &r)| univariate::screen(d, churned, cfg.bins, r))
                .collect();
            crate::timing::mark("univariate tests");
            u
        },
        || {
            let params = LogitParams {
                references: &refs,
                skip: &skip,
            };
            let o = params.fit(drivers, churned);
            crate::timing::mark("model and LR tests");
            o
        },
    );
    let fitted = outcome?;
    let outcome_model = match &cfg.outcome {
        Some(col) => outcome_ols(drivers, col, &refs),
        None => None,
    };
    Ok(report(drivers, univariate, fitted, outcome_model, cfg))
}

/// The driver stage's report from its parts, whichever path computed them
/// (the rows in memory, or an engine's aggregates): the q-values, the
/// verdicts, the correlations and confounding, and the warnings.
pub fn report<D: DriverInfo>(
    drivers: &[D],
    mut univariate: Vec<Univariate>,
    fitted: Option<FittedLogit>,
    outcome_model: Option<OutcomeModel>,
    cfg: &AnalysisConfig,
) -> DriverReport {
    let p: Vec<f64> = univariate.iter().map(|u| u.p_value).collect();
    for (u, q) in univariate.iter_mut().zip(adjust(&p, cfg.correction)) {
        u.q_value = q;
    }
    let mut warnings = Vec::new();
    for d in drivers.iter().filter(|d| d.constant()) {
        let column = &d.config().column;
        warnings.push(Warning {
            kind: "driver_constant".into(),
            column: Some(column.clone()),
            rows: d.present(),
            message: if d.present() == 0 {
                format!(
                    "{column} has no values (every row is blank), so it is left out of the tests and the model"
                )
            } else {
                format!("{column} does not vary, so it is left out of the tests and the model")
            },
        });
    }
    // A categorical driver's rate rows are its levels present, with their counts.
    for u in univariate
        .iter()
        .filter(|u| u.kind == DriverKind::Categorical)
    {
        for r in u.rates.iter().filter(|r| r.n < 10) {
            let (lev, n) = (&r.level, r.n);
            warnings.push(Warning {
                kind: "sparse_level".into(),
                column: Some(u.driver.clone()),
                rows: n,
                message: format!(
                    "{} = {lev} has only {n} account{}: its estimate is imprecise; consider merging it with a similar level",
                    u.driver,
                    if n == 1 { "" } else { "s" }
                ),
            });
        }
    }
    let (model, drivers_out, correlations, confounding) = match fitted {
        None => (
            None,
            evidence(drivers, &univariate, None, cfg),
            Correlations::default(),
            Vec::new(),
        ),
        Some(o) => {
            if o.model.n_dropped_missing > 0 {
                warnings.push(Warning {
                    kind: "model_complete_cases".into(),
                    column: None,
                    rows: o.model.n_dropped_missing,
                    message: format!(
                        "the model uses the {} accounts with every driver present; {} left out for a missing value ({})",
                        o.model.n,
                        o.model.n_dropped_missing,
                        o.model
                            .missing_by_driver
                            .iter()
                            .map(|(c, n)| format!("{c}: {n}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
            for t in &o.model.dropped_terms {
                warnings.push(Warning {
                    kind: "term_dropped".into(),
                    column: Some(t.term.clone()),
                    rows: 0,
                    message: format!("{} left out of the model: {}", t.term, t.reason),
                });
            }
            let ev = evidence(drivers, &univariate, Some(&o), cfg);
            let corr = correlations(drivers, &o);
            let conf = confounding(drivers, &ev, &o);
            (Some(o.model), ev, corr, conf)
        }
    };
    DriverReport {
        alpha: cfg.alpha,
        correction: cfg.correction,
        univariate,
        model,
        drivers: drivers_out,
        correlations,
        confounding,
        outcome_model,
        warnings,
    }
}

fn evidence<D: DriverInfo>(
    drivers: &[D],
    uni: &[Univariate],
    o: Option<&FittedLogit>,
    cfg: &AnalysisConfig,
) -> Vec<DriverEvidence> {
    let lr_p: Vec<f64> = (0..drivers.len())
        .map(|k| o.and_then(|o| o.lr[k]).map_or(f64::NAN, |t| t.p_value))
        .collect();
    let q = adjust(&lr_p, cfg.correction);
    drivers
        .iter()
        .enumerate()
        .map(|(k, d)| {
            let coefs: Vec<&Coefficient> = o.map_or(Vec::new(), |o| {
                o.model
                    .coefficients
                    .iter()
                    .filter(|c| c.driver.as_deref() == Some(d.config().column.as_str()))
                    .collect()
            });
            let lr = o.and_then(|o| o.lr[k]);
            let single = coefs.len() == 1 && coefs[0].level.is_none();
            let biggest = coefs
                .iter()
                .filter_map(|c| c.ame_pp)
                .max_by(|a, b| a.abs().total_cmp(&b.abs()));
            let ame_per_sd = if single { coefs[0].ame_per_sd_pp } else { None };
            let qk = (!q[k].is_nan()).then_some(q[k]);
            let significant = qk.is_some_and(|q| q < cfg.alpha);
            let univariate_significant = uni[k].q_value < cfg.alpha;
            DriverEvidence {
                driver: d.config().column.clone(),
                label: d.config().display_label().to_string(),
                kind: d.config().kind,
                controllable: d.config().controllable,
                indicator: d.config().indicator,
                in_model: !coefs.is_empty(),
                terms: coefs.iter().map(|c| c.term.clone()).collect(),
                lr_statistic: lr.map(|t| t.statistic),
                df: lr.map(|t| t.df),
                p_value: lr.map(|t| t.p_value),
                q_value: qk,
                significant,
                ame_pp: if single { coefs[0].ame_pp } else { biggest },
                ame_per_sd_pp: ame_per_sd,
                impact_pp: if single { ame_per_sd } else { biggest },
                univariate_q: uni[k].q_value,
                univariate_significant,
                note: o.and_then(|o| o.excluded[k].clone()),
                verdict: DriverVerdict::of(!coefs.is_empty(), significant, univariate_significant),
            }
        })
        .collect()
}

/// Association between two drivers: the largest |r| over their term pairs.
fn driver_assoc(o: &FittedLogit, a: usize, b: usize) -> Option<f64> {
    let mut best: Option<f64> = None;
    for (i, ti) in o.terms.iter().enumerate() {
        if ti.driver != a {
            continue;
        }
        for (j, tj) in o.terms.iter().enumerate() {
            if tj.driver != b {
                continue;
            }
            let r = o.term_corr[i][j];
            if best.map_or(true, |b: f64| r.abs() > b.abs()) {
                best = Some(r);
            }
        }
    }
    best
}

fn correlations<D: DriverInfo>(drivers: &[D], o: &FittedLogit) -> Correlations {
    let idx: Vec<usize> = o
        .terms
        .iter()
        .enumerate()
        .filter(|(_, t)| !t.dummy)
        .map(|(i, _)| i)
        .collect();
    Correlations {
        drivers: idx
            .iter()
            .map(|&i| drivers[o.terms[i].driver].config().column.clone())
            .collect(),
        matrix: idx
            .iter()
            .map(|&i| idx.iter().map(|&j| o.term_corr[i][j]).collect())
            .collect(),
        n: o.model.n,
    }
}

fn confounding<D: DriverInfo>(
    drivers: &[D],
    ev: &[DriverEvidence],
    o: &FittedLogit,
) -> Vec<Confounding> {
    let mut out = Vec::new();
    for (k, e) in ev.iter().enumerate() {
        let Some(q) = e.q_value else { continue };
        if !e.univariate_significant || e.significant {
            continue;
        }
        let mut assoc: Vec<(String, f64, bool)> = (0..drivers.len())
            .filter(|&b| b != k)
            .filter_map(|b| {
                driver_assoc(o, k, b)
                    .map(|r| (drivers[b].config().column.clone(), r, ev[b].significant))
            })
            .collect();
        assoc.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
        let strong: Vec<(String, f64)> = assoc
            .iter()
            .filter(|a| a.1.abs() >= 0.3)
            .take(2)
            .map(|a| (a.0.clone(), a.1))
            .collect();
        let top: Vec<(String, f64)> = if strong.is_empty() {
            assoc.iter().take(1).map(|a| (a.0.clone(), a.1)).collect()
        } else {
            strong
        };
        let label = |c: &str| {
            drivers
                .iter()
                .find(|d| d.config().column == c)
                .map_or(c.to_string(), |d| d.config().display_label().to_string())
        };
        let names = top
            .iter()
            .map(|(c, r)| format!("{} (r = {:+.2})", label(c), r))
            .collect::<Vec<_>>()
            .join(" and ");
        let message = if top.iter().any(|t| t.1.abs() >= 0.3) {
            format!(
                "{} is associated with churn on its own (q {}) but not once the other drivers are in the model (LR q {}). It moves together with {names}, which most likely carries the effect: treat {} as a symptom, not a lever.",
                e.label,
                crate::format::p_is(e.univariate_q),
                crate::format::p_is(q),
                e.label
            )
        } else {
            format!(
                "{} is associated with churn on its own (q {}) but not once the other drivers are in the model (LR q {}); no single driver is strongly correlated with it (strongest: {names}), so the overlap is spread over several drivers.",
                e.label,
                crate::format::p_is(e.univariate_q),
                crate::format::p_is(q)
            )
        };
        out.push(Confounding {
            driver: e.driver.clone(),
            univariate_q: e.univariate_q,
            model_q: q,
            correlated_with: top,
            message,
        });
    }
    out
}

/// OLS of the outcome driver on the other (non-constant) drivers, complete cases.
fn outcome_ols(drivers: &[Driver], outcome: &str, refs: &[usize]) -> Option<OutcomeModel> {
    let oi = drivers.iter().position(|d| d.config.column == outcome)?;
    let DriverValues::Numeric(yv) = &drivers[oi].values else {
        return None;
    };
    let skip: Vec<bool> = drivers
        .iter()
        .enumerate()
        .map(|(k, d)| k == oi || d.constant)
        .collect();
    // Reuse the design builder with "churned" = outcome present, then filter.
    let present: Vec<bool> = yv.iter().map(|v| !v.is_nan()).collect();
    let (design, terms, _) = design::build_design(drivers, &present, refs, &skip);
    let rows_used: Vec<usize> = (0..yv.len())
        .filter(|&i| {
            drivers
                .iter()
                .zip(&skip)
                .all(|(d, s)| *s || d.is_present(i))
        })
        .collect();
    let keep_rows: Vec<usize> = (0..design.n).filter(|&r| design.y[r] > 0.5).collect();
    let (_, cov) = design::column_moments(&design);
    let (kept, dropped_terms) = design::screen_columns(&terms, &cov, drivers);
    let n = keep_rows.len();
    let mut x = ndarray::Array2::zeros((n, kept.len()));
    let mut y = ndarray::Array1::zeros(n);
    for (r, &row) in keep_rows.iter().enumerate() {
        for (c, &j) in kept.iter().enumerate() {
            x[[r, c]] = design.x[j * design.n + row];
        }
        y[r] = yv[rows_used[row]];
    }
    let names: Vec<String> = kept.iter().map(|&j| terms[j - 1].name.clone()).collect();
    let fit = ols(x, y, &names)?;
    Some(OutcomeModel {
        outcome: outcome.to_string(),
        n_dropped_missing: yv.len() - n,
        dropped_terms,
        fit,
    })
}
