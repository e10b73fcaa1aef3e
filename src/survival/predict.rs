//! The fitted Cox model as a predictor: an account's chance of churning
//! between two tenures, given it was still a customer at the first,
//! 1 − S(t₁ | x) / S(t₀ | x) = 1 − exp(−(H₀(t₁) − H₀(t₀)) · exp((x − x̄)ᵀβ)),
//! with H₀ the Breslow baseline cumulative hazard at the centred covariates
//! (lifelines' `baseline_cumulative_hazard_`, R `basehaz(centered = TRUE)`),
//! and its refit on what was known at a cut-off date (the out-of-time
//! backtest).

use ndarray::Array2;

use crate::data::{Driver, DriverValues};
use crate::drivers::design::{build_design_rows, Term};
use crate::stats::dist::Z975;
use crate::stats::survival::cox::{self, CoxData, CoxFit, CoxParams, Prepared};
use crate::stats::survival::{Subjects, Ties};

/// What scoring needs from a Cox fit.
#[derive(Debug, Clone, PartialEq)]
pub struct CoxPredictor {
    /// The model's terms; `beta[k]` belongs to `terms[k]`.
    pub terms: Vec<Term>,
    pub beta: Vec<f64>,
    pub cov: Array2<f64>,
    /// The mean of each term over the model sample (the centre of H₀).
    pub centre: Vec<f64>,
    /// Per stratum, the event times ascending with H₀ just after each.
    pub baseline: Vec<Vec<(f64, f64)>>,
    /// Per account, its stratum code (`u32::MAX`: not in any).
    pub strata: Option<Vec<u32>>,
    pub ties: Ties,
    pub firth: bool,
    /// What the fit was built from, so it can be refitted on a censored copy.
    pub references: Vec<usize>,
    pub skip: Vec<bool>,
    /// Accounts in the model sample.
    pub n: usize,
    pub events: usize,
}

/// One prediction: the probability and its 95 % interval from the
/// uncertainty of β (the baseline's own is not included).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Risk {
    pub p: f64,
    pub low: f64,
    pub high: f64,
}

impl CoxPredictor {
    /// Builds the predictor of `fit` on the prepared data `pr` whose columns are `terms`.
    pub fn new(pr: &Prepared, fit: &CoxFit, terms: Vec<Term>, from: Basis) -> Self {
        let times = cox::event_times(pr, fit);
        let k = times
            .iter()
            .map(|t| t.stratum as usize + 1)
            .max()
            .unwrap_or(1);
        let mut baseline: Vec<Vec<(f64, f64)>> = vec![Vec::new(); k];
        let mut sorted: Vec<&cox::EventTime> = times.iter().collect();
        sorted.sort_by(|a, b| a.stratum.cmp(&b.stratum).then(a.time.total_cmp(&b.time)));
        for t in sorted {
            let b = &mut baseline[t.stratum as usize];
            let h = b.last().map_or(0.0, |x| x.1) + t.hazard;
            b.push((t.time, h));
        }
        CoxPredictor {
            terms,
            centre: fit.cols.iter().map(|&j| pr.means[j]).collect(),
            beta: fit.beta.clone(),
            cov: fit.cov.clone(),
            baseline,
            strata: from.strata,
            ties: fit.ties,
            firth: fit.firth,
            references: from.references,
            skip: from.skip,
            n: from.n,
            events: from.events,
        }
    }

    /// H₀ at tenure `t` in `stratum` (a step function, flat after the last event).
    pub fn cumulative_hazard(&self, stratum: u32, t: f64) -> f64 {
        let Some(b) = self.baseline.get(stratum as usize) else {
            return f64::NAN;
        };
        let k = b.partition_point(|x| x.0 <= t);
        if k == 0 {
            0.0
        } else {
            b[k - 1].1
        }
    }

    /// The last event time of `stratum`: beyond it H₀ is not estimated.
    pub fn last_event(&self, stratum: u32) -> f64 {
        self.baseline
            .get(stratum as usize)
            .and_then(|b| b.last())
            .map_or(0.0, |x| x.0)
    }

