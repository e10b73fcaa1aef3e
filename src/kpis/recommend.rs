//! The effectiveness-KPI recommendation: which drivers a customer-success team
//! should be held to. A driver is recommended when the multivariable model
//! finds it (per-driver LR test, q < alpha), its effect is material, and the
//! team controls it; recommended drivers are ranked by ARR at stake, which
//! the fitted model gives by scoring every account with the driver moved to
//! its counterfactual.

use rayon::prelude::*;
use serde::Serialize;

use super::counterfactual::{counterfactual, stake_of_accounts, Spread, Stake};
use crate::config::{DriverKind, Indicator, KpiConfig};
use crate::data::{Accounts, DriverValues};
use crate::drivers::DriverReport;
use crate::stats::logit::sigmoid;

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

const METHOD: &str = "ARR at stake is model-based: with the fitted multivariable model, each account's churn probability is recomputed with the driver moved to the counterfactual and every other driver as observed; the sum of ARR × (fitted − counterfactual probability) is the churned ARR expected to be avoided over a window like the study's. Numeric and ordinal drivers: accounts on the worse side of the median move to the median; where no account is on its worse side (the median is at the worse end of the range, as with most accounts at zero referrals) the 75th percentile (the 25th when lower is better) is used instead, and the counterfactual says so. Yes/no drivers: accounts on the worse level move to the better one. Categorical drivers: accounts in levels with higher fitted churn than the most common level move to it. It is an association-based estimate, not a causal guarantee.";

/// Judges every driver in `r` (from [`crate::drivers::analyse`] on `a`),
/// the counterfactuals summed in memory.
pub fn recommend(a: &Accounts, r: &DriverReport, cfg: &KpiConfig) -> Recommendation {
    let eta = r.model.as_ref().and_then(|m| m.eta(&a.drivers));
    // Each account's fitted churn probability, shared by every counterfactual.
    let fitted: Option<Vec<f64>> = eta
        .as_ref()
        .map(|eta| eta.par_iter().map(|&e| sigmoid(e)).collect());
    // Each driver's counterfactual is a pass over every account: side by side.
    let stakes: Vec<Option<Stake>> = (0..r.drivers.len())
        .into_par_iter()
        .map(|k| {
            let (m, eta, fitted) = (r.model.as_ref()?, eta.as_ref()?, fitted.as_ref()?);
            let d = a.drivers.get(k)?;
            let coefs: Vec<(f64, Option<u32>)> = m
                .terms_of(k)
                .into_iter()
                .map(|(c, code)| (c.estimate, code))
                .collect();
            let spread = match &d.values {
                DriverValues::Numeric(v) if d.config.kind != DriverKind::Binary => {
                    Spread::of(v, eta)
                }
                _ => None,
            };
            let cf = counterfactual(d, &coefs, spread.as_ref())?;
            Some(stake_of_accounts(a, k, cf, eta, fitted))
        })
        .collect();
    let accounts = eta
        .as_ref()
        .map_or(0, |e| e.iter().filter(|x| !x.is_nan()).count());
    judge(r, cfg, stakes, accounts)
}

