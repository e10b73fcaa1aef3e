//! Demo data with planted ground truth, deterministic per seed: the tables
//! of the Python peer's generator (`docs/peer.md`) with churn times from a
//! proportional-hazards model, so every stage can be judged against the
//! truth it should recover. The model is in
//! `generate.rs`, what it planted in `truth.rs`, the study config written
//! beside the data in `study.toml`.
//!
//! Time to churn follows a Weibull proportional-hazards model in the
//! *observed* drivers, hazard h0(t)·exp(η): training quality, adoption,
//! onboarding and exec sponsor protective, support tickets harmful;
//! time-to-value has no direct effect but is generated from training quality
//! (a confounder); NPS and QBR count are noise. Accounts that started before
//! the window are survivors (their drivers are drawn from the survivors'
//! distribution), so the book is steady; one special-cause month doubles the
//! hazard. `churned` = churned inside the window.

use std::io::Write;
use std::path::{Path, PathBuf};

mod generate;
mod renewals;
mod truth;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::data::Month;
use crate::error::{Error, Result};
use crate::output::{ensure_absent, write_atomic, AtomicFile};
pub use generate::COEF;
use generate::{
    generate, CONTRACT_RANGE, EXPAND_RANGE, P_CONTRACT, P_EXPAND, REASONS, REGIONS, SEGMENTS,
};
use truth::truth;
pub use truth::{
    Truth, TruthChurn, TruthDriver, TruthModel, TruthMonth, TruthReason, TruthSegment, TruthSpecial,
};

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
fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Files written by [`write_demo`].
pub const DEMO_FILES: [&str; 6] = [
    "accounts.csv",
    "revenue.csv",
    "renewals.csv",
    "study.toml",
    "truth.json",
    "truth_risk.csv",
];

/// The study config written beside the demo data.
pub const DEMO_STUDY_TOML: &str = include_str!("study.toml");

/// Generates the demo study into `out`: accounts.csv, revenue.csv,
/// renewals.csv, study.toml, truth.json, and truth_risk.csv (each account's
/// true log hazard ratio η, so a test can compute the true chance of any
/// renewal: 1 − exp(−e^η (H₀(t₁) − H₀(t₀))) with truth.json's Weibull H₀).
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
    let io_t = |e| Error::io(out.join("truth_risk.csv"), "cannot write file", e);
    let mut ft = AtomicFile::create(&targets[5])?;
    {
        let w = ft.writer();
        writeln!(w, "account_id,eta").map_err(io_t)?;
        for (i, a) in accts.iter().enumerate() {
            writeln!(w, "{},{:.12}", id(i), a.eta).map_err(io_t)?;
        }
    }
    ft.commit()?;

    // Revenue: account-major, month-minor; an explicit 0 row in the churn month.
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed ^ 0x005e_ed0f_2e7e_0e5e);
    let months: Vec<String> = (0..m).map(|k| p.start.plus(k as i32).to_string()).collect();
    let mut n_rows = 0usize;
    let mut billed = vec![0u32; m]; // accounts billed per month
    let mut f = AtomicFile::create(&targets[1])?;
    let mut fr = AtomicFile::create(&targets[2])?;
    let mut renewal_rng = ChaCha8Rng::seed_from_u64(p.seed ^ 0x0ee7_a1ed_0c10_5ed5);
    let mut tr = renewals::TruthRenewals {
        term_months: renewals::TERM_MONTHS,
        as_of: renewals::as_of(p).to_string(),
        note: renewals::NOTE,
        ..Default::default()
    };
    {
        let io = |e| Error::io(out.join("revenue.csv"), "cannot write file", e);
        let io_r = |e| Error::io(out.join("renewals.csv"), "cannot write file", e);
        let w = f.writer();
        let wr = fr.writer();
        writeln!(w, "account_id,month,mrr").map_err(io)?;
        writeln!(
            wr,
            "account_id,renewal_date,arr_due,outcome,renewed_arr,closed_date"
        )
        .map_err(io_r)?;
        let mut cents_of: Vec<Option<i64>> = vec![None; m];
        for (i, a) in accts.iter().enumerate() {
            cents_of.iter_mut().for_each(|c| *c = None);
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
                    let c = ((a.base_cents as f64 * cs.exp()).round() as i64).max(1);
                    cents_of[mm] = Some(c);
                    c
                } else {
                    0
                };
                writeln!(w, "{ident},{label},{}", money(cents)).map_err(io)?;
                n_rows += 1;
            }
            for r in renewals::account_renewals(p, a, &cents_of, &mut renewal_rng) {
                let opt =
                    |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
                writeln!(
                    wr,
                    "{ident},{},{},{},{},{}",
                    r.due,
                    money(r.arr_due),
                    r.outcome,
                    r.renewed.map(money).unwrap_or_default(),
                    opt(r.closed)
                )
                .map_err(io_r)?;
                tr.renewals += 1;
                match r.outcome {
                    "renewed" => tr.renewed += 1,
                    "churned" => tr.churned += 1,
                    _ => {
                        tr.open += 1;
                        tr.late += usize::from(r.due < renewals::as_of(p));
                    }
                }
            }
        }
    }
    f.commit()?;
    fr.commit()?;

    write_atomic(&targets[3], DEMO_STUDY_TOML.as_bytes())?;
    let mut truth = truth(p, &accts, n_rows, &billed);
    truth.renewals = tr;
    write_atomic(
        &targets[4],
        serde_json::to_string_pretty(&truth)?.as_bytes(),
    )?;
    Ok(truth)
}
