//! The demo generator's model: segments, regions, drivers with their planted
//! log hazard ratios, time to churn from a Weibull proportional-hazards
//! model with one special-cause month, cancellation reasons per segment, and
//! monthly expansion and contraction.

use chrono::{Datelike, Duration, NaiveDate};
use rand::seq::index;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, Gamma, Gumbel, Poisson, StandardNormal};

use super::DemoParams;
use crate::data::Month;

/// Log hazard ratios per unit, applied to centred values.
pub const COEF: [(&str, f64, f64); 8] = [
    // (driver, coefficient, centre)
    ("training_quality", -0.45, 3.0),
    ("product_adoption", -2.50, 0.57),
    ("support_tickets", 0.15, 3.0),
    ("onboarding_completed", -0.60, 0.0),
    ("exec_sponsor", -0.55, 0.0),
    ("time_to_value_days", 0.0, 0.0),
    ("qbrs_completed", 0.0, 0.0),
    ("nps", 0.0, 0.0),
];
/// Weibull baseline of time to churn, H0(t) = (t / SCALE)^SHAPE with t in
/// months of tenure: a shape below 1 makes the hazard fall with tenure, as
/// new customers churn most.
pub const WEIBULL_SHAPE: f64 = 0.8;
pub const WEIBULL_SCALE_MONTHS: f64 = 33.0;
/// Days per month of tenure (the survival stage's unit).
pub const DAYS_PER_MONTH: f64 = 30.4375;
/// Share of the accounts that start inside the window (the rest started up
/// to four years before it).
pub(super) const NEW_SHARE: f64 = 0.22;

pub(super) const SEGMENTS: [&str; 3] = ["SMB", "MidMarket", "Enterprise"];
pub(super) const SEG_P: [f64; 3] = [0.60, 0.30, 0.10];
pub(super) const SEG_ARR_MEDIAN: [f64; 3] = [5_000.0, 30_000.0, 150_000.0];
pub(super) const SEG_ARR_SIGMA: [f64; 3] = [0.70, 0.60, 0.60];
pub(super) const SEG_EXEC_P: [f64; 3] = [0.20, 0.40, 0.65];
pub(super) const SEG_ACCTS_PER_CSM: [f64; 3] = [400.0, 120.0, 30.0];
pub(super) const REGIONS: [&str; 4] = ["NorthAmerica", "EMEA", "APAC", "LATAM"];
pub(super) const REGION_P: [f64; 4] = [0.45, 0.30, 0.15, 0.10];
pub(super) const TQ_P: [f64; 5] = [0.07, 0.16, 0.34, 0.28, 0.15];

/// Cancellation reasons and their base weights per segment (SMB, MidMarket, Enterprise):
/// frequent small-account reasons differ from the ones that cost the most ARR.
pub(super) const REASONS: [(&str, [f64; 3]); 11] = [
    ("Budget cuts", [40.0, 20.0, 5.0]),
    ("Switched to competitor", [2.5, 14.0, 40.0]),
    ("Poor training / onboarding", [8.0, 7.0, 4.0]),
    ("Missing features", [4.0, 10.0, 8.0]),
    ("Low usage / no adoption", [12.0, 8.0, 3.0]),
    ("Price too high", [16.0, 12.0, 4.0]),
    ("Support issues", [5.0, 6.0, 4.0]),
    ("Champion left", [2.0, 6.0, 10.0]),
    ("Company acquired / merged", [1.0, 4.0, 12.0]),
    ("Business closed", [10.0, 2.0, 0.5]),
    ("Other", [3.0, 3.0, 3.0]),
];

pub(super) const P_EXPAND: f64 = 0.05;
pub(super) const P_CONTRACT: f64 = 0.04;
pub(super) const EXPAND_RANGE: (f64, f64) = (0.05, 0.35);
pub(super) const CONTRACT_RANGE: (f64, f64) = (0.05, 0.30);

/// One generated account (values before missingness is applied are kept for the truth).
pub(super) struct Acct {
    pub(super) seg: usize,
    pub(super) region: usize,
    pub(super) csm: usize,
    pub(super) base_cents: i64,
    pub(super) tq: i64,
    pub(super) ttv: i64,
    pub(super) onboarded: bool,
    pub(super) exec: bool,
    pub(super) tickets: i64,
    pub(super) adoption_milli: i64,
    pub(super) qbrs: i64,
    pub(super) nps: i64,
    pub(super) tq_missing: bool,
    pub(super) nps_missing: bool,
    /// Churned inside the window.
    pub(super) destined: bool,
    /// Linear predictor of the hazard, Σ log HR × (x − centre).
    pub(super) eta: f64,
    pub(super) start_m: usize,
    pub(super) churn_m: Option<usize>,
    pub(super) start_date: NaiveDate,
    pub(super) end_date: Option<NaiveDate>,
    pub(super) reason: Option<usize>,
}

