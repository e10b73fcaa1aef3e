//! Demo data with planted ground truth, deterministic per seed: the same
//! model as the Python peer's `gen_data.py` (shared/peers), so both pipelines
//! can be judged against the truth they should recover.
//!
//! `churned ~ Bernoulli(sigmoid(η))`, η linear in the *observed* drivers:
//! training quality, adoption, onboarding and exec sponsor protective, support
//! tickets harmful; time-to-value has no direct effect but is generated from
//! training quality (a confounder); NPS and QBR count are noise. Churn timing
//! is a steady-state book (every churn replaced by a new account) with one
//! special-cause month where churn doubles.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate};
use rand::seq::{index, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Binomial, Distribution, Gamma, Gumbel, Poisson, StandardNormal};
use serde::Serialize;

use crate::data::Month;
use crate::error::{Error, Result};
use crate::output::{ensure_absent, write_atomic, AtomicFile};

/// Generator settings.
#[derive(Debug, Clone, Serialize)]
pub struct DemoParams {
    pub accounts: usize,
    pub months: usize,
    pub seed: u64,
    /// First month of the window.
    pub start: Month,
    /// 0-based month index of the special cause (1..months-1).
    pub special_month: usize,
    /// How much more churn the special month gets.
    pub special_factor: f64,
}

impl Default for DemoParams {
    /// The committed demo: 10,000 accounts over 24 months from 2023-01, seed
    /// 42, a special cause in month 17 (2024-06) with twice the churn.
    fn default() -> Self {
        DemoParams {
            accounts: 10_000,
            months: 24,
            seed: 42,
            start: Month::new(2023, 1),
            special_month: 17,
            special_factor: 2.0,
        }
    }
}

impl DemoParams {
    /// Checks the settings can produce a study.
    ///
    /// # Errors
    /// [`Error::Usage`] naming the flag that is out of range.
    pub fn validate(&self) -> Result<()> {
        let bad = |flag: &str, message: String| {
            Err(Error::Usage {
                flag: flag.into(),
                message,
            })
        };
        if self.accounts < 10 {
            return bad(
                "--accounts",
                format!("{} is too few; use at least 10", self.accounts),
            );
        }
        if self.accounts > 50_000_000 {
            return bad("--accounts", "at most 50,000,000".into());
        }
        if !(3..=240).contains(&self.months) {
            return bad(
                "--months",
                format!("{} must be between 3 and 240", self.months),
            );
        }
        if !(1..self.months).contains(&self.special_month) {
            return bad(
                "--special-month",
                format!(
                    "{} must be in 1..={} (0-based month index)",
                    self.special_month,
                    self.months - 1
                ),
            );
        }
        if !(self.special_factor.is_finite() && self.special_factor > 0.0) {
            return bad("--special-factor", "must be a positive number".into());
        }
        Ok(())
    }
}

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
const INTERCEPT_CENTERED: f64 = -0.55;

const SEGMENTS: [&str; 3] = ["SMB", "MidMarket", "Enterprise"];
const SEG_P: [f64; 3] = [0.60, 0.30, 0.10];
const SEG_ARR_MEDIAN: [f64; 3] = [5_000.0, 30_000.0, 150_000.0];
const SEG_ARR_SIGMA: [f64; 3] = [0.70, 0.60, 0.60];
const SEG_EXEC_P: [f64; 3] = [0.20, 0.40, 0.65];
const SEG_ACCTS_PER_CSM: [f64; 3] = [400.0, 120.0, 30.0];
const REGIONS: [&str; 4] = ["NorthAmerica", "EMEA", "APAC", "LATAM"];
const REGION_P: [f64; 4] = [0.45, 0.30, 0.15, 0.10];
const TQ_P: [f64; 5] = [0.07, 0.16, 0.34, 0.28, 0.15];

