//! The demo generator's model: segments, regions, drivers with their planted
//! log-odds, cancellation reasons per segment, churn timing in a steady-state
//! book with one special-cause month, and monthly expansion and contraction.

use chrono::{Duration, NaiveDate};
use rand::seq::{index, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Binomial, Distribution, Gamma, Gumbel, Poisson, StandardNormal};

use super::DemoParams;
use crate::data::Month;
use crate::stats::logit::sigmoid;

/// Raw log-odds per unit, applied to centred values.
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
pub(super) const INTERCEPT_CENTERED: f64 = -0.55;

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
    pub(super) destined: bool,
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

/// Multinomial draw by sequential binomials.
fn multinomial(rng: &mut ChaCha8Rng, n: u64, w: &[f64]) -> Vec<u64> {
    let mut left = n;
    let mut wleft: f64 = w.iter().sum();
    let mut out = Vec::with_capacity(w.len());
    for (i, wi) in w.iter().enumerate() {
        let k = if i + 1 == w.len() || left == 0 {
            left
        } else {
            let p = (wi / wleft).clamp(0.0, 1.0);
            Binomial::new(left, p).map(|b| b.sample(rng)).unwrap_or(0)
        };
        out.push(k);
        left -= k;
        wleft -= wi;
    }
    out
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

    let mut accts: Vec<Acct> = Vec::with_capacity(n);
    for &seg in &segs {
        let region = pick(&mut rng, &REGION_P);
        let csm = csm_offset[seg] + rng.random_range(0..csm_k[seg]);
        let arr = (SEG_ARR_MEDIAN[seg].ln() + SEG_ARR_SIGMA[seg] * normal(&mut rng)).exp();
        let base_cents = ((arr / 12.0 * 100.0).round() as i64).max(100);
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
        let eta = INTERCEPT_CENTERED + COEF.iter().map(|(k, c, ctr)| c * (x(k) - ctr)).sum::<f64>();
        let destined = rng.random::<f64>() < sigmoid(eta);
        accts.push(Acct {
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
            destined,
            start_m: 0,
            churn_m: None,
            start_date: NaiveDate::MIN,
            end_date: None,
            reason: None,
        });
    }

    // Timing: a steady-state book. D[k] churns in month k+1; each is replaced
    // by a new account starting that month, so every month's cohort is the same size.
    let c_total = accts.iter().filter(|a| a.destined).count() as u64;
    let mut w = vec![1.0; m - 1];
    w[p.special_month - 1] = p.special_factor;
    let d = multinomial(&mut rng, c_total, &w);
    let n_new = (c_total - d[m - 2]) as usize;
    let new_idx = index::sample(&mut rng, n, n_new.min(n)).into_vec();
    let mut k = 0;
    for (month, &cnt) in d[..m - 2].iter().enumerate() {
        for _ in 0..cnt {
            if let Some(&i) = new_idx.get(k) {
                accts[i].start_m = month + 1;
            }
            k += 1;
        }
    }
    let mut order: Vec<usize> = (0..n).filter(|&i| accts[i].destined).collect();
    order.shuffle(&mut rng);
    let mut by_start: Vec<Vec<usize>> = vec![Vec::new(); m];
    for &i in &order {
        by_start[accts[i].start_m].push(i);
    }
    let mut pool: Vec<usize> = Vec::new();
    let mut carry = 0usize;
    for mm in 1..m {
        pool.extend(by_start[mm - 1].iter().copied());
        let mut want = d[mm - 1] as usize + carry;
        if mm == m - 1 {
            want = pool.len();
        }
        let take = want.min(pool.len());
        carry = want - take;
        if take > 0 {
            let picked = index::sample(&mut rng, pool.len(), take).into_vec();
            let mut chosen = vec![false; pool.len()];
            for j in picked {
                chosen[j] = true;
                accts[pool[j]].churn_m = Some(mm);
            }
            let mut j = 0;
            pool.retain(|_| {
                let keep = !chosen[j];
                j += 1;
                keep
            });
        }
    }

    // Dates and reasons.
    let gumbel = Gumbel::new(0.0, 1.0).expect("valid gumbel");
    let window_start = month_start(p.start);
    for a in accts.iter_mut() {
        a.start_date = if a.start_m == 0 {
            window_start - Duration::days(rng.random_range(1..4 * 365))
        } else {
            random_day(&mut rng, p.start.plus(a.start_m as i32))
        };
        if let Some(cm) = a.churn_m {
            a.end_date = Some(random_day(&mut rng, p.start.plus(cm as i32)));
        }
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
