//! The renewals at risk on the demo's planted truth (issue 18): the true
//! chance of each renewal is known (truth_risk.csv's η with truth.json's
//! Weibull baseline), so the ranking, the backtest's AUC and the levers can
//! be checked against it.

use std::collections::HashMap;

use chrono::NaiveDate;
use churnlab::forward::ForwardReport;
use churnlab::pipeline::{run, RunOptions};
use churnlab::StudyConfig;

use crate::common::repo;

/// Drivers with a planted effect on the hazard (truth.json `drivers`).
const PLANTED: [&str; 5] = [
    "training_quality",
    "product_adoption",
    "support_tickets",
    "onboarding_completed",
    "exec_sponsor",
];

struct Truth {
    eta: HashMap<String, f64>,
    start: HashMap<String, NaiveDate>,
    shape: f64,
    scale: f64,
}

impl Truth {
    fn load() -> Self {
        let t: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(repo("data/demo/truth.json")).expect("truth.json"),
        )
        .expect("json");
        let hm = &t["hazard_model"];
        let eta = std::fs::read_to_string(repo("data/demo/truth_risk.csv"))
            .expect("truth_risk.csv")
            .lines()
            .skip(1)
            .map(|l| {
                let (a, b) = l.split_once(',').expect("two fields");
                (a.to_string(), b.parse().expect("eta"))
            })
            .collect();
        let start = std::fs::read_to_string(repo("data/demo/accounts.csv"))
            .expect("accounts.csv")
            .lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f[0].to_string(), f[4].parse().expect("start date"))
            })
            .collect();
        Truth {
            eta,
            start,
            shape: hm["weibull_shape"].as_f64().expect("shape"),
            scale: hm["weibull_scale_months"].as_f64().expect("scale"),
        }
    }

    /// The true chance that `account` churns between `from` and the day a
    /// renewal due on `due` is decided, alive at `from`.
    fn p(&self, account: &str, from: NaiveDate, due: NaiveDate) -> f64 {
        let to = churnlab::forward::decided_by(due);
        let s = self.start[account];
        let t = |d: NaiveDate| ((d - s).num_days() as f64 / 30.4375).max(0.0);
        let h = |x: f64| (x / self.scale).powf(self.shape);
        1.0 - (-(h(t(to)) - h(t(from))) * self.eta[account].exp()).exp()
    }
}

/// Every lever of the top renewals names a planted driver.
fn assert_planted_levers(f: &ForwardReport) {
    for x in &f.at_risk[..f.top] {
        for l in &x.levers {
            assert!(
                PLANTED.contains(&l.driver.as_str()),
                "{}: lever {}",
                x.account,
                l.driver
            );
        }
    }
}

fn forward() -> ForwardReport {
    let cfg = StudyConfig::from_path(&repo("data/demo/study.toml")).expect("config");
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = RunOptions {
        out: Some(dir.path().join("out")),
        ..Default::default()
    };
    run(&cfg, &opts, &mut |_| {})
        .expect("run")
        .results
        .forward
        .expect("forward view")
}

/// AUC of scores against outcomes (ties ½), directly from the pairs.
fn auc(p: &[f64], y: &[bool]) -> f64 {
    let (mut s, mut n) = (0.0, 0.0);
    for (a, ya) in p.iter().zip(y) {
        for (b, yb) in p.iter().zip(y) {
            if *ya && !*yb {
                n += 1.0;
                s += if a > b {
                    1.0
                } else if a == b {
                    0.5
                } else {
                    0.0
                };
            }
        }
    }
    s / n
}

#[test]
fn planted_high_risk_renewals_fill_the_top_and_their_levers_are_planted() {
    let f = forward();
    let truth = Truth::load();
    assert!(f.all.len() > 3000, "{} renewals scored", f.all.len());
    // The true expected ARR lost of every ranked renewal.
    let true_loss: Vec<f64> = f
        .all
        .iter()
        .map(|x| x.risk.arr_due * truth.p(&x.account, f.as_of, x.risk.due.max(f.as_of)))
        .collect();
    let mut order: Vec<usize> = (0..f.all.len()).collect();
    order.sort_by(|&a, &b| true_loss[b].total_cmp(&true_loss[a]));
    let true_rank: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(r, &k)| (f.all[k].account.as_str(), r + 1))
        .collect();
    // The model's top 10 are among the true top 40 (of over 3,000), 8 of them at least.
    let hits = f.all[..10]
        .iter()
        .filter(|x| true_rank[x.account.as_str()] <= 40)
        .count();
    assert!(
        hits >= 8,
        "only {hits} of the top 10 are in the true top 40"
    );
    // Levers name planted drivers only, each lowering the risk.
    assert_planted_levers(&f);
    for x in &f.at_risk[..f.top] {
        assert!(!x.levers.is_empty(), "{} has no lever", x.account);
        for l in &x.levers {
            assert!(l.change < 0.0 && l.text.contains("pp"), "{l:?}");
        }
    }
}