    /// Stratum of account `i` (0 without strata; `None`: in none).
    pub fn stratum_of(&self, i: usize) -> Option<u32> {
        match &self.strata {
            None => Some(0),
            Some(s) => (s[i] != u32::MAX).then_some(s[i]),
        }
    }

    /// The value of term `k` for account `i` of `drivers`; `None` when missing.
    pub fn term_value(&self, drivers: &[Driver], k: usize, i: usize) -> Option<f64> {
        let t = &self.terms[k];
        let d = &drivers[t.driver];
        if !d.is_present(i) {
            return None;
        }
        Some(match (&d.values, t.code) {
            (DriverValues::Numeric(v), _) => v[i],
            (DriverValues::Categorical(c), Some(j)) => f64::from(u8::from(c.codes[i] == j)),
            (DriverValues::Categorical(_), None) => 0.0,
        })
    }

    /// H₀(t1) − H₀(t0) in `stratum` (never negative).
    pub fn hazard_between(&self, stratum: u32, t0: f64, t1: f64) -> f64 {
        (self.cumulative_hazard(stratum, t1) - self.cumulative_hazard(stratum, t0)).max(0.0)
    }

    /// The centred linear predictor (x − x̄)ᵀβ.
    pub fn eta(&self, x: &[f64]) -> f64 {
        x.iter()
            .zip(&self.centre)
            .zip(&self.beta)
            .map(|((v, m), b)| (v - m) * b)
            .sum()
    }

    /// The chance of churning given the baseline hazard `dh` over the
    /// span and the centred linear predictor `eta`.
    pub fn p_of(dh: f64, eta: f64) -> f64 {
        1.0 - (-dh * eta.exp()).exp()
    }

    /// P(churn in (t0, t1] | a customer at t0) for the term values `x`.
    pub fn risk_between(&self, x: &[f64], stratum: u32, t0: f64, t1: f64) -> Risk {
        let dh = self.hazard_between(stratum, t0, t1);
        let xc: Vec<f64> = x.iter().zip(&self.centre).map(|(v, m)| v - m).collect();
        let eta: f64 = xc.iter().zip(&self.beta).map(|(a, b)| a * b).sum();
        let p = self.beta.len();
        let var: f64 = (0..p)
            .map(|a| {
                (0..p)
                    .map(|b| xc[a] * self.cov[[a, b]] * xc[b])
                    .sum::<f64>()
            })
            .sum();
        let se = var.max(0.0).sqrt();
        let at = |e: f64| Self::p_of(dh, e);
        Risk {
            p: at(eta),
            low: at(eta - Z975 * se),
            high: at(eta + Z975 * se),
        }
    }

    /// The model refitted on what was known when each account had tenure
    /// `cut[i]`: follow-up censored there, accounts not yet at risk by then
    /// (NaN, or entry at or after it) left out. Started from this fit's β.
    /// `None` when the censored data cannot carry the model (no event, a
    /// term that no longer varies, a singular fit).
    pub fn refit_censored(
        &self,
        drivers: &[Driver],
        durations: &crate::data::Durations,
        cut: &[f64],
    ) -> Option<CoxPredictor> {
        let entry_of = |i: usize| durations.entry.as_ref().map_or(0.0, |e| e[i]);
        let strata_ok = |i: usize| self.stratum_of(i).is_some();
        let keep = |i: usize| durations.exit[i].is_finite() && cut[i] > entry_of(i) && strata_ok(i);
        let (design, terms, rows) = build_design_rows(
            drivers,
            &durations.event,
            &self.references,
            &self.skip,
            keep,
        );
        let cols: Vec<usize> = self
            .terms
            .iter()
            .map(|t| terms.iter().position(|u| u.name == t.name).map(|j| j + 1))
            .collect::<Option<_>>()?;
        let exit: Vec<f64> = rows
            .iter()
            .map(|&i| durations.exit[i].min(cut[i]))
            .collect();
        let event: Vec<bool> = rows
            .iter()
            .map(|&i| durations.event[i] && durations.exit[i] <= cut[i])
            .collect();
        let events = event.iter().filter(|e| **e).count();
        if events == 0 {
            return None;
        }
        let entry: Option<Vec<f64>> = durations
            .entry
            .as_ref()
            .map(|_| rows.iter().map(|&i| entry_of(i)).collect());
        let strata: Option<Vec<u32>> = self
            .strata
            .as_ref()
            .map(|s| rows.iter().map(|&i| s[i]).collect());
        let data = CoxData {
            subjects: Subjects {
                entry: entry.as_deref(),
                exit: &exit,
                event: &event,
            },
            columns: cols.iter().map(|&j| design.column(j)).collect(),
            strata: strata.as_deref(),
        };
        let pr = Prepared::new(&data);
        if data.columns.iter().any(|c| c.iter().all(|v| *v == c[0])) {
            return None;
        }
        let all: Vec<usize> = (0..cols.len()).collect();
        let params = CoxParams {
            ties: self.ties,
            firth: self.firth,
            ..Default::default()
        };
        let fit = cox::fit_from(&pr, &all, &params, Some(&self.beta)).ok()?;
        if !fit.converged {
            return None;
        }
        let basis = Basis {
            strata: self.strata.clone(),
            references: self.references.clone(),
            skip: self.skip.clone(),
            n: rows.len(),
            events,
        };
        Some(CoxPredictor::new(&pr, &fit, self.terms.clone(), basis))
    }
}

