//! Planted truth for time to churn: over 100 seeds of the demo generator at
//! 10,000 accounts, whose churn times come from a Weibull proportional-
//! hazards model with known log hazard ratios (`truth.json`,
//! `hazard_model`), the Cox model's 95 % intervals cover each true log
//! hazard ratio about 95 % of the time, and the drivers with no effect (the
//! confounder time to value, the noise drivers NPS and QBRs) are rejected
//! at about α.

use churnlab::demo::{write_demo, DemoParams, COEF};
use churnlab::{load_study, StudyConfig};

const SEEDS: u64 = 100;

#[test]
fn cox_recovers_planted_hazard_ratios_over_100_seeds() {
    let tmp = tempfile::tempdir().unwrap();
    let mut covered = vec![0u32; COEF.len()];
    let mut rejected = vec![0u32; COEF.len()];
    let mut ran = 0u32;
    for seed in 1..=SEEDS {
        let dir = tmp.path().join(format!("s{seed}"));
        let p = DemoParams {
            accounts: 10_000,
            seed,
            ..DemoParams::default()
        };
        write_demo(&p, &dir, false).unwrap();
        let cfg = StudyConfig::from_path(&dir.join("study.toml")).unwrap();
        let study = load_study(&cfg).unwrap();
        let r = churnlab::survival::analyse(&study, &cfg, None, None)
            .unwrap()
            .unwrap();
        let cox = r.cox.as_ref().unwrap();
        assert!(cox.separation.is_none() && cox.converged, "seed {seed}");
        for (k, (driver, beta, _)) in COEF.iter().enumerate() {
            let t = cox.coefficients.iter().find(|c| c.term == *driver).unwrap();
            covered[k] += (t.ci_low <= *beta && *beta <= t.ci_high) as u32;
            rejected[k] += (t.p_value < 0.05) as u32;
        }
        ran += 1;
        std::fs::remove_dir_all(&dir).unwrap();
    }
    let rate = |n: u32| n as f64 / ran as f64;
    println!("Cox on the planted hazards, {ran} seeds of 10,000 accounts:");
    for (k, (driver, beta, _)) in COEF.iter().enumerate() {
        println!(
            "  {driver:22} true log HR {beta:+.2}: 95 % CI covers it in {:5.1} %, p < 0.05 in {:5.1} %",
            100.0 * rate(covered[k]),
            100.0 * rate(rejected[k])
        );
    }
    // Coverage: a binomial(100, 0.95) count lies in 88..=100 with
    // probability 0.9996; pooled over the eight drivers (800 intervals) the
    // rate must be within 92–98 %.
    for (k, (driver, _, _)) in COEF.iter().enumerate() {
        assert!(
            rate(covered[k]) >= 0.88,
            "{driver}: coverage {:.0} %",
            100.0 * rate(covered[k])
        );
    }
    let pooled = covered.iter().sum::<u32>() as f64 / (ran as f64 * COEF.len() as f64);
    println!("  pooled coverage {:.1} %", 100.0 * pooled);
    assert!(
        (0.92..=0.98).contains(&pooled),
        "pooled coverage {:.1} %",
        100.0 * pooled
    );
    // Real effects found every time; null effects rejected at about α:
    // pooled over the three (300 tests) at most 9 % (binomial 0.05 + 4 SD).
    let null: Vec<usize> = (0..COEF.len()).filter(|&k| COEF[k].1 == 0.0).collect();
    for k in (0..COEF.len()).filter(|k| !null.contains(k)) {
        assert!(
            rate(rejected[k]) >= 0.95,
            "{} found in {:.0} %",
            COEF[k].0,
            100.0 * rate(rejected[k])
        );
    }
    let null_rate =
        null.iter().map(|&k| rejected[k]).sum::<u32>() as f64 / (ran as f64 * null.len() as f64);
    println!("  null drivers rejected in {:.1} %", 100.0 * null_rate);
    assert!(
        null_rate <= 0.09,
        "null drivers rejected in {:.1} %",
        100.0 * null_rate
    );
}
