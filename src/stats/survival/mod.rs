//! Time-to-event statistics on right-censored, optionally left-truncated
//! data, one file per family, as lifelines and statsmodels' `PHReg` compute
//! them: Kaplan–Meier with Greenwood intervals and the restricted mean
//! ([`km`]), the log-rank test ([`logrank`]), the Cox proportional-hazards
//! model with Efron or Breslow ties, strata and Firth's penalty ([`cox`]),
//! Harrell's concordance ([`concordance`]) and the scaled-Schoenfeld test of
//! proportional hazards ([`zph`]).
//!
//! A subject is at risk at time `t` when `entry < t ≤ exit` (the counting-
//! process convention of R's `survival` and statsmodels): an account that
//! entered the study window at month 30 of its life is not in the risk sets
//! of months 1–30. Without entry times every subject enters at 0.

pub mod concordance;
pub mod cox;
pub mod grid;
pub mod km;
pub mod logrank;
pub mod zph;

use serde::{Deserialize, Serialize};

/// Durations of the subjects: when each entered the risk set (`None`: all at
/// 0), when each left it, and whether leaving was the event (else censored).
#[derive(Debug, Clone, Copy)]
pub struct Subjects<'a> {
    pub entry: Option<&'a [f64]>,
    pub exit: &'a [f64],
    pub event: &'a [bool],
}

impl Subjects<'_> {
    pub fn len(&self) -> usize {
        self.exit.len()
    }
    pub fn is_empty(&self) -> bool {
        self.exit.is_empty()
    }
    pub fn n_events(&self) -> usize {
        self.event.iter().filter(|e| **e).count()
    }
}

/// How tied event times enter the partial likelihood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Ties {
    /// Efron's approximation (lifelines' and R's default).
    #[default]
    Efron,
    /// Breslow's approximation (statsmodels' default).
    Breslow,
}

impl Ties {
    pub fn as_str(self) -> &'static str {
        match self {
            Ties::Efron => "efron",
            Ties::Breslow => "breslow",
        }
    }
}

/// Rows `rows` ordered by ascending exit time, censored before events at the
/// same time, then by row: the order lifelines sorts its data in, which
/// fixes the rank of tied events in the proportional-hazards test.
pub fn order_by_exit(s: &Subjects, rows: impl Iterator<Item = usize>) -> Vec<usize> {
    // Censored rows, then events, each in row order; a stable radix sort
    // by exit keeps that order among equal times.
    let rows: Vec<usize> = rows.collect();
    let mut order: Vec<usize> = rows.iter().copied().filter(|&i| !s.event[i]).collect();
    order.extend(rows.iter().copied().filter(|&i| s.event[i]));
    let mut keyed: Vec<(f64, u32)> = order.iter().map(|&i| (s.exit[i], i as u32)).collect();
    radsort::sort_by_key(&mut keyed, |k| k.0);
    keyed.into_iter().map(|k| k.1 as usize).collect()
}
