//! Planted truth: over 100 seeds (the issue asks for at least 50) of the demo generator at 10,000 accounts,
//! the driver stage finds the planted drivers, leaves the noise drivers
//! alone, and tells the confounder (time to value) apart from its cause.

use churnlab::demo::{write_demo, DemoParams};
use churnlab::drivers::analyse;
use churnlab::{load_study, StudyConfig};

const SEEDS: u64 = 100;

#[test]
fn pipeline_recovers_planted_effects_over_100_seeds() {
    let planted = [
        "training_quality",
        "product_adoption",
        "support_tickets",
        "onboarding_completed",
        "exec_sponsor",
    ];
    let noise = ["nps", "qbrs_completed"];
    let mut found = vec![0u32; planted.len()];
    let mut flagged = vec![0u32; noise.len()];
    let mut confounded = 0u32;
    let tmp = tempfile::tempdir().unwrap();
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
        let r = analyse(&study.accounts, &cfg.analysis).unwrap();
        let ev = |d: &str| r.drivers.iter().find(|x| x.driver == d).unwrap().clone();
        for (k, d) in planted.iter().enumerate() {
            found[k] += ev(d).significant as u32;
        }
        for (k, d) in noise.iter().enumerate() {
            flagged[k] += ev(d).significant as u32;
        }
        let ttv = ev("time_to_value_days");
        if ttv.univariate_significant && !ttv.significant {
            confounded += 1;
            assert!(
                r.confounding
                    .iter()
                    .any(|c| c.driver == "time_to_value_days"
                        && c.correlated_with[0].0 == "training_quality"),
                "seed {seed}: the confounding note must name training_quality"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
    let rate = |n: u32| n as f64 / SEEDS as f64;
    println!("planted truth over {SEEDS} seeds (10,000 accounts each):");
    for (d, n) in planted.iter().zip(&found) {
        println!("  {d:22} found (LR q < 0.05) in {:5.1} %", 100.0 * rate(*n));
    }
    for (d, n) in noise.iter().zip(&flagged) {
        println!("  {d:22} flagged in {:5.1} %", 100.0 * rate(*n));
    }
    println!(
        "  time_to_value_days     significant alone but not in the model in {:5.1} %",
        100.0 * rate(confounded)
    );
    for (d, n) in planted.iter().zip(&found) {
        assert!(
            rate(*n) >= 0.95,
            "{d} found in only {:.0} %",
            100.0 * rate(*n)
        );
    }
    // Noise drivers as a class: flagged in at most 5 % of (driver, seed)
    // pairs. With BH across 8 drivers of which 5 are real, a pure-noise
    // driver's expected flag rate is about 0.05 × 6/8 ≈ 3.8 %, so single
    // drivers scatter around that (binomial noise at 100 seeds is ± 2 %).
    let pooled = flagged.iter().sum::<u32>() as f64 / (SEEDS as f64 * noise.len() as f64);
    println!(
        "  noise drivers pooled   flagged in {:5.1} %",
        100.0 * pooled
    );
    assert!(
        pooled <= 0.05,
        "noise drivers flagged in {:.1} %",
        100.0 * pooled
    );
    assert!(
        rate(confounded) >= 0.90,
        "confounder told apart in only {:.0} %",
        100.0 * rate(confounded)
    );
}