#[test]
fn the_backtest_auc_is_within_its_interval_of_the_true_probabilities_auc() {
    let f = forward();
    let truth = Truth::load();
    let b = f.backtest.as_ref().expect("backtest");
    let open: Vec<_> = b.scored.iter().filter(|s| s.open_at_cutoff).collect();
    assert_eq!(open.len(), b.out_of_time.n);
    assert!(
        open.len() > 2000 && b.out_of_time.events > 80,
        "{} renewals",
        open.len()
    );
    let y: Vec<bool> = open.iter().map(|s| s.churned).collect();
    let p_true: Vec<f64> = open
        .iter()
        .map(|s| truth.p(&s.account, b.cutoff, s.due))
        .collect();
    let d = b.out_of_time.discrimination.expect("auc");
    let true_auc = auc(&p_true, &y);
    assert!(
        (d.auc - true_auc).abs() <= 1.959963984540054 * d.se,
        "model AUC {:.3} (SE {:.3}) vs true-probability AUC {true_auc:.3}",
        d.auc,
        d.se
    );
    // The model ranks: well above chance, and so does it say.
    assert!(d.ci_low > 0.6, "{d:?}");
    assert!(f.fit_to_rank, "{}", f.verdict);
    // Calibrated: the slope's interval covers 1 on the renewals decided
    // after the cut-off, and on every renewal due in the window (the early
    // renewals too).
    for m in [&b.out_of_time, &b.out_of_time_all_due] {
        let c = m.calibration.expect("calibration");
        assert!(c.slope_ci_low <= 1.0 && 1.0 <= c.slope_ci_high, "{c:?}");
    }
    assert_eq!(b.out_of_time_all_due.n, b.scored.len());
    // The out-of-time scores agree with the in-sample ones closely (a
    // model refitted half a year earlier on the same population).
    let r = b.in_sample.discrimination.expect("in-sample auc").auc;
    assert!((r - d.auc).abs() < 0.02, "{r} vs {}", d.auc);
}

/// Without durations the logistic model scores the renewals: P is its
/// chance of churn (equal to the model's own linear predictor), the levers
/// are planted drivers, and the ranking says it is unvalidated.
#[test]
fn without_durations_the_logistic_model_ranks_and_says_it_is_unvalidated() {
    let dir = tempfile::tempdir().expect("tempdir");
    for f in ["accounts.csv", "revenue.csv", "renewals.csv"] {
        std::fs::copy(repo(&format!("data/demo/{f}")), dir.path().join(f)).expect("copy");
    }
    let toml = std::fs::read_to_string(repo("data/demo/study.toml")).expect("toml")
        + "\n[survival]\nenabled = false\n";
    std::fs::write(dir.path().join("study.toml"), toml).expect("write");
    let cfg = StudyConfig::from_path(&dir.path().join("study.toml")).expect("config");
    let opts = RunOptions {
        out: Some(dir.path().join("out")),
        ..Default::default()
    };
    let results = run(&cfg, &opts, &mut |_| {}).expect("run").results;
    let f = results.forward.as_ref().expect("forward");
    assert!(f.model.contains("logistic model"), "{}", f.model);
    assert!(
        !f.fit_to_rank && f.verdict.contains("unvalidated"),
        "{}",
        f.verdict
    );
    assert!(f.backtest.is_none());
    assert!(f.unscored.is_empty(), "{:?}", f.unscored);
    assert_eq!(f.all.len(), f.open_renewals);
    // P of a complete case equals the logistic model's own η.
    let study = churnlab::load_study(&cfg).expect("study");
    let m = results.drivers.model.as_ref().expect("logistic model");
    let eta = m.eta(&study.accounts.drivers).expect("eta");
    let index: HashMap<&str, usize> = study
        .accounts
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut checked = 0;
    for x in f.all.iter().filter(|x| x.imputed.is_empty()).take(200) {
        let e = eta[index[x.account.as_str()]];
        let p = 1.0 / (1.0 + (-e).exp());
        assert!(
            (x.risk.probability - p).abs() < 1e-12,
            "{}: {} vs {p}",
            x.account,
            x.risk.probability
        );
        assert!(x.risk.probability_low < p && p < x.risk.probability_high);
        checked += 1;
    }
    assert_eq!(checked, 200);
    assert_planted_levers(f);
}
