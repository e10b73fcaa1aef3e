//! The forward view: the open renewals of the current quarter and the next
//! ranked by expected ARR lost = ARR due × P(churn before the renewal is
//! decided, by the end of its month | a customer today), P from the study's
//! Cox model (the logistic model's chance of churn without durations); each
//! with its levers; and whether that model is fit to rank renewals at all
//! (its discrimination and calibration in sample and in an out-of-time
//! backtest).

use chrono::{Months, NaiveDate};
use rayon::prelude::*;
use serde::Serialize;

use crate::data::renewals::{Outcome, Renewals};
use crate::data::{Durations, Month, Study};
use crate::drivers::DriverReport;
use crate::kpis::recommend::Recommendation;
use crate::survival::predict::CoxPredictor;

mod backtest;
mod logistic;
pub mod rows;
pub mod score;

pub use backtest::{Backtest, FIT_RULE};
pub use rows::{AtRisk, DriverName, Lever, LeverAt, Ranked, RenewalRisk};

impl Ranked {
    /// Renewal `k` of `r` scored at `risk`, with its levers (not yet ranked).
    pub(crate) fn new(
        a: &crate::data::Accounts,
        r: &Renewals,
        k: usize,
        risk: crate::survival::predict::Risk,
        levers: Vec<LeverAt>,
    ) -> Self {
        let i = r.account[k] as usize;
        Ranked {
            rank: 0,
            account: a.ids[i].clone(),
            owner: a
                .owner
                .as_ref()
                .and_then(|o| o.label(i).map(|_| o.codes[i])),
            risk: RenewalRisk {
                arr_due: r.arr_due[k],
                due: r.due[k],
                late: r.due[k] < r.as_of,
                probability: risk.p,
                probability_low: risk.low,
                probability_high: risk.high,
                expected_arr_lost: r.arr_due[k] * risk.p,
                beyond_follow_up: false,
            },
            levers,
            imputed: Vec::new(),
        }
    }
}

/// The forward view's results.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ForwardReport {
    pub as_of: NaiveDate,
    /// The renewal dates ranked: the current quarter's first day to the day
    /// before the quarter after next.
    pub window: (NaiveDate, NaiveDate),
    /// What P is, in one sentence.
    pub model: String,
    pub open_renewals: usize,
    /// Open renewals in the window that could not be scored, and why.
    pub unscored: Vec<(String, usize)>,
    pub expected_arr_lost: f64,
    pub arr_due: f64,
    /// The configured length of the short list (`[renewals] top`).
    pub top: usize,
    /// The ranked list, worded, at most `TOP_KEPT` long (the whole list is
    /// in `renewals_at_risk.csv`).
    pub at_risk: Vec<AtRisk>,
    pub backtest: Option<Backtest>,
    /// The verdict of the backtest: fit to rank renewals or not, in words.
    pub fit_to_rank: bool,
    pub verdict: String,
    /// The whole ranked list (not in results.json: it has a row per renewal).
    #[serde(skip)]
    pub all: Vec<Ranked>,
    /// The names the compact rows' driver indices point to.
    #[serde(skip)]
    pub drivers: Vec<DriverName>,
    /// The owners the compact rows' owner codes point to.
    #[serde(skip)]
    pub owners: Vec<String>,
}

/// How many of the ranked renewals results.json and the report carry.
pub const TOP_KEPT: usize = 50;

/// The open renewals of the current quarter and the next: the renewal dates
/// ranked, and the renewals due then that are open.
fn open_in_window(r: &Renewals) -> ((NaiveDate, NaiveDate), Vec<usize>) {
    let q0 = Month::of(r.as_of).quarter_start();
    let window = (
        q0.first_day(),
        q0.plus(6).first_day() - chrono::Duration::days(1),
    );
    let open = (0..r.len())
        .filter(|&k| r.outcome[k] == Outcome::Open && r.due[k] >= window.0 && r.due[k] <= window.1)
        .collect();
    (window, open)
}

/// The stage's heavy part, which needs only the Cox fit: every open
/// renewal scored with its levers on every driver that can be one (the
/// recommended ones are kept once the recommendation is known), and the
/// backtest. It can run beside the rest of the survival stage.
pub struct CoxScores {
    ranking: Ranking,
    backtest: Option<Backtest>,
}

