//! Is the model fit to rank renewals? The out-of-time backtest: stand at a
//! cut-off date two quarters before the current one, refit the Cox model on
//! what was known then (follow-up censored at the cut-off), score the
//! renewals due in the two quarters after it that were still open then (of
//! at most [`BACKTEST_MAX`] accounts, every k-th beyond that),
//! and compare with how they were decided (also on every renewal due then,
//! the ones renewed before the cut-off too). The full model's scores of the
//! same renewals are the in-sample figures (optimistic: it saw them).

use chrono::{Months, NaiveDate};
use rayon::prelude::*;
use serde::Serialize;

use super::score::{self, Typical};
use super::tenure;
use crate::data::renewals::Outcome;
use crate::data::{Month, Study};
use crate::format::thousands;
use crate::stats::predictive::{measures, Measures};
use crate::survival::predict::CoxPredictor;

/// Most accounts the backtest runs on: its model is refitted on them and
/// their renewals are scored (every k-th account beyond this many).
pub const BACKTEST_MAX: usize = 100_000;

/// When the model counts as fit to rank renewals, in words.
pub const FIT_RULE: &str = "The model is taken as fit to rank renewals when, in the out-of-time backtest, the AUC's 95 % interval lies above 0.60 and the calibration slope is between 0.7 and 1.3 (the predicted risks neither much too spread out nor too squeezed).";

/// One renewal of the backtest.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Scored {
    pub account: String,
    pub due: NaiveDate,
    pub arr_due: f64,
    pub churned: bool,
    /// Still undecided at the cut-off (the renewals the verdict is read on);
    /// the others were renewed before it.
    pub open_at_cutoff: bool,
    /// P from the model refitted at the cut-off, and from the full model.
    pub out_of_time: f64,
    pub in_sample: f64,
}

/// The backtest's figures.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Backtest {
    pub cutoff: NaiveDate,
    /// Renewal dates scored: the cut-off to the day before the current quarter.
    pub window: (NaiveDate, NaiveDate),
    /// Accounts and churns the refitted model saw (every k-th account
    /// beyond [`BACKTEST_MAX`], whose renewals are the ones scored).
    pub model_n: usize,
    pub model_events: usize,
    /// The renewals decided after the cut-off: the out-of-time figures the
    /// verdict reads, and the full model's on the same renewals.
    pub out_of_time: Measures,
    pub in_sample: Measures,
    /// Out of time on every renewal due in the window whose account was a
    /// customer at the cut-off, the ones renewed early too: the model's
    /// calibration as a model of churn before renewals are decided, without
    /// the selection of still-open renewals (most renewals close early, so
    /// the ones still open may churn more often than drivers and tenure say).
    pub out_of_time_all_due: Measures,
    /// Every renewal scored (written to `renewals_backtest.csv`).
    #[serde(skip)]
    pub scored: Vec<Scored>,
}