/// Judges every driver in `r` given each one's `stakes` (by driver index;
/// `None` where there is no counterfactual) over the model's `accounts`
/// complete cases: in memory ([`recommend`]) and on an engine alike.
pub fn judge(
    r: &DriverReport,
    cfg: &KpiConfig,
    stakes: Vec<Option<Stake>>,
    accounts: usize,
) -> Recommendation {
    let floor = cfg.effect_floor_pp / 100.0;
    let label_of = |col: &str| {
        r.drivers
            .iter()
            .find(|e| e.driver == col)
            .map_or(col.to_string(), |e| e.label.clone())
    };
    let sep = r.model.as_ref().and_then(|m| m.separation.as_ref());
    let mut stakes = stakes;
    stakes.resize(r.drivers.len(), None);
    let mut cands: Vec<Candidate> = r
        .drivers
        .iter()
        .zip(stakes)
        .map(|(e, st)| {
            let (ame_pp, basis) = match e.kind {
                DriverKind::Binary => (e.ame_pp, "AME, yes vs no"),
                DriverKind::Numeric | DriverKind::Ordinal => (e.ame_per_sd_pp, "AME per SD"),
                DriverKind::Categorical => (e.impact_pp, "largest level AME"),
            };
            let ame = ame_pp.map(|x| x / 100.0);
            let q = e.q_value;
            let qs = q.map_or("n/a".to_string(), crate::format::p_is);
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
                                crate::format::p_is(e.univariate_q)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StudyConfig;

    fn demo() -> (StudyConfig, crate::data::Study, DriverReport) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo/study.toml");
        let cfg = StudyConfig::from_path(&path).expect("demo config");
        let study = crate::data::load_study(&cfg).expect("demo study");
        let r = crate::drivers::analyse(&study.accounts, &cfg.analysis).expect("drivers");
        (cfg, study, r)
    }

    /// ARR at stake, recomputed here from the coefficient table by its
    /// definition: Σ ARR × (p(η) − p(η + β (x* − x))) over the complete
    /// cases on the driver's worse side, x* the better level (yes/no) or the
    /// median (numeric).
    #[test]
    fn arr_at_stake_follows_its_definition() {
        let (cfg, study, r) = demo();
        let rec = recommend(&study.accounts, &r, &cfg.kpis);
        let m = r.model.as_ref().unwrap();
        let a = &study.accounts;
        let eta = m.eta(&a.drivers).unwrap();
        let arr = &a.revenue.as_ref().unwrap().values;
        for col in ["exec_sponsor", "training_quality"] {
            let k = a
                .drivers
                .iter()
                .position(|d| d.config.column == col)
                .unwrap();
            let DriverValues::Numeric(x) = &a.drivers[k].values else {
                panic!("{col} is numeric")
            };
            let b = m
                .coefficients
                .iter()
                .find(|c| c.term == col)
                .unwrap()
                .estimate;
            let target = if a.drivers[k].config.kind == DriverKind::Binary {
                if b < 0.0 {
                    1.0
                } else {
                    0.0
                }
            } else {
                let mut v: Vec<f64> = x
                    .iter()
                    .zip(&eta)
                    .filter(|(x, e)| !x.is_nan() && !e.is_nan())
                    .map(|(x, _)| *x)
                    .collect();
                v.sort_by(f64::total_cmp);
                let h = (v.len() - 1) as f64 * 0.5;
                let lo = h.floor() as usize;
                v[lo] + (h - lo as f64) * (v[(lo + 1).min(v.len() - 1)] - v[lo])
            };
            let mut want = 0.0;
            for i in 0..a.len() {
                let worse = if b < 0.0 {
                    x[i] < target
                } else {
                    x[i] > target
                };
                if eta[i].is_nan() || !worse || arr[i].is_nan() {
                    continue;
                }
                want += arr[i] * (sigmoid(eta[i]) - sigmoid(eta[i] + b * (target - x[i])));
            }
            let got = rec
                .candidates
                .iter()
                .find(|c| c.driver == col)
                .and_then(|c| c.arr_at_stake)
                .unwrap();
            assert!(
                (got - want).abs() <= 1e-9 * want.abs(),
                "{col}: {got} vs {want}"
            );
            assert!(got > 0.0, "{col} is a planted lever");
        }
    }

    /// Recommended drivers are ranked by ARR at stake; past the cap they
    /// become `BeyondCap` with the rank they would have had.
    #[test]
    fn ranking_and_cap() {
        let (mut cfg, study, r) = demo();
        let full = recommend(&study.accounts, &r, &cfg.kpis);
        let stakes: Vec<f64> = full
            .recommended()
            .map(|c| c.arr_at_stake.unwrap())
            .collect();
        assert!(stakes.len() >= 3);
        assert!(stakes.windows(2).all(|w| w[0] >= w[1]), "{stakes:?}");
        assert!(full
            .recommended()
            .enumerate()
            .all(|(i, c)| c.rank == Some(i + 1)));
        cfg.kpis.max_recommended = 2;
        let capped = recommend(&study.accounts, &r, &cfg.kpis);
        assert_eq!(capped.recommended().count(), 2);
        let beyond: Vec<&Candidate> = capped
            .candidates
            .iter()
            .filter(|c| c.verdict == Verdict::BeyondCap)
            .collect();
        assert_eq!(beyond.len(), stakes.len() - 2);
        assert!(beyond[0].reason.contains("ranks 3"), "{}", beyond[0].reason);
    }
}