/// What a predictor keeps of the data it was fitted on.
pub struct Basis {
    pub strata: Option<Vec<u32>>,
    pub references: Vec<usize>,
    pub skip: Vec<bool>,
    pub n: usize,
    pub events: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On the Rossi data with delayed entry and Breslow ties, the chance of
    /// an event between two times and its interval equal the definition
    /// computed with statsmodels' PHReg fit (tests/reference/cox_predict_reference.py).
    #[test]
    fn predictions_match_the_reference() {
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/reference/cox_predict.json"))
                .expect("json");
        let csv = include_str!("../../tests/data/survival/rossi.csv");
        let rows: Vec<Vec<f64>> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').map(|x| x.parse().expect("number")).collect())
            .collect();
        let exit: Vec<f64> = rows.iter().map(|r| r[0]).collect();
        let event: Vec<bool> = rows.iter().map(|r| r[1] == 1.0).collect();
        let entry: Vec<f64> = v["entry"]
            .as_array()
            .expect("entry")
            .iter()
            .map(|x| x.as_f64().expect("number"))
            .collect();
        let cols: Vec<Vec<f64>> = (2..9)
            .map(|j| rows.iter().map(|r| r[j]).collect())
            .collect();
        let data = CoxData {
            subjects: Subjects {
                entry: Some(&entry),
                exit: &exit,
                event: &event,
            },
            columns: cols.iter().map(|c| c.as_slice()).collect(),
            strata: None,
        };
        let pr = Prepared::new(&data);
        let params = CoxParams {
            ties: Ties::Breslow,
            ..Default::default()
        };
        let fit = cox::fit(&pr, &(0..7).collect::<Vec<_>>(), &params).expect("fit");
        let terms = (0..7)
            .map(|k| Term {
                name: format!("x{k}"),
                driver: k,
                level: None,
                code: None,
                dummy: false,
            })
            .collect();
        let basis = Basis {
            strata: None,
            references: vec![0; 7],
            skip: vec![false; 7],
            n: exit.len(),
            events: 0,
        };
        let pred = CoxPredictor::new(&pr, &fit, terms, basis);
        let close = |a: f64, b: f64, what: &str| {
            assert!(
                (a - b).abs() <= 1e-9 * b.abs().max(1e-12),
                "{what}: {a} vs {b}"
            );
        };
        for (b, r) in fit.beta.iter().zip(v["beta"].as_array().expect("beta")) {
            close(*b, r.as_f64().expect("b"), "beta");
        }
        for p in v["predictions"].as_array().expect("predictions") {
            let f = |k: &str| p[k].as_f64().expect(k);
            let i = f("row") as usize;
            let x: Vec<f64> = cols.iter().map(|c| c[i]).collect();
            let r = pred.risk_between(&x, 0, f("t0"), f("t1"));
            close(r.p, f("p"), "p");
            close(r.low, f("low"), "low");
            close(r.high, f("high"), "high");
        }
    }
}
