//! The ranked renewals in two forms: a compact row per open renewal (the
//! whole list, hundreds of thousands of rows at scale: numbers and indices,
//! no text), and the worded [`AtRisk`] of the short list that results.json,
//! the report and the slide show. A lever is worded in one place,
//! [`ForwardReport::write_lever`], for both.

use std::fmt::Write;

use chrono::NaiveDate;
use serde::Serialize;

use super::ForwardReport;
use crate::config::DriverKind;
use crate::data::Driver;
use crate::format::push_rounded;

/// What the words of a lever or an imputed driver need of a study driver.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DriverName {
    pub column: String,
    pub label: String,
    pub binary: bool,
}

impl DriverName {
    /// The names of every study driver, by driver index.
    pub(super) fn all(drivers: &[Driver]) -> Vec<DriverName> {
        drivers
            .iter()
            .map(|d| DriverName {
                column: d.config.column.clone(),
                label: d.config.display_label().to_string(),
                binary: d.config.kind == DriverKind::Binary,
            })
            .collect()
    }
}

/// One lever of one account in numbers: the study driver, the account's
/// value, the value the lever is read at, and the change in P there (< 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeverAt {
    pub driver: u16,
    pub value: f64,
    pub typical: f64,
    pub change: f64,
}

impl LeverAt {
    /// A lever, or `None` when the fall is under half a point (not one
    /// worth naming).
    pub(super) fn new(driver: usize, value: f64, typical: f64, change: f64) -> Option<LeverAt> {
        (change <= -0.005).then_some(LeverAt {
            driver: u16::try_from(driver).ok()?,
            value,
            typical,
            change,
        })
    }
}

/// Largest fall first, ties by driver.
pub(super) fn sort_levers(levers: &mut [LeverAt]) {
    levers.sort_by(|a, b| a.change.total_cmp(&b.change).then(a.driver.cmp(&b.driver)));
}

/// What the ranking reads of one open renewal: its ARR, date and chance of
/// churning before it is decided (the same in both forms of the row).
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct RenewalRisk {
    pub arr_due: f64,
    pub due: NaiveDate,
    /// Still open after its renewal date: scored for the month after `as_of`.
    pub late: bool,
    pub probability: f64,
    pub probability_low: f64,
    pub probability_high: f64,
    pub expected_arr_lost: f64,
    /// The renewal date lies beyond the last churn the model saw at this
    /// tenure, so the baseline is carried flat and P is a lower bound.
    pub beyond_follow_up: bool,
}

/// One open renewal, scored: the compact row of the whole ranked list.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub rank: usize,
    pub account: String,
    /// The owner's code in [`ForwardReport::owners`].
    pub owner: Option<u32>,
    pub risk: RenewalRisk,
    pub levers: Vec<LeverAt>,
    /// Study drivers the account has no value for (scored at the typical value).
    pub imputed: Vec<u16>,
}

/// One lever of one account, worded.
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

/// One open renewal of the short list, worded.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AtRisk {
    pub rank: usize,
    pub account: String,
    pub owner: Option<String>,
    #[serde(flatten)]
    pub risk: RenewalRisk,
    pub levers: Vec<Lever>,
    /// Drivers the account has no value for (scored at the typical value).
    pub imputed: Vec<String>,
}

/// A number as the lever text shows it.
fn shown(out: &mut impl Write, x: f64) {
    if (x - x.round()).abs() < 1e-9 {
        // `{}` of a whole number writes what `{:.0}` does.
        push_rounded(out, x.round());
    } else if x.abs() < 10.0 {
        let _ = write!(out, "{x:.2}");
    } else {
        push_rounded(out, x);
    }
}

/// Percentage points as the lever text shows them: one decimal under one
/// point, whole points above.
fn points(out: &mut impl Write, pp: f64) {
    if pp < 1.0 {
        let _ = write!(out, "{pp:.1}");
    } else {
        push_rounded(out, pp);
    }
}

impl ForwardReport {
    /// Words lever `l` into `out`: "Onboarding completed: no (−12 pp if
    /// yes)", "Training quality (1-5) 2 (−7 pp at 4)".
    pub fn write_lever(&self, out: &mut impl Write, l: &LeverAt) {
        let Some(d) = self.drivers.get(usize::from(l.driver)) else {
            return;
        };
        let pp = -l.change * 100.0;
        if d.binary {
            let yes = |v: f64| if v == 1.0 { "yes" } else { "no" };
            let _ = write!(out, "{}: {} (−", d.label, yes(l.value));
            points(out, pp);
            let _ = write!(out, " pp if {})", yes(l.typical));
        } else {
            let _ = write!(out, "{} ", d.label);
            shown(out, l.value);
            let _ = out.write_str(" (−");
            points(out, pp);
            let _ = out.write_str(" pp at ");
            shown(out, l.typical);
            let _ = out.write_char(')');
        }
    }

    /// The owner of a ranked renewal.
    pub fn owner(&self, x: &Ranked) -> Option<&str> {
        x.owner
            .and_then(|c| self.owners.get(c as usize))
            .map(String::as_str)
    }

    /// The column name of study driver `k`.
    pub fn driver_column(&self, k: u16) -> &str {
        self.drivers
            .get(usize::from(k))
            .map_or("", |d| d.column.as_str())
    }

    /// A ranked renewal, worded.
    pub fn worded(&self, x: &Ranked) -> AtRisk {
        AtRisk {
            rank: x.rank,
            account: x.account.clone(),
            owner: self.owner(x).map(str::to_string),
            risk: x.risk,
            levers: x
                .levers
                .iter()
                .map(|l| {
                    let mut text = String::new();
                    self.write_lever(&mut text, l);
                    let d = &self.drivers[usize::from(l.driver)];
                    Lever {
                        driver: d.column.clone(),
                        label: d.label.clone(),
                        value: l.value,
                        typical: l.typical,
                        change: l.change,
                        text,
                    }
                })
                .collect(),
            imputed: x
                .imputed
                .iter()
                .map(|&k| self.driver_column(k).to_string())
                .collect(),
        }
    }
}