fn pick(rng: &mut ChaCha8Rng, p: &[f64]) -> usize {
    let u: f64 = rng.random();
    let mut acc = 0.0;
    for (i, pi) in p.iter().enumerate() {
        acc += pi;
        if u < acc {
            return i;
        }
    }
    p.len() - 1
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    StandardNormal.sample(rng)
}

fn month_start(m: Month) -> NaiveDate {
    NaiveDate::from_ymd_opt(m.year(), m.month(), 1).expect("valid month")
}

fn random_day(rng: &mut ChaCha8Rng, m: Month) -> NaiveDate {
    let d0 = month_start(m);
    let days = (month_start(m.plus(1)) - d0).num_days();
    d0 + Duration::days(rng.random_range(0..days))
}

/// Generates accounts and their timing.
pub(super) fn generate(p: &DemoParams) -> Vec<Acct> {
    let n = p.accounts;
    let m = p.months;
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let gamma = Gamma::new(2.0, 1.5).expect("valid gamma");
    let beta = Beta::new(4.0, 3.0).expect("valid beta");
    let qbr_pois = Poisson::new(1.8).expect("valid poisson");

    let segs: Vec<usize> = (0..n).map(|_| pick(&mut rng, &SEG_P)).collect();
    let mut seg_count = [0usize; 3];
    for &s in &segs {
        seg_count[s] += 1;
    }
    let mut csm_offset = [0usize; 3];
    let mut csm_k = [1usize; 3];
    let mut off = 0;
    for s in 0..3 {
        csm_k[s] = ((seg_count[s] as f64 / SEG_ACCTS_PER_CSM[s]).round() as usize).max(1);
        csm_offset[s] = off;
        off += csm_k[s];
    }

    // Starts: NEW_SHARE of the accounts start in months 1..m-2 of the
    // window, the others up to four years before it.
    let window_start = month_start(p.start);
    let n_new = ((n as f64) * NEW_SHARE).round() as usize;
    let mut start_m = vec![0usize; n];
    for i in index::sample(&mut rng, n, n_new.min(n)).into_vec() {
        start_m[i] = rng.random_range(1..m - 1);
    }
    let start_dates: Vec<NaiveDate> = start_m
        .iter()
        .map(|&sm| {
            if sm == 0 {
                window_start - Duration::days(rng.random_range(1..4 * 365))
            } else {
                random_day(&mut rng, p.start.plus(sm as i32))
            }
        })
        .collect();
    let h0 = |t: f64| (t.max(0.0) / WEIBULL_SCALE_MONTHS).powf(WEIBULL_SHAPE);
    let h0_inv = |h: f64| WEIBULL_SCALE_MONTHS * h.max(0.0).powf(1.0 / WEIBULL_SHAPE);
    let tenure_at = |start: NaiveDate, d: NaiveDate| (d - start).num_days() as f64 / DAYS_PER_MONTH;
    // Accounts at risk from the first day of the month after their start (of
    // month 1 for the older ones, so month 0 opens the KPI periods).
    let at_risk_from = |i: usize| month_start(p.start.plus(start_m[i] as i32 + 1));

    let mut accts: Vec<Acct> = Vec::with_capacity(n);
    for (i, &seg) in segs.iter().enumerate() {
        let region = pick(&mut rng, &REGION_P);
        let csm = csm_offset[seg] + rng.random_range(0..csm_k[seg]);
        let arr = (SEG_ARR_MEDIAN[seg].ln() + SEG_ARR_SIGMA[seg] * normal(&mut rng)).exp();
        let base_cents = ((arr / 12.0 * 100.0).round() as i64).max(100);
        // An account that started before the window is one that survived to
        // it: its drivers are drawn until they pass that survival (rejection
        // sampling from the survivors' distribution), so the book's older
        // accounts are the safer ones, as in a real book.
        let survive_to = tenure_at(start_dates[i], at_risk_from(i));
        let acct = loop {
            let tq = pick(&mut rng, &TQ_P) as i64 + 1;
            let ttv = ((35f64).ln() - 0.45 * (tq - 3) as f64 + 0.42 * normal(&mut rng))
                .exp()
                .round() as i64;
            let onboarded = rng.random::<f64>() < 0.72;
            let exec = rng.random::<f64>() < SEG_EXEC_P[seg];
            let lam: f64 = gamma.sample(&mut rng);
            let tickets = if lam > 0.0 {
                Poisson::new(lam)
                    .map(|d| d.sample(&mut rng) as i64)
                    .unwrap_or(0)
            } else {
                0
            };
            let b: f64 = beta.sample(&mut rng);
            let adoption_milli = (b * 1000.0).round() as i64;
            let qbrs = (qbr_pois.sample(&mut rng) as i64).min(8);
            let nps = (7.0 + 0.5 * (tq - 3) as f64 + 2.0 * normal(&mut rng))
                .round()
                .clamp(0.0, 10.0) as i64;
            let tq_missing = rng.random::<f64>() < 0.10;
            let nps_missing = rng.random::<f64>() < 0.40;
            let x = |name: &str| -> f64 {
                match name {
                    "training_quality" => tq as f64,
                    "product_adoption" => adoption_milli as f64 / 1000.0,
                    "support_tickets" => tickets as f64,
                    "onboarding_completed" => onboarded as u8 as f64,
                    "exec_sponsor" => exec as u8 as f64,
                    "time_to_value_days" => ttv as f64,
                    "qbrs_completed" => qbrs as f64,
                    _ => nps as f64,
                }
            };
            let eta = COEF.iter().map(|(k, c, ctr)| c * (x(k) - ctr)).sum::<f64>();
            let keep = start_m[i] > 0 || rng.random::<f64>() < (-eta.exp() * h0(survive_to)).exp();
            if keep {
                break Acct {
                    seg,
                    region,
                    csm,
                    base_cents,
                    tq,
                    ttv,
                    onboarded,
                    exec,
                    tickets,
                    adoption_milli,
                    qbrs,
                    nps,
                    tq_missing,
                    nps_missing,
                    destined: false,
                    eta,
                    start_m: start_m[i],
                    churn_m: None,
                    start_date: start_dates[i],
                    end_date: None,
                    reason: None,
                };
            }
        };
        accts.push(acct);
    }

    // Time to churn: hazard h0(t)·exp(η)·f from the at-risk day to the
    // window's end, f = the special factor during the special month.
    let special_lo = month_start(p.start.plus(p.special_month as i32));
    let special_hi = month_start(p.start.plus(p.special_month as i32 + 1));
    let window_end = month_start(p.start.plus(m as i32));
    for (i, a) in accts.iter_mut().enumerate() {
        let from = at_risk_from(i);
        let (t0, t_end) = (
            tenure_at(a.start_date, from),
            tenure_at(a.start_date, window_end),
        );
        let (s0, s1) = (
            tenure_at(a.start_date, special_lo),
            tenure_at(a.start_date, special_hi),
        );
        // Cumulative hazard to spend, in baseline units.
        let e: f64 = rand_distr::Exp1.sample(&mut rng);
        let mut target = e / a.eta.exp();
        // Walk the pieces [t0, s0), [s0, s1) at factor f, [s1, t_end).
        let pieces = [
            (t0, s0.max(t0), 1.0),
            (s0.max(t0), s1.max(t0), p.special_factor),
            (s1.max(t0), t_end, 1.0),
        ];
        let mut churn_t = None;
        for (lo, hi, f) in pieces {
            if hi <= lo {
                continue;
            }
            let cost = f * (h0(hi) - h0(lo));
            if target <= cost {
                churn_t = Some(h0_inv(h0(lo) + target / f));
                break;
            }
            target -= cost;
        }
        if let Some(t) = churn_t {
            let day = a.start_date + Duration::days((t * DAYS_PER_MONTH).floor() as i64);
            let day = day.max(from).min(window_end - Duration::days(1));
            a.end_date = Some(day);
            a.destined = true;
            let cm =
                (day.year() - p.start.year()) * 12 + day.month() as i32 - p.start.month() as i32;
            a.churn_m = Some(cm.max(1) as usize);
        }
    }

    // Reasons.
    let gumbel = Gumbel::new(0.0, 1.0).expect("valid gumbel");
    for a in accts.iter_mut() {
        if a.destined {
            let mut best = (f64::NEG_INFINITY, 0);
            for (r, (_, base)) in REASONS.iter().enumerate() {
                let mut s = base[a.seg].ln();
                match r {
                    2 => s += 0.55 * (3 - a.tq) as f64 + 0.5 * (!a.onboarded as u8 as f64),
                    4 => s += 4.0 * (0.57 - a.adoption_milli as f64 / 1000.0),
                    6 => s += 0.20 * ((a.tickets - 3).min(8)) as f64,
                    7 => s += 0.9 * (!a.exec as u8 as f64),
                    _ => {}
                }
                s += gumbel.sample(&mut rng);
                if s > best.0 {
                    best = (s, r);
                }
            }
            a.reason = Some(best.1);
            if rng.random::<f64>() < 0.05 {
                a.reason = None; // "not given"
            }
        }
    }
    accts
}
