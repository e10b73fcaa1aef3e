//! The survival stage as a user meets it: `churnlab survival` on any table
//! and on a study, the JSON names others script against, bad durations as
//! input errors naming the row, the hard cases (a constant, a duplicated and
//! a perfectly predicting covariate, a one-account level, no events), and
//! the section, charts and KPIs of `run`.

use serde_json::Value;

use crate::common::{churnlab, Fixture};

const ROSSI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/survival/rossi.csv");

fn json(args: &[&str]) -> Value {
    let out = churnlab().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs a command that must refuse its input: exit 2; returns stderr.
fn refused(cmd: &mut assert_cmd::Command) -> String {
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The JSON names, on the classic Cox example.
#[test]
fn generic_form_json_has_the_documented_names() {
    let v = json(&[
        "survival",
        "--input",
        ROSSI,
        "--duration",
        "week",
        "--event",
        "arrest",
        "--group",
        "fin",
        "--covariate",
        "fin",
        "age",
        "race",
        "wexp",
        "mar",
        "paro",
        "prio",
        "--unit",
        "weeks",
        "--horizon",
        "12",
        "26",
        "52",
        "--tau",
        "52",
        "--format",
        "json",
    ]);
    let g = &v["kaplan_meier"]["groups"];
    assert_eq!(g.as_array().unwrap().len(), 2);
    for key in ["group", "n", "events", "median", "table", "at_horizons"] {
        assert!(g[0].get(key).is_some(), "kaplan_meier.groups[].{key}");
    }
    for key in [
        "time",
        "at_risk",
        "events",
        "censored",
        "survival",
        "std_error",
        "ci_low",
        "ci_high",
    ] {
        assert!(g[0]["table"][0].get(key).is_some(), "table[].{key}");
    }
    assert_eq!(g[0]["at_horizons"].as_array().unwrap().len(), 3);
    assert!(v["logrank"]["statistic"].as_f64().unwrap() > 3.8);
    assert_eq!(v["logrank"]["df"], 1);
    let cox = &v["cox"];
    assert_eq!(cox["ties"], "efron");
    assert_eq!(cox["n"], 432);
    assert_eq!(cox["events"], 114);
    let fin = &cox["coefficients"][0];
    assert_eq!(fin["term"], "fin");
    for key in [
        "estimate",
        "std_error",
        "z",
        "p_value",
        "ci_low",
        "ci_high",
        "hazard_ratio",
        "hr_ci_low",
        "hr_ci_high",
    ] {
        assert!(fin[key].is_number(), "cox.coefficients[].{key}");
    }
    assert!((fin["estimate"].as_f64().unwrap() + 0.379).abs() < 1e-3);
    for key in [
        "log_partial_likelihood",
        "log_partial_likelihood_null",
        "lr_statistic",
        "lr_p_value",
        "concordance",
    ] {
        assert!(cox[key].is_number(), "cox.{key}");
    }
    assert_eq!(v["ph_test"]["transform"], "rank");
    assert_eq!(v["ph_test"]["terms"].as_array().unwrap().len(), 7);
    assert!(v["ph_test"]["global"]["statistic"].is_number());
    let rmst = v["rmst"].as_array().unwrap();
    assert_eq!(rmst.len(), 2);
    assert_eq!(rmst[0]["tau"], 52.0);
    assert!(
        rmst[0]["rmst"].as_f64().unwrap() < 52.0 && rmst[0]["std_error"].as_f64().unwrap() > 0.0
    );
    // Breslow on request: a different fit on tied weeks.
    let b = json(&[
        "survival",
        "--input",
        ROSSI,
        "--duration",
        "week",
        "--event",
        "arrest",
        "--covariate",
        "fin",
        "age",
        "--ties",
        "breslow",
        "--format",
        "json",
    ]);
    assert_eq!(b["cox"]["ties"], "breslow");
    assert_ne!(
        b["cox"]["coefficients"][0]["estimate"],
        v["cox"]["coefficients"][0]["estimate"]
    );
}

/// Rossi with a constant column, a copy of `fin`, a column equal to the
/// event and a level held by one person: the constant and the copy are left
/// out with their reasons, the separating column switches the fit to Firth
/// with finite hazard ratios, and the one-person level still gets its curve.
#[test]
fn hard_cases_are_explained_not_hidden() {
    let text = std::fs::read_to_string(ROSSI).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            out.push_str(&format!("{line},const,fin_copy,sep,tiny\n"));
            continue;
        }
        let c: Vec<&str> = line.split(',').collect();
        let tiny = if i == 1 { "solo" } else { "crowd" };
        out.push_str(&format!("{line},1,{},{},{tiny}\n", c[2], c[1]));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rossi_hard.csv");
    std::fs::write(&path, out).unwrap();
    let p = path.to_str().unwrap();
    let v = json(&[
        "survival",
        "--input",
        p,
        "--duration",
        "week",
        "--event",
        "arrest",
        "--covariate",
        "fin",
        "age",
        "const",
        "fin_copy",
        "sep",
        "--categorical",
        "tiny",
        "--format",
        "json",
    ]);
    let cox = &v["cox"];
    let dropped: Vec<String> = cox["dropped_terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            format!(
                "{}: {}",
                t["term"].as_str().unwrap(),
                t["reason"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        v["notes"].to_string().contains("`const` does not vary"),
        "{}",
        v["notes"]
    );
    assert!(
        dropped
            .iter()
            .any(|d| d.starts_with("fin_copy:") && d.contains("fin")),
        "{dropped:?}"
    );
    assert_eq!(cox["method"], "Firth penalised partial likelihood");
    assert!(
        cox["separation"].as_str().unwrap().contains("`sep`"),
        "{}",
        cox["separation"]
    );
    for c in cox["coefficients"].as_array().unwrap() {
        assert!(c["hazard_ratio"].as_f64().unwrap().is_finite(), "{c}");
    }
    let tiny = v["drivers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["driver"] == "tiny")
        .unwrap();
    let solo = tiny["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == "solo")
        .unwrap();
    assert_eq!(solo["n"], 1);
}

/// Bad durations are input errors (exit 2) naming file, column and row;
/// nothing is written.
#[test]
fn bad_durations_name_the_row() {
    // A churned account without its end date.
    let f = Fixture::accounts_with("2023-04-04,2024-01-09", "2023-04-04,");
    let err = refused(churnlab().args(["run", "--config"]).arg(f.config()));
    assert!(
        err.contains("column `end_date`, row 6") && err.contains("churned account"),
        "{err}"
    );
    assert!(!f.path("out").exists());
    // A churn on its start date: a duration of 0 days.
    let f = Fixture::accounts_with("2023-07-07,2024-02-02", "2024-02-02,2024-02-02");
    let err = refused(churnlab().args(["survival", "--config"]).arg(f.config()));
    assert!(
        err.contains("row 8") && err.contains("duration of 0 days"),
        "{err}"
    );
    // A tenure of zero in the generic form.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    std::fs::write(&path, "t,e\n3,1\n0,0\n5,0\n").unwrap();
    let err = refused(churnlab().args(["survival", "--input"]).arg(&path).args([
        "--duration",
        "t",
        "--event",
        "e",
    ]));
    assert!(err.contains("column `t`, row 2: value `0`"), "{err}");
    // No events at all.
    std::fs::write(&path, "t,e\n3,0\n4,0\n5,0\n").unwrap();
    let err = refused(churnlab().args(["survival", "--input"]).arg(&path).args([
        "--duration",
        "t",
        "--event",
        "e",
    ]));
    assert!(err.contains("no account is churned"), "{err}");
}

/// `run` on the demo: the section, the charts, the CSVs, the KPIs in the
/// feed, the durations described with their delayed entry.
#[test]
fn run_has_the_time_to_churn_section() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("demo");
    let status = churnlab()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "--config", "data/demo/study.toml", "--out"])
        .arg(&out)
        .args(["--no-kpi-db", "--quiet"])
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let s = &html[html.find("id=\"survival\"").unwrap()..html.find("id=\"kpis\"").unwrap()];
    assert!(s.contains("delayed entry"));
    assert!(s.contains("Cox coefficients (log hazard of churn) and hazard ratios"));
    assert!(s.contains("Logistic and Cox verdicts side by side"));
    assert!(
        s.contains("Number at risk"),
        "the KM chart carries its at-risk table"
    );
    for f in [
        "survival_km",
        "survival_forest",
        "survival_km_onboarding-completed",
    ] {
        assert!(
            out.join("charts").join(format!("{f}.png")).exists(),
            "{f}.png"
        );
        assert!(
            out.join("charts").join(format!("{f}.svg")).exists(),
            "{f}.svg"
        );
    }
    for f in [
        "survival_km.csv",
        "survival_cox.csv",
        "survival_logrank.csv",
        "survival_ph.csv",
        "survival_rmst.csv",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    let feed = std::fs::read_to_string(out.join("kpis.csv")).unwrap();
    assert!(feed
        .lines()
        .any(|l| l.starts_with("median_lifetime,") && l.contains(",months,")));
    assert!(feed
        .lines()
        .any(|l| l.starts_with("survival_first_horizon,")));
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(r["survival"]["source"]["left_truncation"], true);
    assert!(r["survival"]["n_left_truncated"].as_u64().unwrap() > 7000);
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains("Time to churn (Kaplan–Meier): half of the customers have left after"),
        "{md}"
    );
}

/// `[survival] enabled = false` skips the stage with a note; the run still works.
#[test]
fn survival_can_be_switched_off() {
    let f = Fixture::valid();
    let cfg = std::fs::read_to_string(f.config()).unwrap() + "\n[survival]\nenabled = false\n";
    f.write("study.toml", cfg.as_bytes());
    let out = churnlab()
        .args(["run", "--config"])
        .arg(f.config())
        .args(["--no-kpi-db", "--quiet"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(f.path("out/results.json")).unwrap())
            .unwrap();
    assert!(r["survival"].is_null());
    assert!(r["notes"]
        .to_string()
        .contains("time to churn is not analysed"));
}
