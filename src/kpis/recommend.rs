//! The effectiveness-KPI recommendation: which drivers a customer-success team
//! should be held to. A driver is recommended when the multivariable model
//! finds it (per-driver LR test, q < alpha), its effect is material, and the
//! team controls it; recommended drivers are ranked by ARR at stake.

use rayon::prelude::*;
use serde::Serialize;

use crate::config::{DriverKind, Indicator, KpiConfig};
use crate::data::{Accounts, DriverValues, MISSING};
use crate::drivers::DriverReport;

/// The outcome for one candidate driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Recommended,
    /// Recommended on the evidence, but the list is capped.
    BeyondCap,
    NotControllable,
    EffectTooSmall,
    /// Significant alone, not in the model: another driver carries it.
    Confounded,
    NotSignificant,
    Separation,
    NotInModel,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Recommended => "recommended",
            Verdict::BeyondCap => "beyond the cap",
            Verdict::NotControllable => "track, don't target",
            Verdict::EffectTooSmall => "effect too small",
            Verdict::Confounded => "confounded",
            Verdict::NotSignificant => "not significant",
            Verdict::Separation => "separation",
            Verdict::NotInModel => "not in the model",
        }
    }
}

/// One candidate driver's verdict with its evidence. Effects are fractions of
/// churn probability (0.05 = 5 percentage points).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub driver: String,
    pub label: String,
    pub kind: DriverKind,
    pub controllable: bool,
    pub indicator: Indicator,
    pub verdict: Verdict,
    /// One sentence saying why.
    pub reason: String,
    /// q-value of the per-driver LR test in the multivariable model.
    pub q_value: Option<f64>,
    pub univariate_q: f64,
    /// The effect judged against the floor: AME per SD (numeric, ordinal),
    /// AME of yes vs no (binary), or the largest level AME (categorical).
    pub ame: Option<f64>,
    pub ame_basis: &'static str,
    /// Expected churned ARR avoided under the counterfactual (model-based).
    pub arr_at_stake: Option<f64>,
    /// Expected churned accounts avoided under the same counterfactual.
    pub churn_avoided: Option<f64>,
    /// The counterfactual in words.
    pub counterfactual: Option<String>,
    /// Higher values of the driver are better (lower churn).
    pub higher_is_better: Option<bool>,
    /// 1-based rank among recommended drivers.
    pub rank: Option<usize>,
}

/// The recommendation over every configured driver.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    pub alpha: f64,
    pub effect_floor: f64,
    pub max_recommended: usize,
    /// Accounts the counterfactual runs over (the model's complete cases).
    pub accounts: usize,
    /// How ARR at stake is computed.
    pub method: String,
    /// Recommended first (by ARR at stake), then the rest in config order.
    pub candidates: Vec<Candidate>,
}

impl Recommendation {
    pub fn recommended(&self) -> impl Iterator<Item = &Candidate> {
        self.candidates
            .iter()
            .filter(|c| c.verdict == Verdict::Recommended)
    }
}

