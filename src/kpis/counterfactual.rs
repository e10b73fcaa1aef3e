//! The counterfactual behind ARR at stake: for each driver in the fitted
//! model, where its accounts are moved (the better yes/no level, the median
//! or a quartile, the most common level) and by how much that shifts each
//! account's linear predictor. The choice is made once, here, from a few
//! numbers of the driver's values ([`Spread`]); the sums over the accounts
//! are made by [`stake_of_accounts`] in memory and by the engine's SQL from
//! the same [`Shift`].

use rayon::prelude::*;

use crate::config::DriverKind;
use crate::data::{Accounts, DriverValues, MISSING};
use crate::drivers::design::DriverInfo;
use crate::stats::logit::sigmoid;

/// How the counterfactual shifts an account's linear predictor η.
#[derive(Debug, Clone, PartialEq)]
pub enum Shift {
    /// Accounts on the worse side of `target` (below it when higher values
    /// are better, above it else) move to it: η shifts by `b (target − x)`.
    Toward { b: f64, target: f64, higher: bool },
    /// A categorical driver: η shifts by the entry of the account's level
    /// code (≤ 0: the most common level's effect less the level's, where
    /// the level's fitted churn is higher; else 0).
    Levels(Vec<f64>),
}

impl Shift {
    /// Whether `x` is on the worse side of `target`.
    pub fn worse(higher: bool, x: f64, target: f64) -> bool {
        (higher && x < target) || (!higher && x > target)
    }

    /// The shift of an account with value `x` (a [`Shift::Toward`]).
    fn of_value(&self, x: f64) -> f64 {
        match self {
            Shift::Toward { b, target, higher } if Shift::worse(*higher, x, *target) => {
                b * (target - x)
            }
            _ => 0.0,
        }
    }

    /// The shift of an account with level `code` (a [`Shift::Levels`]).
    fn of_code(&self, code: u32) -> f64 {
        match self {
            Shift::Levels(delta) if code != MISSING => {
                delta.get(code as usize).copied().unwrap_or(0.0)
            }
            _ => 0.0,
        }
    }
}

/// A driver's counterfactual: the shift, in words, and which way is better.
#[derive(Debug, Clone, PartialEq)]
pub struct Counterfactual {
    pub shift: Shift,
    pub text: String,
    pub higher_is_better: bool,
}

/// What a numeric (or ordinal) driver's counterfactual reads of its values
/// at the model's complete cases: the extremes and quartiles (numpy's
/// linear interpolation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub min: f64,
    pub max: f64,
    pub q25: f64,
    pub median: f64,
    pub q75: f64,
}

impl Spread {
    /// The quartiles wanted of a driver, as the engine asks for them.
    pub const QUANTILES: [f64; 3] = [0.25, 0.5, 0.75];

    /// The spread of `values` (NaN where blank) at the rows where `eta` is
    /// a number; `None` without one.
    pub fn of(values: &[f64], eta: &[f64]) -> Option<Self> {
        let mut s: Vec<f64> = values
            .iter()
            .zip(eta)
            .filter(|(x, e)| !x.is_nan() && !e.is_nan())
            .map(|(x, _)| *x)
            .collect();
        if s.is_empty() {
            return None;
        }
        let (min, max) = s
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                (a.min(x), b.max(x))
            });
        let q = crate::stats::quantile::quantiles_select(&mut s, &Self::QUANTILES);
        Some(Spread {
            min,
            max,
            q25: q[0],
            median: q[1],
            q75: q[2],
        })
    }
}

/// The counterfactual of driver `d` from its model coefficients `coefs`
/// (estimate and level code, as [`crate::drivers::LogitModel::terms_of`]
/// gives them) and, for a numeric or ordinal driver, its `spread`; `None`
/// when the driver has no term or a numeric one has no spread.
pub fn counterfactual<D: DriverInfo>(
    d: &D,
    coefs: &[(f64, Option<u32>)],
    spread: Option<&Spread>,
) -> Option<Counterfactual> {
    let first = coefs.first()?;
    let label = d.config().display_label();
    if let Some(levels) = d.levels() {
        // Level effects relative to the reference (0 for it).
        let effect: Vec<f64> = (0..levels.len() as u32)
            .map(|j| {
                coefs
                    .iter()
                    .find(|(_, code)| *code == Some(j))
                    .map_or(0.0, |(b, _)| *b)
            })
            .collect();
        let target = *effect.first()?; // levels are ordered by frequency
        return Some(Counterfactual {
            shift: Shift::Levels(effect.iter().map(|e| (target - e).min(0.0)).collect()),
            text: format!(
                "every account in a {label} level with higher fitted churn moved to the most common level, {}",
                levels[0]
            ),
            higher_is_better: true,
        });
    }
    let b = first.0;
    let higher = b < 0.0;
    if d.config().kind == DriverKind::Binary {
        let lvl = if higher { "yes" } else { "no" };
        return Some(Counterfactual {
            shift: Shift::Toward {
                b,
                target: if higher { 1.0 } else { 0.0 },
                higher,
            },
            text: format!("every account moved to {label} = {lvl}"),
            higher_is_better: higher,
        });
    }
    let s = spread?;
    let med = s.median;
    let side = if higher { "below" } else { "above" };
    // A median at the worse end of the range (most accounts at zero
    // referrals) moves no one: the 75th percentile (25th when lower is
    // better) is the counterfactual instead.
    let anyone = if higher { s.min < med } else { s.max > med };
    let (target, text) = if anyone {
        (
            med,
            format!(
                "every account {side} the median {label} ({}) moved to the median",
                crate::format::sig(med)
            ),
        )
    } else {
        let (t, name, end) = if higher {
            (s.q75, "75th", "lowest")
        } else {
            (s.q25, "25th", "highest")
        };
        (
            t,
            format!(
                "no account is {side} the median {label} ({}), the {end} value; every account {side} the {name} percentile ({}) moved to it",
                crate::format::sig(med),
                crate::format::sig(t)
            ),
        )
    };
    Some(Counterfactual {
        shift: Shift::Toward { b, target, higher },
        text,
        higher_is_better: higher,
    })
}

/// What the counterfactual is worth, summed over the model's complete cases.
#[derive(Debug, Clone, PartialEq)]
pub struct Stake {
    /// Σ ARR × (fitted − counterfactual probability); `None` without an
    /// ARR column.
    pub arr: Option<f64>,
    /// Σ (fitted − counterfactual probability): churned accounts avoided.
    pub accounts: f64,
    pub text: String,
    pub higher_is_better: bool,
}

/// The stake of `cf` for driver `k` of `a`, in memory: `eta` each account's
/// linear predictor (NaN off the complete cases), `fitted` its σ(η).
pub fn stake_of_accounts(
    a: &Accounts,
    k: usize,
    cf: Counterfactual,
    eta: &[f64],
    fitted: &[f64],
) -> Stake {
    let shift: Vec<f64> = match &a.drivers[k].values {
        DriverValues::Numeric(v) => v.par_iter().map(|&x| cf.shift.of_value(x)).collect(),
        DriverValues::Categorical(cat) => {
            cat.codes.par_iter().map(|&c| cf.shift.of_code(c)).collect()
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
    Stake {
        arr: weight.map(|_| arr),
        accounts: acc,
        text: cf.text,
        higher_is_better: cf.higher_is_better,
    }
}