/// Runs the backtest; `None` without start dates (the cut-off needs each
/// account's tenure on that day) or when the refit fails.
pub(super) fn run(study: &Study, pred: &CoxPredictor, typ: &Typical) -> Option<Backtest> {
    let r = study.renewals.as_ref()?;
    let a = &study.accounts;
    let dur = study.durations.as_ref()?;
    let start = a.start_date.as_ref()?;
    let end = a.end_date.as_ref();
    let days = dur.unit.days();
    let q0 = Month::of(r.as_of).quarter_start().first_day();
    let cutoff = q0.checked_sub_months(Months::new(6))?;
    // At most BACKTEST_MAX accounts (every k-th one) refit the model and
    // have their renewals scored: the coefficients' standard errors at that
    // size are far below what moves a renewal's rank, the measures' own
    // intervals say how precise they are, and the backtest costs no more
    // than the ranking it checks.
    let step = a.len().div_ceil(BACKTEST_MAX).max(1);
    let at_cut = |i: usize| match start.values[i] {
        Some(s) if s < cutoff => tenure(s, cutoff, days),
        _ => f64::NAN,
    };
    let cut: Vec<f64> = (0..a.len())
        .map(|i| if i % step == 0 { at_cut(i) } else { f64::NAN })
        .collect();
    let refit = pred.refit_censored(&a.drivers, dur, &cut)?;
    crate::timing::mark("backtest: refit");
    let alive_at_cut = |i: usize| {
        at_cut(i).is_finite()
            && dur.exit[i].is_finite()
            && (!dur.event[i] || end.and_then(|e| e.values[i]).map_or(true, |e| e >= cutoff))
    };
    let scored: Vec<Scored> = (0..r.len())
        .into_par_iter()
        .filter_map(|k| {
            let i = r.account[k] as usize;
            let decided = r.outcome[k] != Outcome::Open;
            let in_window = r.due[k] >= cutoff && r.due[k] < q0;
            let open_at_cut = r.closed[k].map_or(true, |c| c >= cutoff);
            if !(i % step == 0 && decided && in_window && alive_at_cut(i)) {
                return None;
            }
            let s0 = start.values[i]?;
            let s = pred.stratum_of(i)?;
            let (x, _) = score::row(pred, &a.drivers, typ, i);
            let (t0, t1) = (at_cut(i), tenure(s0, super::decided_by(r.due[k]), days));
            Some(Scored {
                account: a.ids[i].clone(),
                due: r.due[k],
                arr_due: r.arr_due[k],
                churned: r.outcome[k] == Outcome::Churned,
                open_at_cutoff: open_at_cut,
                out_of_time: refit.risk_between(&x, s, t0, t1).p,
                in_sample: pred.risk_between(&x, s, t0, t1).p,
            })
        })
        .collect();
    crate::timing::mark("backtest: scored");
    let open: Vec<&Scored> = scored.iter().filter(|s| s.open_at_cutoff).collect();
    let y: Vec<bool> = open.iter().map(|s| s.churned).collect();
    let p_oot: Vec<f64> = open.iter().map(|s| s.out_of_time).collect();
    let p_in: Vec<f64> = open.iter().map(|s| s.in_sample).collect();
    let y_all: Vec<bool> = scored.iter().map(|s| s.churned).collect();
    let p_all: Vec<f64> = scored.iter().map(|s| s.out_of_time).collect();
    let ((out_of_time, in_sample), out_of_time_all_due) = rayon::join(
        || rayon::join(|| measures(&p_oot, &y), || measures(&p_in, &y)),
        || measures(&p_all, &y_all),
    );
    Some(Backtest {
        cutoff,
        window: (cutoff, q0 - chrono::Duration::days(1)),
        model_n: refit.n,
        model_events: refit.events,
        out_of_time,
        in_sample,
        out_of_time_all_due,
        scored,
    })
}

/// Whether the model is fit to rank renewals, and the sentence that says so.
pub(super) fn verdict(b: Option<&Backtest>) -> (bool, String) {
    let Some(b) = b else {
        return (false, "Not shown to be fit to rank renewals: the out-of-time backtest needs each account's start date and decided renewals before the current quarter, so treat the ranking as unvalidated.".into());
    };
    let m = &b.out_of_time;
    let Some(d) = m.discrimination else {
        return (false, format!("Not shown to be fit to rank renewals: the backtest's {} renewals hold too few churns ({}) to measure the ranking.", m.n, m.events));
    };
    let slope = m.calibration.map(|c| c.slope);
    let auc_ok = d.ci_low > 0.60;
    let slope_ok = slope.is_some_and(|s| (0.7..=1.3).contains(&s));
    let slope_text = slope.map_or("cannot be fitted".to_string(), |s| format!("{s:.2}"));
    if auc_ok && slope_ok {
        (true, format!(
            "Fit to rank renewals: on the {} renewals decided after {} (a model refitted on what was known then), the AUC is {:.3} (95 % CI {:.3}–{:.3}) and the calibration slope {}.",
            thousands(m.n), b.cutoff, d.auc, d.ci_low, d.ci_high, slope_text
        ))
    } else {
        let why = match (auc_ok, slope_ok) {
            (false, false) => "its ranking is weak and its risks are off scale",
            (false, true) => "its ranking may be little better than chance",
            _ => "its risks are off scale",
        };
        (false, format!(
            "Not fit to rank renewals: {why} — on the {} renewals decided after {}, the AUC is {:.3} (95 % CI {:.3}–{:.3}, which must lie above 0.60) and the calibration slope {} (which must be between 0.7 and 1.3). Use the list with care.",
            thousands(m.n), b.cutoff, d.auc, d.ci_low, d.ci_high, slope_text
        ))
    }
}