/// [`CoxScores`] of the study's open renewals; `None` without renewals or
/// durations.
pub fn cox_scores(study: &Study, pred: &CoxPredictor) -> Option<CoxScores> {
    let r = study.renewals.as_ref()?;
    let dur = study.durations.as_ref()?;
    let (_, open) = open_in_window(r);
    let candidates: Vec<usize> = (0..study.accounts.drivers.len()).collect();
    let (scored, backtest) = score_with_cox(study, r, pred, dur, &open, &candidates);
    crate::timing::mark("at risk: scored, and the backtest");
    Some(CoxScores {
        ranking: rank(scored),
        backtest,
    })
}

/// Runs the stage: `None` without renewals. P comes from the Cox model
/// `pred` (its scores `scores` when they were computed already), else (no
/// durations) from the logistic model; without either the report says the
/// renewals cannot be ranked and why.
pub fn analyse(
    study: &Study,
    pred: Option<&CoxPredictor>,
    scores: Option<CoxScores>,
    drivers: Option<&DriverReport>,
    recommendation: Option<&Recommendation>,
    top: usize,
) -> Option<ForwardReport> {
    let r = study.renewals.as_ref()?;
    let a = &study.accounts;
    let (window, open) = open_in_window(r);
    let mut report = ForwardReport {
        as_of: r.as_of,
        window,
        model: String::new(),
        open_renewals: open.len(),
        unscored: Vec::new(),
        expected_arr_lost: 0.0,
        arr_due: open.iter().map(|&k| r.arr_due[k]).sum(),
        top,
        at_risk: Vec::new(),
        backtest: None,
        fit_to_rank: false,
        verdict: String::new(),
        all: Vec::new(),
        drivers: DriverName::all(&a.drivers),
        owners: a
            .owner
            .as_ref()
            .map(|o| o.levels.clone())
            .unwrap_or_default(),
    };
    let levers: Vec<usize> = recommendation
        .map(|rec| {
            rec.recommended()
                .filter_map(|c| a.drivers.iter().position(|d| d.config.column == c.driver))
                .collect()
        })
        .unwrap_or_default();
    let mut logistic_verdict = false;
    let (ranking, backtest) = match (pred, study.durations.as_ref()) {
        (Some(pred), Some(_)) => {
            report.model = format!(
                "P is the chance the account churns between {} and the end of its renewal's month given it is a customer on {} (revenue is monthly: a churn in the renewal's month loses the renewal): 1 − S(end of the renewal month | x) ÷ S(today | x) from the study's Cox model ({} accounts, {} churns, {} terms) with the Breslow baseline; the interval carries the coefficients' uncertainty, not the baseline's. A driver the account has no value for is scored at the study's median (a yes/no or categorical one at its most common value); a late renewal is scored for the month after {}.",
                r.as_of, r.as_of, pred.n, pred.events, pred.terms.len(), r.as_of
            );
            let Some(CoxScores {
                mut ranking,
                backtest,
            }) = scores.or_else(|| cox_scores(study, pred))
            else {
                return Some(report);
            };
            for x in &mut ranking.all {
                x.levers.retain(|l| levers.contains(&usize::from(l.driver)));
            }
            (ranking, backtest)
        }
        _ => match drivers.and_then(|d| d.model.as_ref()) {
            Some(m) => {
                report.model = logistic::MODEL.to_string();
                logistic_verdict = true;
                (rank(logistic::score(a, r, m, &open, &levers)), None)
            }
            None => {
                report.model = "No model: the study has neither durations for a Cox model nor a fitted logistic model, so the open renewals are not ranked by risk.".into();
                report.verdict = "Not ranked: there is no model to score renewals with.".into();
                return Some(report);
            }
        },
    };
    let mut out = finish(report, ranking, backtest);
    if logistic_verdict {
        out.verdict = logistic::VERDICT.into();
    }
    Some(out)
}

/// The day a renewal due on `due` is decided by: the first day of the
/// month after its renewal month. Revenue is monthly, so an account that
/// leaves in the renewal's month never pays for the new term: that renewal
/// is lost, and P is the chance of churning before this day, not before
/// the due day.
pub fn decided_by(due: NaiveDate) -> NaiveDate {
    Month::of(due).plus(1).first_day()
}

/// Tenure in the durations' unit on day `d` of an account that started on `start`.
fn tenure(start: NaiveDate, d: NaiveDate, days: f64) -> f64 {
    (d - start).num_days() as f64 / days
}