/// Cancellation reasons and their base weights per segment (SMB, MidMarket, Enterprise):
/// frequent small-account reasons differ from the ones that cost the most ARR.
const REASONS: [(&str, [f64; 3]); 11] = [
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

const P_EXPAND: f64 = 0.05;
const P_CONTRACT: f64 = 0.04;
const EXPAND_RANGE: (f64, f64) = (0.05, 0.35);
const CONTRACT_RANGE: (f64, f64) = (0.05, 0.30);

/// One generated account (values before missingness is applied are kept for the truth).
struct Acct {
    seg: usize,
    region: usize,
    csm: usize,
    base_cents: i64,
    tq: i64,
    ttv: i64,
    onboarded: bool,
    exec: bool,
    tickets: i64,
    adoption_milli: i64,
    qbrs: i64,
    nps: i64,
    tq_missing: bool,
    nps_missing: bool,
    destined: bool,
    start_m: usize,
    churn_m: Option<usize>,
    start_date: NaiveDate,
    end_date: Option<NaiveDate>,
    reason: Option<usize>,
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

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
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
fn generate(p: &DemoParams) -> Vec<Acct> {
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

fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Files written by [`write_demo`].
pub const DEMO_FILES: [&str; 4] = ["accounts.csv", "revenue.csv", "study.toml", "truth.json"];

/// What the generator planted, as written to `truth.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Truth {
    pub generator: &'static str,
    pub params: DemoParams,
    pub n_revenue_rows: usize,
    pub window: (String, String),
    pub logistic_model: TruthModel,
    pub drivers: Vec<TruthDriver>,
    pub true_effectiveness_kpis: Vec<String>,
    pub confounder: String,
    pub noise: Vec<String>,
    pub correlations: Vec<(String, f64)>,
    pub missing_rates: Vec<(String, f64)>,
    pub churn: TruthChurn,
    pub segments: Vec<TruthSegment>,
    pub reasons: Vec<TruthReason>,
    pub reasons_by_count: Vec<String>,
    pub reasons_by_lost_arr: Vec<String>,
    pub special_cause: TruthSpecial,
    pub monthly_logo_churn: Vec<TruthMonth>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TruthModel {
    pub formula: &'static str,
    pub intercept_raw: f64,
    pub note: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct TruthDriver {
    pub driver: String,
    pub role: &'static str,
    pub coef_raw: f64,
    /// Coefficient per standard deviation (population SD over all accounts).
    pub coef_std: f64,
    pub sd: f64,
    pub expected_multivariable_significant: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct TruthChurn {
    pub n_churned: usize,
    pub rate: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TruthSegment {
    pub segment: String,
    pub share: f64,
    pub churn_rate: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TruthReason {
    pub reason: String,
    pub count: usize,
    pub lost_arr: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TruthSpecial {
    pub month: String,
    pub month_index0: usize,
    pub factor: f64,
    pub expected_logo_churn_rate_other_months: f64,
    pub expected_logo_churn_rate_special_month: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TruthMonth {
    pub month: String,
    pub active_at_start: usize,
    pub churned: usize,
    pub rate: f64,
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// The study config written beside the demo data.
pub const DEMO_STUDY_TOML: &str = r#"# Demo churn-driver study: generated by `churnlab demo-data` (see truth.json).
[study]
name = "Demo driver study"
currency = "$"            # shown with money in the report

[accounts]
path = "accounts.csv"
id = "account_id"
churned = "churned"
reason = "cancellation_reason"
revenue = "arr"
segments = ["segment", "region"]
owner = "csm_id"
start_date = "start_date"
end_date = "end_date"

[[drivers]]
column = "training_quality"
kind = "ordinal"
label = "Training quality (1-5)"
controllable = true
indicator = "leading"
range = [1, 5]

[[drivers]]
column = "time_to_value_days"
kind = "numeric"
label = "Time to value (days)"
controllable = true
indicator = "leading"
range = [0, inf]

[[drivers]]
column = "onboarding_completed"
kind = "binary"
label = "Onboarding completed"
controllable = true
indicator = "leading"

[[drivers]]
column = "support_tickets"
kind = "numeric"
label = "Support tickets (last quarter)"
controllable = true
indicator = "leading"
range = [0, inf]

[[drivers]]
column = "nps"
kind = "ordinal"
label = "NPS answer (0-10)"
controllable = false
indicator = "lagging"
range = [0, 10]

[[drivers]]
column = "product_adoption"
kind = "numeric"
label = "Product adoption (share of seats)"
controllable = true
indicator = "leading"
range = [0, 1]

[[drivers]]
column = "qbrs_completed"
kind = "numeric"
label = "QBRs held (last year)"
controllable = true
indicator = "leading"
range = [0, inf]

[[drivers]]
column = "exec_sponsor"
kind = "binary"
label = "Executive sponsor"
controllable = true
indicator = "leading"

[kpis]
nps = "nps"
time_to_value = "time_to_value_days"
means = ["training_quality", "product_adoption"]

[revenue]
path = "revenue.csv"
id = "account_id"
period = "month"
mrr = "mrr"
"#;

/// Generates the demo study into `out`: accounts.csv, revenue.csv, study.toml, truth.json.
///
/// # Errors
/// Bad parameters, existing files (unless `force`), or I/O failures.
pub fn write_demo(p: &DemoParams, out: &Path, force: bool) -> Result<Truth> {
    p.validate()?;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, "cannot create folder", e))?;
    let targets: Vec<PathBuf> = DEMO_FILES.iter().map(|f| out.join(f)).collect();
    ensure_absent(&targets, force)?;

    let accts = generate(p);
    let n = accts.len();
    let m = p.months;
    let idw = 7.max(n.to_string().len());
    let id = |i: usize| format!("A{:0idw$}", i + 1);
    let io = |e| Error::io(out.join("accounts.csv"), "cannot write file", e);

    let mut f = AtomicFile::create(&targets[0])?;
    {
        let w = f.writer();
        writeln!(w, "account_id,segment,region,csm_id,start_date,end_date,churned,cancellation_reason,arr,training_quality,time_to_value_days,onboarding_completed,support_tickets,nps,product_adoption,qbrs_completed,exec_sponsor").map_err(io)?;
        for (i, a) in accts.iter().enumerate() {
            let tq = if a.tq_missing {
                String::new()
            } else {
                a.tq.to_string()
            };
            let nps = if a.nps_missing {
                String::new()
            } else {
                a.nps.to_string()
            };
            let end = a.end_date.map(|d| d.to_string()).unwrap_or_default();
            let reason = a.reason.map(|r| REASONS[r].0).unwrap_or("");
            writeln!(
                w,
                "{},{},{},CSM-{:05},{},{},{},{},{},{},{},{},{},{},{}.{:03},{},{}",
                id(i),
                SEGMENTS[a.seg],
                REGIONS[a.region],
                a.csm + 1,
                a.start_date,
                end,
                a.churn_m.is_some() as u8,
                reason,
                money(12 * a.base_cents),
                tq,
                a.ttv,
                a.onboarded,
                a.tickets,
                nps,
                a.adoption_milli / 1000,
                a.adoption_milli % 1000,
                a.qbrs,
                if a.exec { "yes" } else { "no" }
            )
            .map_err(io)?;
        }
    }
    f.commit()?;

    // Revenue: account-major, month-minor; an explicit 0 row in the churn month.
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed ^ 0x005e_ed0f_2e7e_0e5e);
    let months: Vec<String> = (0..m).map(|k| p.start.plus(k as i32).to_string()).collect();
    let mut n_rows = 0usize;
    let mut billed = vec![0u32; m]; // accounts billed per month
    let mut f = AtomicFile::create(&targets[1])?;
    {
        let io = |e| Error::io(out.join("revenue.csv"), "cannot write file", e);
        let w = f.writer();
        writeln!(w, "account_id,month,mrr").map_err(io)?;
        for (i, a) in accts.iter().enumerate() {
            let last_billed = a.churn_m.map_or(m - 1, |c| c - 1);
            let last_row = a.churn_m.unwrap_or(m - 1);
            let mut cs = 0.0f64;
            let ident = id(i);
            for (mm, label) in months.iter().enumerate() {
                let u: f64 = rng.random();
                let mag: f64 = rng.random();
                let step = if u < P_EXPAND {
                    EXPAND_RANGE.0 + (EXPAND_RANGE.1 - EXPAND_RANGE.0) * mag
                } else if u < P_EXPAND + P_CONTRACT {
                    -(CONTRACT_RANGE.0 + (CONTRACT_RANGE.1 - CONTRACT_RANGE.0) * mag)
                } else {
                    0.0
                };
                if mm > a.start_m {
                    cs += step;
                }
                if mm < a.start_m || mm > last_row {
                    continue;
                }
                let cents = if mm <= last_billed {
                    billed[mm] += 1;
                    ((a.base_cents as f64 * cs.exp()).round() as i64).max(1)
                } else {
                    0
                };
                writeln!(w, "{ident},{label},{}", money(cents)).map_err(io)?;
                n_rows += 1;
            }
        }
    }
    f.commit()?;

    write_atomic(&targets[2], DEMO_STUDY_TOML.as_bytes())?;
    let truth = truth(p, &accts, n_rows, &billed);
    write_atomic(
        &targets[3],
        serde_json::to_string_pretty(&truth)?.as_bytes(),
    )?;
    Ok(truth)
}

fn truth(p: &DemoParams, accts: &[Acct], n_rows: usize, billed: &[u32]) -> Truth {
    let n = accts.len() as f64;
    let value = |a: &Acct, k: &str| -> f64 {
        match k {
            "training_quality" => a.tq as f64,
            "product_adoption" => a.adoption_milli as f64 / 1000.0,
            "support_tickets" => a.tickets as f64,
            "onboarding_completed" => a.onboarded as u8 as f64,
            "exec_sponsor" => a.exec as u8 as f64,
            "time_to_value_days" => a.ttv as f64,
            "qbrs_completed" => a.qbrs as f64,
            _ => a.nps as f64,
        }
    };
    let mean_sd = |k: &str| {
        let mean = accts.iter().map(|a| value(a, k)).sum::<f64>() / n;
        let var = accts
            .iter()
            .map(|a| (value(a, k) - mean).powi(2))
            .sum::<f64>()
            / n;
        (mean, var.sqrt())
    };
    let corr = |k1: &str, k2: &str, f: &dyn Fn(f64) -> f64| {
        let xs: Vec<f64> = accts.iter().map(|a| value(a, k1)).collect();
        let ys: Vec<f64> = accts.iter().map(|a| f(value(a, k2))).collect();
        let mx = xs.iter().sum::<f64>() / n;
        let my = ys.iter().sum::<f64>() / n;
        let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
        let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
        let syy: f64 = ys.iter().map(|y| (y - my).powi(2)).sum();
        round(sxy / (sxx * syy).sqrt(), 4)
    };
    let drivers = COEF
        .iter()
        .map(|(k, c, _)| {
            let (_, sd) = mean_sd(k);
            TruthDriver {
                driver: k.to_string(),
                role: match *k {
                    "time_to_value_days" => {
                        "confounder (no direct effect; correlated with training_quality)"
                    }
                    "nps" => "noise (weakly correlated with training_quality only)",
                    "qbrs_completed" => "noise (independent of everything)",
                    "support_tickets" => "harmful driver",
                    _ => "protective driver",
                },
                coef_raw: *c,
                coef_std: round(c * sd, 4),
                sd: round(sd, 4),
                expected_multivariable_significant: *c != 0.0,
            }
        })
        .collect();
    let intercept_raw = INTERCEPT_CENTERED - COEF.iter().map(|(_, c, ctr)| c * ctr).sum::<f64>();
    let n_churned = accts.iter().filter(|a| a.destined).count();

    let mut reasons: Vec<TruthReason> = REASONS
        .iter()
        .enumerate()
        .map(|(r, (name, _))| {
            let sel = accts.iter().filter(|a| a.destined && a.reason == Some(r));
            let (count, cents) = sel.fold((0, 0i64), |(c, s), a| (c + 1, s + 12 * a.base_cents));
            TruthReason {
                reason: name.to_string(),
                count,
                lost_arr: cents as f64 / 100.0,
            }
        })
        .collect();
    let (count, cents) = accts
        .iter()
        .filter(|a| a.destined && a.reason.is_none())
        .fold((0, 0i64), |(c, s), a| (c + 1, s + 12 * a.base_cents));
    reasons.push(TruthReason {
        reason: "(not given)".into(),
        count,
        lost_arr: cents as f64 / 100.0,
    });
    let mut by_count: Vec<&TruthReason> = reasons.iter().collect();
    by_count.sort_by(|a, b| b.count.cmp(&a.count).then(a.reason.cmp(&b.reason)));
    let mut by_arr: Vec<&TruthReason> = reasons.iter().collect();
    by_arr.sort_by(|a, b| {
        b.lost_arr
            .total_cmp(&a.lost_arr)
            .then(a.reason.cmp(&b.reason))
    });

    let m = p.months;
    let monthly: Vec<TruthMonth> = (1..m)
        .map(|mm| {
            let churned = accts.iter().filter(|a| a.churn_m == Some(mm)).count();
            let active = billed[mm - 1] as usize;
            TruthMonth {
                month: p.start.plus(mm as i32).to_string(),
                active_at_start: active,
                churned,
                rate: round(churned as f64 / active.max(1) as f64, 6),
            }
        })
        .collect();
    let wsum = (m - 2) as f64 + p.special_factor;
    let base_rate = n_churned as f64 / wsum / monthly[0].active_at_start.max(1) as f64;
    let window_end = p.start.plus(m as i32 - 1);
    let segments = (0..3)
        .map(|s| {
            let sel: Vec<&Acct> = accts.iter().filter(|a| a.seg == s).collect();
            TruthSegment {
                segment: SEGMENTS[s].into(),
                share: round(sel.len() as f64 / n, 4),
                churn_rate: round(
                    sel.iter().filter(|a| a.destined).count() as f64 / sel.len().max(1) as f64,
                    4,
                ),
            }
        })
        .collect();
    Truth {
        generator: "churnlab demo-data (model of shared/peers/gen_data.py)",
        params: p.clone(),
        n_revenue_rows: n_rows,
        window: (p.start.to_string(), window_end.to_string()),
        logistic_model: TruthModel {
            formula: "logit P(churned) = intercept + sum(coef_raw * x); binaries as 0/1 (true/yes = 1)",
            intercept_raw: round(intercept_raw, 6),
            note: "churned is drawn from exactly this model on the observed values (including those later blanked as missing); missingness is MCAR",
        },
        drivers,
        true_effectiveness_kpis: COEF
            .iter()
            .filter(|(_, c, _)| *c != 0.0)
            .map(|(k, _, _)| k.to_string())
            .collect(),
        confounder: "time_to_value_days".into(),
        noise: vec!["nps".into(), "qbrs_completed".into()],
        correlations: vec![
            (
                "training_quality~time_to_value_days".into(),
                corr("training_quality", "time_to_value_days", &|x| x),
            ),
            (
                "training_quality~log_time_to_value_days".into(),
                corr("training_quality", "time_to_value_days", &|x| x.max(1.0).ln()),
            ),
            ("training_quality~nps".into(), corr("training_quality", "nps", &|x| x)),
        ],
        missing_rates: vec![
            (
                "training_quality".into(),
                round(accts.iter().filter(|a| a.tq_missing).count() as f64 / n, 4),
            ),
            (
                "nps".into(),
                round(accts.iter().filter(|a| a.nps_missing).count() as f64 / n, 4),
            ),
            (
                "cancellation_reason_among_churned".into(),
                round(count as f64 / n_churned.max(1) as f64, 4),
            ),
        ],
        churn: TruthChurn {
            n_churned,
            rate: round(n_churned as f64 / n, 4),
        },
        segments,
        reasons_by_count: by_count.iter().map(|r| r.reason.clone()).collect(),
        reasons_by_lost_arr: by_arr.iter().map(|r| r.reason.clone()).collect(),
        reasons,
        special_cause: TruthSpecial {
            month: p.start.plus(p.special_month as i32).to_string(),
            month_index0: p.special_month,
            factor: p.special_factor,
            expected_logo_churn_rate_other_months: round(base_rate, 6),
            expected_logo_churn_rate_special_month: round(base_rate * p.special_factor, 6),
        },
        monthly_logo_churn: monthly,
    }
}
