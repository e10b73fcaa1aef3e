//! Scoring one account with the fitted Cox model: its term values (a
//! missing driver takes the study's typical value, and says so), its chance
//! of churning between two tenures, and its levers — the recommended
//! drivers on which it is worse than typical, with how far its chance
//! would fall at the typical value.

use serde::Serialize;

use crate::config::DriverKind;
use crate::data::{Driver, DriverValues};
use crate::survival::predict::{CoxPredictor, Risk};

/// One lever of one account.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Lever {
    pub driver: String,
    pub label: String,
    /// The account's value, and the value the lever is read at.
    pub value: f64,
    pub typical: f64,
    /// The change in the probability of churning at the typical value (< 0).
    pub change: f64,
    /// In words: "Onboarding completed: no (−12 pp if yes)".
    pub text: String,
}

/// What a driver's "typical" value is for scoring and levers.
pub(super) struct Typical {
    /// Per model term: the value a missing one takes.
    pub fill: Vec<f64>,
    /// Per model driver index used by a lever: (driver, typical value).
    pub lever_at: Vec<(usize, f64)>,
}

/// The typical values: the median of a numeric or ordinal driver, the
/// lower-hazard side of a yes/no one (for a lever; its more common side
/// fills a missing value), the most common level of a categorical one.
pub(super) fn typical(pred: &CoxPredictor, drivers: &[Driver], levers: &[usize]) -> Typical {
    let fill = pred
        .terms
        .iter()
        .map(|t| drivers[t.driver].typical(t.code))
        .collect();
    let lever_at = levers
        .iter()
        .filter_map(|&k| {
            let t = pred.terms.iter().position(|t| t.driver == k)?;
            lever_typical(&drivers[k], pred.beta[t]).map(|at| (k, at))
        })
        .collect();
    Typical { fill, lever_at }
}

/// Account `i`'s term values, and the drivers that were missing.
pub(super) fn row(
    pred: &CoxPredictor,
    drivers: &[Driver],
    typ: &Typical,
    i: usize,
) -> (Vec<f64>, Vec<String>) {
    let mut imputed: Vec<String> = Vec::new();
    let x = (0..pred.terms.len())
        .map(|k| {
            pred.term_value(drivers, k, i).unwrap_or_else(|| {
                let name = &drivers[pred.terms[k].driver].config.column;
                if !imputed.contains(name) {
                    imputed.push(name.clone());
                }
                typ.fill[k]
            })
        })
        .collect();
    (x, imputed)
}

/// A number as the lever text shows it.
fn shown(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round())
    } else if x.abs() < 10.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.0}")
    }
}

/// One lever in words, or `None` when the fall is under half a point (not
/// a lever worth naming): "Onboarding completed: no (−12 pp if yes)",
/// "Training quality (1-5) 2 (−7 pp at 4)".
pub(super) fn worded(d: &Driver, value: f64, typical: f64, change: f64) -> Option<Lever> {
    if change > -0.005 {
        return None;
    }
    let label = d.config.display_label().to_string();
    let pp = if change > -0.01 {
        format!("−{:.1} pp", -change * 100.0)
    } else {
        format!("−{:.0} pp", -change * 100.0)
    };
    let text = if d.config.kind == DriverKind::Binary {
        let yes = |v: f64| if v == 1.0 { "yes" } else { "no" };
        format!("{label}: {} ({pp} if {})", yes(value), yes(typical))
    } else {
        format!("{label} {} ({pp} at {})", shown(value), shown(typical))
    };
    Some(Lever {
        driver: d.config.column.clone(),
        label,
        value,
        typical,
        change,
        text,
    })
}

/// The median of a numeric driver, or for a yes/no one the side whose
/// coefficient `beta` makes it the lower-risk one.
pub(super) fn lever_typical(d: &Driver, beta: f64) -> Option<f64> {
    if !matches!(d.values, DriverValues::Numeric(_)) {
        return None;
    }
    let at = if d.config.kind == DriverKind::Binary {
        f64::from(u8::from(beta < 0.0))
    } else {
        d.median()
    };
    at.is_finite().then_some(at)
}

/// The account's levers, largest fall first: `risk` is its chance as
/// scored, `dh` the baseline hazard over its span (moving one driver
/// changes the linear predictor by βₖ (typical − xₖ) and nothing else).
pub(super) fn levers(
    pred: &CoxPredictor,
    drivers: &[Driver],
    typ: &Typical,
    x: &[f64],
    risk: Risk,
    dh: f64,
) -> Vec<Lever> {
    let eta = pred.eta(x);
    let mut out: Vec<Lever> = typ
        .lever_at
        .iter()
        .filter_map(|&(k, typical)| {
            let t = pred.terms.iter().position(|t| t.driver == k)?;
            // Worse than typical: moving there lowers the hazard.
            if pred.beta[t] * (x[t] - typical) <= 0.0 {
                return None;
            }
            let moved = eta + pred.beta[t] * (typical - x[t]);
            let change = CoxPredictor::p_of(dh, moved) - risk.p;
            worded(&drivers[k], x[t], typical, change)
        })
        .collect();
    out.sort_by(|a, b| a.change.total_cmp(&b.change).then(a.driver.cmp(&b.driver)));
    out
}