const METHOD: &str = "ARR at stake is model-based: with the fitted multivariable model, each account's churn probability is recomputed with the driver moved to the counterfactual and every other driver as observed; the sum of ARR × (fitted − counterfactual probability) is the churned ARR expected to be avoided over a window like the study's. Numeric and ordinal drivers: accounts on the worse side of the median move to the median. Yes/no drivers: accounts on the worse level move to the better one. Categorical drivers: accounts in levels with higher fitted churn than the most common level move to it. It is an association-based estimate, not a causal guarantee.";

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Per-account linear predictor of the model (NaN where a row is not a
/// complete case), in parallel chunks of rows; each row sums the
/// coefficients in the model's order.
fn linear_predictor(a: &Accounts, r: &DriverReport) -> Option<Vec<f64>> {
    /// One coefficient and the column it multiplies.
    enum Part<'a> {
        Intercept(f64),
        Value(f64, &'a [f64]),
        Level(f64, &'a [u32], u32),
    }
    let m = r.model.as_ref()?;
    let used: Vec<usize> = (0..a.drivers.len())
        .filter(|&k| !a.drivers[k].constant)
        .collect();
    let parts: Vec<Part> = m
        .coefficients
        .iter()
        .map(|c| match (&c.driver, &c.level) {
            (None, _) => Some(Part::Intercept(c.estimate)),
            (Some(col), level) => {
                let d = a.drivers.iter().find(|d| &d.config.column == col)?;
                match (&d.values, level) {
                    (DriverValues::Numeric(v), None) => Some(Part::Value(c.estimate, v)),
                    (DriverValues::Categorical(cat), Some(l)) => {
                        let j = cat.levels.iter().position(|x| x == l)? as u32;
                        Some(Part::Level(c.estimate, &cat.codes, j))
                    }
                    _ => None,
                }
            }
        })
        .collect::<Option<_>>()?;
    const CHUNK: usize = 16 * 1024;
    let mut eta = vec![0.0; a.len()];
    eta.par_chunks_mut(CHUNK).enumerate().for_each(|(c, out)| {
        for (j, e) in out.iter_mut().enumerate() {
            let i = c * CHUNK + j;
            if !used.iter().all(|&k| a.drivers[k].is_present(i)) {
                *e = f64::NAN;
                continue;
            }
            let mut v = 0.0;
            for p in &parts {
                match p {
                    Part::Intercept(b) => v += b,
                    Part::Value(b, x) => v += b * x[i],
                    Part::Level(b, codes, level) => {
                        if codes[i] == *level {
                            v += b;
                        }
                    }
                }
            }
            *e = v;
        }
    });
    Some(eta)
}

/// Median of the present values at complete-case rows.
fn median(v: &[f64], eta: &[f64]) -> Option<f64> {
    let mut s: Vec<f64> = v
        .iter()
        .zip(eta)
        .filter(|(x, e)| !x.is_nan() && !e.is_nan())
        .map(|(x, _)| *x)
        .collect();
    if s.is_empty() {
        return None;
    }
    Some(crate::drivers::univariate::quantile_select(&mut s, 0.5))
}

struct Stake {
    arr: Option<f64>,
    accounts: f64,
    text: String,
    higher_is_better: bool,
}

/// Shifts in the linear predictor per account under the driver's counterfactual.
fn stake(a: &Accounts, r: &DriverReport, eta: &[f64], fitted: &[f64], k: usize) -> Option<Stake> {
    let m = r.model.as_ref()?;
    let d = &a.drivers[k];
    let col = &d.config.column;
    let coefs: Vec<_> = m
        .coefficients
        .iter()
        .filter(|c| c.driver.as_deref() == Some(col.as_str()))
        .collect();
    if coefs.is_empty() {
        return None;
    }
    let label = d.config.display_label();
    let (shift, text, higher): (Vec<f64>, String, bool) = match &d.values {
        DriverValues::Numeric(v) => {
            let b = coefs[0].estimate;
            let higher = b < 0.0;
            if d.config.kind == DriverKind::Binary {
                let better = if higher { 1.0 } else { 0.0 };
                let s = v.iter().map(|&x| b * (better - x)).collect();
                let lvl = if higher { "yes" } else { "no" };
                (s, format!("every account moved to {label} = {lvl}"), higher)
            } else {
                let med = median(v, eta)?;
                let s = v
                    .iter()
                    .map(|&x| {
                        if (higher && x < med) || (!higher && x > med) {
                            b * (med - x)
                        } else {
                            0.0
                        }
                    })
                    .collect();
                let side = if higher { "below" } else { "above" };
                (
                    s,
                    format!(
                        "every account {side} the median {label} ({}) moved to the median",
                        crate::report::format::sig(med)
                    ),
                    higher,
                )
            }
        }
        DriverValues::Categorical(cat) => {
            // Level effects relative to the reference (0 for it).
            let effect: Vec<f64> = cat
                .levels
                .iter()
                .map(|l| {
                    coefs
                        .iter()
                        .find(|c| c.level.as_deref() == Some(l.as_str()))
                        .map_or(0.0, |c| c.estimate)
                })
                .collect();
            let target = effect[0]; // levels are ordered by frequency
            let s = cat
                .codes
                .iter()
                .map(|&c| {
                    if c == MISSING {
                        0.0
                    } else {
                        (target - effect[c as usize]).min(0.0)
                    }
                })
                .collect();
            (
                s,
                format!(
                    "every account in a {label} level with higher fitted churn moved to the most common level, {}",
                    cat.levels[0]
                ),
                true,
            )
        }
    };
    let weight = a.revenue.as_ref().map(|r| &r.values);
    let (mut arr, mut acc) = (0.0, 0.0);
    for (i, (&e, &s)) in eta.iter().zip(&shift).enumerate() {
        if e.is_nan() || s == 0.0 {
            continue;
        }
        let dp = fitted[i] - sigmoid(e + s);
        acc += dp;
        if let Some(w) = weight {
            if !w[i].is_nan() {
                arr += w[i] * dp;
            }
        }
    }
    Some(Stake {
        arr: weight.map(|_| arr),
        accounts: acc,
        text,
        higher_is_better: higher,
    })
}

/// Judges every driver in `r` (from [`crate::drivers::analyse`] on `a`).
pub fn recommend(a: &Accounts, r: &DriverReport, cfg: &KpiConfig) -> Recommendation {
    let eta = linear_predictor(a, r);
    // Each account's fitted churn probability, shared by every counterfactual.
    let fitted: Option<Vec<f64>> = eta
        .as_ref()
        .map(|eta| eta.par_iter().map(|&e| sigmoid(e)).collect());
    let floor = cfg.effect_floor_pp / 100.0;
    let label_of = |col: &str| {
        r.drivers
            .iter()
            .find(|e| e.driver == col)
            .map_or(col.to_string(), |e| e.label.clone())
    };
    let sep = r.model.as_ref().and_then(|m| m.separation.as_ref());
    // Each driver's counterfactual is a pass over every account: side by side.
    let mut cands: Vec<Candidate> = r
        .drivers
        .par_iter()
        .enumerate()
        .map(|(k, e)| {
            let (ame_pp, basis) = match e.kind {
                DriverKind::Binary => (e.ame_pp, "AME, yes vs no"),
                DriverKind::Numeric | DriverKind::Ordinal => (e.ame_per_sd_pp, "AME per SD"),
                DriverKind::Categorical => (e.impact_pp, "largest level AME"),
            };
            let ame = ame_pp.map(|x| x / 100.0);
            let st = eta
                .as_ref()
                .zip(fitted.as_ref())
                .and_then(|(eta, fitted)| stake(a, r, eta, fitted, k));
            let q = e.q_value;
            let qs = q.map_or("n/a".to_string(), crate::report::format::p_is);
            let (verdict, reason) = if !e.in_model {
                (
                    Verdict::NotInModel,
                    format!(
                        "Not in the model: {}.",
                        e.note.as_deref().unwrap_or("it could not be estimated")
                    ),
                )
            } else if let Some(s) = sep.filter(|s| s.drivers.contains(&e.driver)) {
                (
                    Verdict::Separation,
                    format!("Separation — see note: {}", s.message),
                )
            } else if !e.significant {
                match r.confounding.iter().find(|c| c.driver == e.driver) {
                    Some(c) => {
                        let names: Vec<String> =
                            c.correlated_with.iter().map(|(d, _)| label_of(d)).collect();
                        (
                            Verdict::Confounded,
                            format!(
                                "Not significant once {} is accounted for (alone q {}, in the model q {qs}): a symptom, not a lever.",
                                names.join(" and "),
                                crate::report::format::p_is(e.univariate_q)
                            ),
                        )
                    }
                    None => (
                        Verdict::NotSignificant,
                        format!(
                            "Not significant in the multivariable model (q {qs}, alpha = {}).",
                            r.alpha
                        ),
                    ),
                }
            } else if ame.map_or(true, |x| x.abs() < floor) {
                (
                    Verdict::EffectTooSmall,
                    format!(
                        "Effect too small: {} of {} pp is below the {} pp floor.",
                        basis,
                        ame_pp.map_or("n/a".into(), |x| format!("{x:+.2}")),
                        cfg.effect_floor_pp
                    ),
                )
            } else if !e.controllable {
                (
                    Verdict::NotControllable,
                    "Significant but not controllable — track, don't target.".to_string(),
                )
            } else {
                (
                    Verdict::Recommended,
                    format!(
                        "Recommended: significant in the model (q {qs}) with a material effect ({basis} {:+.1} pp) and controllable.",
                        ame_pp.unwrap_or(f64::NAN)
                    ),
                )
            };
            Candidate {
                driver: e.driver.clone(),
                label: e.label.clone(),
                kind: e.kind,
                controllable: e.controllable,
                indicator: e.indicator,
                verdict,
                reason,
                q_value: q,
                univariate_q: e.univariate_q,
                ame,
                ame_basis: basis,
                arr_at_stake: st.as_ref().and_then(|s| s.arr),
                churn_avoided: st.as_ref().map(|s| s.accounts),
                counterfactual: st.as_ref().map(|s| s.text.clone()),
                higher_is_better: st.as_ref().map(|s| s.higher_is_better),
                rank: None,
            }
        })
        .collect();
    // Rank recommended drivers by ARR at stake (expected accounts without revenue).
    let key = |c: &Candidate| c.arr_at_stake.or(c.churn_avoided).unwrap_or(0.0);
    let mut rec: Vec<usize> = (0..cands.len())
        .filter(|&i| cands[i].verdict == Verdict::Recommended)
        .collect();
    rec.sort_by(|&i, &j| key(&cands[j]).total_cmp(&key(&cands[i])).then(i.cmp(&j)));
    for (rank, &i) in rec.iter().enumerate() {
        if rank < cfg.max_recommended {
            cands[i].rank = Some(rank + 1);
        } else {
            cands[i].verdict = Verdict::BeyondCap;
            cands[i].reason = format!(
                "Meets every test but the list is capped at {} KPIs (kpis.max_recommended); it ranks {} by ARR at stake.",
                cfg.max_recommended,
                rank + 1
            );
        }
    }
    let mut order: Vec<usize> = rec.clone();
    order.extend((0..cands.len()).filter(|i| !rec.contains(i)));
    let accounts = eta
        .as_ref()
        .map_or(0, |e| e.iter().filter(|x| !x.is_nan()).count());
    let candidates = order.into_iter().map(|i| cands[i].clone()).collect();
    Recommendation {
        alpha: r.alpha,
        effect_floor: floor,
        max_recommended: cfg.max_recommended,
        accounts,
        method: METHOD.to_string(),
        candidates,
    }
}
