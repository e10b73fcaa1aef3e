//! Two readings of each driver set side by side — the logistic model of
//! churn in the window and the Cox model of the hazard over tenure — with
//! one sentence where they disagree; and the proportional-hazards check in
//! plain words, naming a driver whose effect fades or grows with tenure.

use serde::Serialize;

use super::model::{CoxReport, PhReport};
use crate::drivers::design::DriverInfo;
use crate::drivers::DriverReport;

/// A driver's two verdicts.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VerdictComparison {
    pub driver: String,
    pub label: String,
    /// Significant in the logistic model (`None`: not in it).
    pub logistic_significant: Option<bool>,
    /// Significant in the Cox model (`None`: not in it).
    pub cox_significant: Option<bool>,
    pub cox_q_value: Option<f64>,
    /// One sentence when the verdicts disagree.
    pub note: Option<String>,
}

/// The comparison for every driver in either model.
pub fn compare<D: DriverInfo>(
    logit: Option<&DriverReport>,
    cox: Option<&CoxReport>,
    drivers: &[D],
) -> Vec<VerdictComparison> {
    drivers
        .iter()
        .map(|d| {
            let col = &d.config().column;
            let l = logit
                .and_then(|r| r.drivers.iter().find(|e| &e.driver == col))
                .filter(|e| e.in_model)
                .map(|e| e.significant);
            let c = cox.and_then(|r| r.driver_tests.iter().find(|t| &t.driver == col));
            let cs = c.map(|t| t.significant);
            let q = c.map(|t| t.q_value);
            let note = match (l, cs) {
                (Some(true), Some(false)) => Some(format!(
                    "Its effect on churn in the window is an effect of tenure: once time at risk is accounted for, it does not change the hazard of churning (Cox LR q {}). Accounts differ in how long they have been exposed, and this driver goes with that, not with churn.",
                    crate::format::p_is(q.unwrap_or(f64::NAN))
                )),
                (Some(false), Some(true)) => Some(format!(
                    "It changes how soon accounts churn (Cox LR q {}), which the in-window churn flag does not pick up: an effect on timing within the window, or one hidden by unequal exposure.",
                    crate::format::p_is(q.unwrap_or(f64::NAN))
                )),
                _ => None,
            };
            VerdictComparison {
                driver: col.clone(),
                label: d.config().display_label().to_string(),
                logistic_significant: l,
                cox_significant: cs,
                cox_q_value: q,
                note,
            }
        })
        .filter(|v| v.logistic_significant.is_some() || v.cox_significant.is_some())
        .collect()
}

/// One warning per driver with a term whose PH test is significant at α,
/// saying whether the effect fades or grows with tenure and what to do.
pub fn ph_warnings<D: DriverInfo>(
    ph: Option<&PhReport>,
    cox: Option<&CoxReport>,
    drivers: &[D],
    alpha: f64,
) -> Vec<String> {
    let (Some(ph), Some(cox)) = (ph, cox) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for t in ph.terms.iter().filter(|t| t.p_value < alpha) {
        let Some(c) = cox.coefficients.iter().find(|c| c.term == t.term) else {
            continue;
        };
        if seen.contains(&c.driver.as_str()) {
            continue;
        }
        seen.push(c.driver.as_str());
        let label = drivers
            .iter()
            .find(|d| d.config().column == c.driver)
            .map_or(c.driver.as_str(), |d| d.config().display_label());
        let drift = if t.slope * c.estimate > 0.0 {
            "grows with tenure"
        } else {
            "fades with tenure"
        };
        out.push(format!(
            "{label}: its effect {drift} (PH test on `{}`, {} transform, χ² = {:.2}, p {}), so the single hazard ratio in the table is an average over the first months and the later ones. Stratify the model by it ([survival] strata) if it is a segment, or read its Kaplan–Meier curves, which show where the groups draw apart or come together.",
            t.term,
            ph.transform.as_str(),
            t.statistic,
            crate::format::p_is(t.p_value)
        ));
    }
    out
}
