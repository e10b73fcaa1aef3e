//! The renewals at risk without durations: P is the study's logistic
//! model's chance that the account churns (its churn flag, not a time), with
//! the interval from the coefficients' covariance, and the levers moved on
//! the same linear predictor. There is no backtest without dates, so the
//! ranking is said to be unvalidated.

use rayon::prelude::*;

use super::rows::{sort_levers, LeverAt, Ranked};
use super::score::lever_typical;
use crate::data::renewals::Renewals;
use crate::data::Accounts;
use crate::drivers::model::LogitModel;
use crate::stats::dist::Z975;
use crate::stats::logit::sigmoid;
use crate::survival::predict::Risk;

/// What P is, in words, for the report.
pub const MODEL: &str = "No durations (start and end dates, or a tenure column), so P is the study's logistic model's chance that the account churns — its churn flag, not timed to the renewal date — with the interval from the coefficients' covariance. A driver the account has no value for is scored at the study's median (a yes/no or categorical one at its most common value).";

/// The verdict without durations.
pub const VERDICT: &str = "Not shown to be fit to rank renewals: without durations there is no out-of-time backtest, and the logistic model's probabilities are of churn at any time, not before the renewal date; treat the ranking as unvalidated.";

/// Scores the open renewals `open` of `r`: each renewal scored, or why not.
pub(super) fn score(
    a: &Accounts,
    r: &Renewals,
    model: &LogitModel,
    open: &[usize],
    levers: &[usize],
) -> Vec<Result<Ranked, &'static str>> {
    // Each lever driver's slope position and typical value.
    let lever_at: Vec<(usize, usize, f64)> = levers
        .iter()
        .filter_map(|&k| {
            let j = model.slope_of(k)?;
            let at = lever_typical(&a.drivers[k], model.coefficients[j].estimate)?;
            Some((k, j, at))
        })
        .collect();
    let beta: Vec<f64> = model.coefficients.iter().map(|c| c.estimate).collect();
    let fill = model.fill(&a.drivers);
    open.par_iter()
        .map(|&k| -> Result<Ranked, &'static str> {
            let i = r.account[k] as usize;
            let (x, missing) = model.row(&a.drivers, i, &fill);
            let eta: f64 = x.iter().zip(&beta).map(|(v, b)| v * b).sum();
            let se = model.eta_variance(&x).max(0.0).sqrt();
            let p = sigmoid(eta);
            let mut lv: Vec<LeverAt> = lever_at
                .iter()
                .filter(|(_, j, at)| beta[*j] * (x[*j] - at) > 0.0)
                .filter_map(|&(d, j, at)| {
                    let change = sigmoid(eta + beta[j] * (at - x[j])) - p;
                    LeverAt::new(d, x[j], at, change)
                })
                .collect();
            sort_levers(&mut lv);
            let risk = Risk {
                p,
                low: sigmoid(eta - Z975 * se),
                high: sigmoid(eta + Z975 * se),
            };
            let mut out = Ranked::new(a, r, k, risk, lv);
            out.imputed = missing
                .iter()
                .filter_map(|&d| u16::try_from(d).ok())
                .collect();
            Ok(out)
        })
        .collect()
}
