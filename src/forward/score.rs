//! Scoring one account with the fitted Cox model: its term values (a
//! missing driver takes the study's typical value, and says so), its chance
//! of churning between two tenures, and its levers — the recommended
//! drivers on which it is worse than typical, with how far its chance
//! would fall at the typical value.

use super::rows::{sort_levers, LeverAt};
use crate::config::DriverKind;
use crate::data::{Driver, DriverValues};
use crate::survival::predict::{CoxPredictor, Risk};

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

/// Account `i`'s term values, and the study drivers that were missing.
pub(super) fn row(
    pred: &CoxPredictor,
    drivers: &[Driver],
    typ: &Typical,
    i: usize,
) -> (Vec<f64>, Vec<u16>) {
    let mut imputed: Vec<u16> = Vec::new();
    let x = (0..pred.terms.len())
        .map(|k| {
            pred.term_value(drivers, k, i).unwrap_or_else(|| {
                let d = u16::try_from(pred.terms[k].driver).unwrap_or(u16::MAX);
                if !imputed.contains(&d) {
                    imputed.push(d);
                }
                typ.fill[k]
            })
        })
        .collect();
    (x, imputed)
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
    typ: &Typical,
    x: &[f64],
    risk: Risk,
    dh: f64,
) -> Vec<LeverAt> {
    let eta = pred.eta(x);
    let mut out: Vec<LeverAt> = typ
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
            LeverAt::new(k, x[t], typical, change)
        })
        .collect();
    sort_levers(&mut out);
    out
}
