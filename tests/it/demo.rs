//! The demo generator: deterministic per seed, safe with existing files, and
//! the committed `data/demo/` is exactly what the documented command writes.

use std::path::Path;

use crate::common::churnlab;

fn gen(dir: &Path, extra: &[&str]) -> std::process::Output {
    churnlab()
        .args([
            "demo-data",
            "--accounts",
            "2000",
            "--months",
            "12",
            "--special-month",
            "6",
            "--out",
        ])
        .arg(dir)
        .args(extra)
        .output()
        .expect("run churnlab")
}

#[test]
fn same_seed_same_bytes_other_seed_other_data() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let c = tempfile::tempdir().unwrap();
    assert!(gen(a.path(), &["--seed", "7"]).status.success());
    assert!(gen(b.path(), &["--seed", "7"]).status.success());
    assert!(gen(c.path(), &["--seed", "8"]).status.success());
    for f in ["accounts.csv", "revenue.csv", "study.toml", "truth.json"] {
        let x = std::fs::read(a.path().join(f)).unwrap();
        assert_eq!(x, std::fs::read(b.path().join(f)).unwrap(), "{f}");
        if f != "study.toml" {
            assert_ne!(x, std::fs::read(c.path().join(f)).unwrap(), "{f}");
        }
    }
}

#[test]
fn refuses_to_overwrite_without_force() {
    let a = tempfile::tempdir().unwrap();
    assert!(gen(a.path(), &[]).status.success());
    let before = std::fs::read(a.path().join("accounts.csv")).unwrap();
    let out = gen(a.path(), &["--seed", "9"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    assert_eq!(
        before,
        std::fs::read(a.path().join("accounts.csv")).unwrap()
    );
    assert!(gen(a.path(), &["--seed", "9", "--force"]).status.success());
    assert_ne!(
        before,
        std::fs::read(a.path().join("accounts.csv")).unwrap()
    );
}

#[test]
fn bad_parameters_are_usage_errors() {
    let a = tempfile::tempdir().unwrap();
    let out = gen(a.path(), &["--special-month", "12"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--special-month"));
    assert_eq!(std::fs::read_dir(a.path()).unwrap().count(), 0);
}

#[test]
fn committed_demo_data_is_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let out = churnlab()
        .args([
            "demo-data",
            "--accounts",
            "10000",
            "--months",
            "24",
            "--seed",
            "42",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo");
    for f in ["accounts.csv", "revenue.csv", "study.toml", "truth.json"] {
        assert!(
            std::fs::read(dir.path().join(f)).unwrap() == std::fs::read(repo.join(f)).unwrap(),
            "data/demo/{f} differs from `churnlab demo-data --seed 42`; regenerate it"
        );
    }
}

#[test]
fn planted_structure_is_in_the_files() {
    let dir = tempfile::tempdir().unwrap();
    assert!(churnlab()
        .args(["demo-data", "--accounts", "20000", "--seed", "3", "--out"])
        .arg(dir.path())
        .output()
        .unwrap()
        .status
        .success());
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("truth.json")).unwrap())
            .unwrap();
    // Frequency and revenue rankings of reasons differ.
    assert_ne!(
        truth["reasons_by_count"][0],
        truth["reasons_by_lost_arr"][0]
    );
    // The confounder is strongly correlated with training quality.
    let r = truth["correlations"][0][1].as_f64().unwrap();
    assert!(r < -0.6, "{r}");
    // The special-cause month roughly doubles churn.
    let months = truth["monthly_logo_churn"].as_array().unwrap();
    let special = truth["special_cause"]["month"].as_str().unwrap();
    let rate = |m: &serde_json::Value| m["rate"].as_f64().unwrap();
    let s = months
        .iter()
        .find(|m| m["month"] == special)
        .map(rate)
        .unwrap();
    let others: Vec<f64> = months
        .iter()
        .filter(|m| m["month"] != special)
        .map(rate)
        .collect();
    let mean = others.iter().sum::<f64>() / others.len() as f64;
    assert!(s > 1.6 * mean && s < 2.6 * mean, "special {s} vs {mean}");
    // Overall churn near the calibrated quarter.
    let rate = truth["churn"]["rate"].as_f64().unwrap();
    assert!((0.2..0.3).contains(&rate), "{rate}");
}