/// The scores of the open renewals from the study's Cox model with levers
/// on `levers`, and beside them the backtest.
fn score_with_cox(
    study: &Study,
    r: &Renewals,
    pred: &CoxPredictor,
    dur: &Durations,
    open: &[usize],
    levers: &[usize],
) -> (Vec<Result<Ranked, &'static str>>, Option<Backtest>) {
    let a = &study.accounts;
    let days = dur.unit.days();
    let typ = score::typical(pred, &a.drivers, levers);
    let start = a.start_date.as_ref();
    // Tenure today and when the renewal is decided; an error when the account
    // cannot be scored (already churned, no duration).
    let span = |k: usize| -> Result<(f64, f64), &'static str> {
        let i = r.account[k] as usize;
        if !dur.exit[i].is_finite() {
            return Err("the account has no duration (it ended before the window)");
        }
        if dur.event[i] {
            return Err("the account has already churned");
        }
        let to = decided_by(r.due[k]).max(r.as_of + chrono::Duration::days(1));
        let to = if r.due[k] < r.as_of {
            r.as_of.checked_add_months(Months::new(1)).unwrap_or(to)
        } else {
            to
        };
        match start.and_then(|s| s.values[i]) {
            Some(s0) => Ok((tenure(s0, r.as_of, days), tenure(s0, to, days))),
            None => {
                let t0 = dur.exit[i];
                Ok((t0, t0 + (to - r.as_of).num_days() as f64 / days))
            }
        }
    };
    // The backtest's refit runs beside the scoring: the two share nothing.
    let score_all = || -> Vec<Result<Ranked, &'static str>> {
        open.par_iter()
            .map(|&k| {
                let i = r.account[k] as usize;
                let (t0, t1) = span(k)?;
                let s = pred
                    .stratum_of(i)
                    .ok_or("the account is in no stratum of the model")?;
                let (x, imputed) = score::row(pred, &a.drivers, &typ, i);
                let risk = pred.risk_between(&x, s, t0, t1);
                let dh = pred.hazard_between(s, t0, t1);
                let levers = score::levers(pred, &typ, &x, risk, dh);
                let mut x = Ranked::new(a, r, k, risk, levers);
                x.imputed = imputed;
                x.risk.beyond_follow_up = t1 > pred.last_event(s);
                Ok(x)
            })
            .collect()
    };
    rayon::join(score_all, || backtest::run(study, pred, &typ))
}

/// The scored renewals in rank order, and the unscored ones counted by reason.
struct Ranking {
    all: Vec<Ranked>,
    unscored: Vec<(String, usize)>,
}

/// Ranks the scored renewals by expected ARR lost, and counts the unscored
/// ones by reason.
fn rank(scored: Vec<Result<Ranked, &'static str>>) -> Ranking {
    let mut unscored: Vec<(String, usize)> = Vec::new();
    let mut all: Vec<Ranked> = Vec::with_capacity(scored.len());
    for s in scored {
        match s {
            Ok(x) => all.push(x),
            Err(why) => match unscored.iter_mut().find(|(w, _)| w == why) {
                Some((_, n)) => *n += 1,
                None => unscored.push((why.to_string(), 1)),
            },
        }
    }
    // Sorted on compact keys (the rows are large: comparing them in place
    // is a cache miss per comparison), ties by date, then by account.
    let mut keys: Vec<(f64, NaiveDate, usize)> = all
        .iter()
        .enumerate()
        .map(|(i, x)| (x.risk.expected_arr_lost, x.risk.due, i))
        .collect();
    keys.par_sort_unstable_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(a.1.cmp(&b.1))
            .then_with(|| all[a.2].account.cmp(&all[b.2].account))
            .then(a.2.cmp(&b.2))
    });
    // Into that order in place, one cycle of the permutation at a time
    // (each row moves once; no second copy of the list).
    let mut placed = vec![false; all.len()];
    for start in 0..all.len() {
        let mut p = start;
        while !placed[p] {
            placed[p] = true;
            let q = keys[p].2;
            if q == start {
                break;
            }
            all.swap(p, q);
            p = q;
        }
    }
    for (k, x) in all.iter_mut().enumerate() {
        x.rank = k + 1;
    }
    crate::timing::mark("at risk: ranked");
    Ranking { all, unscored }
}

/// Puts the ranking in the report, with its short list worded, and words
/// the verdict.
fn finish(
    mut report: ForwardReport,
    ranking: Ranking,
    backtest: Option<Backtest>,
) -> ForwardReport {
    let Ranking { all, unscored } = ranking;
    report.unscored = unscored;
    report.expected_arr_lost = all.iter().map(|x| x.risk.expected_arr_lost).sum();
    let (fit, verdict) = backtest::verdict(backtest.as_ref());
    report.backtest = backtest;
    report.fit_to_rank = fit;
    report.verdict = verdict;
    report.at_risk = all
        .iter()
        .take(TOP_KEPT.max(report.top))
        .map(|x| report.worded(x))
        .collect();
    report.all = all;
    report
}
