//! Retention KPIs: hand-computed fixtures, pandas/numpy reference values on
//! the demo data (tests/reference/kpis_reference.py → kpis.json), the
//! recommendation on planted truth, and the `churnlab kpis` command.

use crate::common::repo;
use std::path::Path;

use churnlab::kpis::{self, Grain, KpiKey, KpiReport, Verdict};
use churnlab::{load_study, StudyConfig};

use crate::tolerance::{agree, EXACT, ONE_ROUNDING, SAME_SUMS, TINY};
use serde_json::Value;

use crate::common::churnlab;

fn report(config: &str) -> KpiReport {
    let cfg = StudyConfig::from_path(&repo(config)).unwrap();
    let study = load_study(&cfg).unwrap();
    let d = churnlab::drivers::analyse(&study.accounts, &cfg.analysis).unwrap();
    kpis::analyse(&study, Some(&d), &cfg)
}

/// `got` agrees with `want` to `tol` relative, or [`EXACT`] absolute near zero.
#[track_caller]
fn close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        agree(got, want, tol, EXACT),
        "{what}: got {got}, want {want} (rel {:.2e})",
        (got - want).abs() / want.abs().max(TINY)
    );
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn period_kpis_match_pandas_on_the_demo_data() {
    let want: Value = serde_json::from_str(include_str!("../reference/kpis.json")).unwrap();
    let r = report("data/demo/study.toml");
    let p = r.periods.as_ref().unwrap();
    let rows = want["periods"].as_array().unwrap();
    assert_eq!(p.rows.len(), rows.len(), "same periods as pandas");
    for w in rows {
        let g = w["grain"].as_str().unwrap();
        let label = w["period"].as_str().unwrap();
        let got = p
            .rows
            .iter()
            .find(|r| r.grain.as_str() == g && r.period == label)
            .unwrap_or_else(|| panic!("no {g} {label}"));
        let k = got.counts;
        for (name, v) in [
            ("cohort", k.cohort),
            ("churned", k.churned),
            ("new", k.new),
            ("reactivated", k.reactivated),
            ("billed_end", k.billed_end),
        ] {
            assert_eq!(v as u64, w[name].as_u64().unwrap(), "{g} {label} {name}");
        }
        // Sums of ~10^4 cents-rounded amounts: SAME_SUMS relative is far above
        // the summation-order difference between pandas and us.
        for (name, v) in [
            ("starting_mrr", k.starting_mrr),
            ("churned_mrr", k.churned_mrr),
            ("contraction_mrr", k.contraction_mrr),
            ("expansion_mrr", k.expansion_mrr),
            ("new_mrr", k.new_mrr),
            ("ending_mrr", k.ending_mrr),
            ("grr", got.grr.unwrap()),
            ("nrr", got.nrr.unwrap()),
            ("logo_churn_rate", got.logo_churn_rate.unwrap()),
            ("arpa", got.arpa.unwrap()),
        ] {
            close(&format!("{g} {label} {name}"), v, f(&w[name]), SAME_SUMS);
        }
        assert!(got.grr.unwrap() <= 1.0);
    }
}

#[test]
fn account_and_owner_kpis_match_numpy() {
    let want: Value = serde_json::from_str(include_str!("../reference/kpis.json")).unwrap();
    let r = report("data/demo/study.toml");
    for w in want["groups"].as_array().unwrap() {
        let key = w["segment"].as_str().unwrap();
        let g = r.accounts.iter().find(|g| g.key() == key).unwrap();
        assert_eq!(g.accounts as u64, w["accounts"].as_u64().unwrap());
        let n = g.nps.as_ref().unwrap();
        close(&format!("{key} nps"), n.nps, f(&w["nps"]), SAME_SUMS);
        close(
            &format!("{key} nps se"),
            n.std_error,
            f(&w["nps_se"]),
            SAME_SUMS,
        );
        close(
            &format!("{key} nps lo"),
            n.ci_low,
            f(&w["nps_ci"][0]),
            SAME_SUMS,
        );
        close(
            &format!("{key} nps hi"),
            n.ci_high,
            f(&w["nps_ci"][1]),
            SAME_SUMS,
        );
        close(
            &format!("{key} rr"),
            n.response_rate,
            f(&w["nps_response_rate"]),
            EXACT,
        );
        let t = g.time_to_value.as_ref().unwrap();
        close(
            &format!("{key} ttv median"),
            t.median,
            f(&w["ttv_median"]),
            EXACT,
        );
        close(&format!("{key} ttv p75"), t.p75, f(&w["ttv_p75"]), EXACT);
        for m in &g.means {
            let wm = &w["means"][&m.column];
            assert_eq!(m.n as u64, wm["n"].as_u64().unwrap());
            close(
                &format!("{key} mean {}", m.column),
                m.mean,
                f(&wm["mean"]),
                SAME_SUMS,
            );
            close(
                &format!("{key} sd {}", m.column),
                m.sd,
                f(&wm["sd"]),
                SAME_SUMS,
            );
            close(
                &format!("{key} lo {}", m.column),
                m.ci_low,
                f(&wm["ci"][0]),
                SAME_SUMS,
            );
            close(
                &format!("{key} hi {}", m.column),
                m.ci_high,
                f(&wm["ci"][1]),
                SAME_SUMS,
            );
        }
    }
    let e = r.efficiency.as_ref().unwrap();
    close("center", e.center, f(&want["owners"]["center"]), EXACT);
    let rows = want["owners"]["rows"].as_array().unwrap();
    assert_eq!(e.owners.len(), rows.len());
    for w in rows {
        let o = e
            .owners
            .iter()
            .find(|o| o.owner == w["owner"].as_str().unwrap())
            .unwrap();
        assert_eq!(o.accounts as u64, w["accounts"].as_u64().unwrap());
        assert_eq!(o.churned as u64, w["churned"].as_u64().unwrap());
        close(
            "arr",
            o.arr_managed.unwrap(),
            f(&w["arr_managed"]),
            SAME_SUMS,
        );
        close(
            "churned arr",
            o.churned_arr.unwrap(),
            f(&w["churned_arr"]),
            SAME_SUMS,
        );
        close("rate", o.logo_churn_rate, f(&w["rate"]), EXACT);
        close("lcl", o.lcl, f(&w["lcl"]), SAME_SUMS);
        close("ucl", o.ucl, f(&w["ucl"]), SAME_SUMS);
    }
}

#[test]
fn recommendation_recovers_the_planted_truth() {
    let r = report("data/demo/study.toml");
    let rec = r.recommendation.as_ref().unwrap();
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(repo("data/demo/truth.json")).unwrap())
            .unwrap();
    let verdict = |d: &str| {
        rec.candidates
            .iter()
            .find(|c| c.driver == d)
            .unwrap_or_else(|| panic!("no candidate {d}"))
    };
    let mut planted = 0;
    for d in truth["drivers"].as_array().unwrap() {
        let name = d["driver"].as_str().unwrap();
        let c = verdict(name);
        if d["expected_multivariable_significant"].as_bool() == Some(true) {
            planted += 1;
            assert_eq!(c.verdict, Verdict::Recommended, "{name}: {}", c.reason);
            assert!(c.arr_at_stake.unwrap() > 0.0, "{name} has ARR at stake");
            let protective = d["coef_raw"].as_f64().unwrap() < 0.0;
            assert_eq!(c.higher_is_better, Some(protective), "{name} direction");
        }
    }
    assert_eq!(
        planted, 5,
        "the five planted drivers, incl. harmful support load"
    );
    let ttv = verdict("time_to_value_days");
    assert_eq!(ttv.verdict, Verdict::Confounded);
    assert!(
        ttv.reason.contains("Training quality"),
        "names the confounder: {}",
        ttv.reason
    );
    for noise in ["qbrs_completed", "nps"] {
        let c = verdict(noise);
        assert!(
            matches!(c.verdict, Verdict::NotSignificant | Verdict::Confounded),
            "{noise}: {:?}",
            c.verdict
        );
    }
    // Recommended first, ranked by ARR at stake, ranks 1..k.
    let recd: Vec<_> = rec.recommended().collect();
    for (i, c) in recd.iter().enumerate() {
        assert_eq!(c.rank, Some(i + 1));
        if i > 0 {
            assert!(recd[i - 1].arr_at_stake >= c.arr_at_stake);
        }
    }
    // The counterfactual runs over the model's complete cases.
    let cfg = StudyConfig::from_path(&repo("data/demo/study.toml")).unwrap();
    let study = load_study(&cfg).unwrap();
    let d = churnlab::drivers::analyse(&study.accounts, &cfg.analysis).unwrap();
    assert_eq!(rec.accounts, d.model.as_ref().unwrap().n);
    // Driver KPIs reach the feed with their evidence.
    let fed: Vec<_> = r
        .feed
        .iter()
        .filter(|f| matches!(f.kpi, KpiKey::Driver(_)))
        .collect();
    assert_eq!(fed.len(), 5);
    assert!(fed
        .iter()
        .all(|f| f.q_value.is_some() && f.arr_at_stake.is_some()));
}

#[test]
fn cap_and_floor_change_verdicts() {
    let cfg_path = repo("data/demo/study.toml");
    let mut cfg = StudyConfig::from_path(&cfg_path).unwrap();
    cfg.kpis.max_recommended = 2;
    let study = load_study(&cfg).unwrap();
    let d = churnlab::drivers::analyse(&study.accounts, &cfg.analysis).unwrap();
    let r = kpis::analyse(&study, Some(&d), &cfg);
    let rec = r.recommendation.unwrap();
    assert_eq!(rec.recommended().count(), 2);
    assert_eq!(
        rec.candidates
            .iter()
            .filter(|c| c.verdict == Verdict::BeyondCap)
            .count(),
        3
    );
    cfg.kpis.max_recommended = 7;
    cfg.kpis.effect_floor_pp = 50.0;
    let r = kpis::analyse(&study, Some(&d), &cfg);
    let rec = r.recommendation.unwrap();
    assert_eq!(rec.recommended().count(), 0);
    assert!(rec
        .candidates
        .iter()
        .any(|c| c.verdict == Verdict::EffectTooSmall && c.reason.contains("50 pp floor")));
}

#[test]
fn ibm_telco_skips_periods_with_a_note() {
    let r = report("data/ibm_telco/study.toml");
    assert!(r.periods.is_none());
    assert!(r.notes.iter().any(|n| n.contains("No revenue table")));
    assert!(r.feed.iter().all(|f| f.grain == Grain::Snapshot));
    let rec = r.recommendation.unwrap();
    assert!(rec.recommended().count() >= 1);
    assert!(
        rec.candidates
            .iter()
            .any(|c| c.verdict == Verdict::NotControllable
                && c.reason.contains("track, don't target"))
    );
}

fn kpis_json(config: &Path, extra: &[&str]) -> Value {
    let out = churnlab()
        .args(["kpis", "--format", "json", "--config"])
        .arg(config)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn feed_value(j: &Value, kpi: &str, grain: &str, period: &str) -> Value {
    j["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kpi"] == kpi && r["grain"] == grain && r["period"] == period)
        .unwrap_or_else(|| panic!("no {kpi} {grain} {period}"))
        .clone()
}

#[test]
fn textbook_fixture_through_the_cli() {
    let j = kpis_json(&repo("tests/data/kpis/study.toml"), &[]);
    let grr = feed_value(&j, "grr", "quarter", "2024-Q2");
    let nrr = feed_value(&j, "nrr", "quarter", "2024-Q2");
    close("GRR", f(&grr["value"]), 0.90, EXACT);
    close("NRR", f(&nrr["value"]), 1.10, EXACT);
    assert_eq!(grr["unit"], "fraction");
    assert_eq!(grr["direction"], "higher_is_better");
    assert!(grr["definition"].as_str().unwrap().contains("starting MRR"));
    assert_eq!(
        feed_value(&j, "new_accounts", "quarter", "2024-Q2")["value"],
        1.0
    );
    assert_eq!(
        feed_value(&j, "churned_mrr", "quarter", "2024-Q2")["value"],
        25000.0
    );
    assert_eq!(
        feed_value(&j, "expansion_mrr", "quarter", "2024-Q2")["value"],
        50000.0
    );
    let q3 = feed_value(&j, "logo_churn_rate", "quarter", "2024-Q3");
    assert_eq!(q3["partial"], true);
    assert!(
        q3["change_prev"].is_null(),
        "no delta into a partial period"
    );
    assert!(j["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().contains("2024-Q1")));
    let nps = feed_value(&j, "nps", "snapshot", "2024-07");
    assert_eq!(nps["value"], 0.0);
    close(
        "response rate",
        f(&feed_value(&j, "nps_response_rate", "snapshot", "2024-07")["value"]),
        5.0 / 6.0,
        ONE_ROUNDING,
    );
    assert_eq!(
        feed_value(&j, "time_to_value_median", "snapshot", "2024-07")["value"],
        30.0
    );
    assert_eq!(
        feed_value(&j, "time_to_value_p75", "snapshot", "2024-07")["value"],
        40.0
    );
    let rec = j["recommendation"].as_array().unwrap();
    assert_eq!(rec.len(), 1);
    for k in [
        "driver",
        "verdict",
        "reason",
        "q_value",
        "ame",
        "arr_at_stake",
        "indicator",
    ] {
        assert!(rec[0].get(k).is_some(), "recommendation has {k}");
    }
    // --grain month keeps monthly rows and drops quarterly ones.
    let m = kpis_json(&repo("tests/data/kpis/study.toml"), &["--grain", "month"]);
    let grains: std::collections::BTreeSet<&str> = m["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["grain"].as_str().unwrap())
        .collect();
    assert!(
        grains.contains("month") && !grains.contains("quarter"),
        "{grains:?}"
    );
}

#[test]
fn kpis_table_csv_and_funnel_png() {
    let dir = tempfile::tempdir().unwrap();
    let out = churnlab()
        .args(["kpis", "--config"])
        .arg(repo("data/demo/study.toml"))
        .arg("--png")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "Period KPIs by quarter",
        "GRR",
        "NPS",
        "recommended",
        "confounded",
    ] {
        assert!(text.contains(want), "table shows {want}:\n{text}");
    }
    let png = std::fs::read(dir.path().join("csm_funnel.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // Same chart again without --force: refused.
    let again = churnlab()
        .args(["kpis", "--config"])
        .arg(repo("data/demo/study.toml"))
        .arg("--png")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    let csv = churnlab()
        .args([
            "kpis",
            "--format",
            "csv",
            "--table",
            "recommendation",
            "--config",
        ])
        .arg(repo("data/demo/study.toml"))
        .output()
        .unwrap();
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert!(csv.starts_with("rank,driver,label,verdict"));
    assert_eq!(csv.lines().count(), 9, "header + 8 drivers");
}

#[test]
fn nps_outside_0_to_10_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["accounts.csv", "revenue.csv", "study.toml"] {
        let text = std::fs::read_to_string(repo(&format!("tests/data/kpis/{name}"))).unwrap();
        let text = if name == "accounts.csv" {
            text.replacen("C,0,C2,50000,7,", "C,0,C2,50000,11,", 1)
        } else {
            text
        };
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let out = churnlab()
        .args(["kpis", "--config"])
        .arg(dir.path().join("study.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for want in ["accounts.csv", "nps", "row 3", "11", "0 to 10"] {
        assert!(err.contains(want), "error names {want}: {err}");
    }
}

/// Regression: IBM Telco's "Referrals made" showed ARR at stake 0 because its
/// median (0) is the lowest value, so no account lies below it. The
/// counterfactual moves to the 75th percentile then, and says so.
#[test]
fn a_median_at_the_low_end_moves_to_the_75th_percentile() {
    let r = report("data/ibm_telco/study.toml");
    let rec = r.recommendation.as_ref().unwrap();
    let c = rec
        .candidates
        .iter()
        .find(|c| c.driver == "Number of Referrals")
        .unwrap();
    assert!(c.arr_at_stake.unwrap() > 0.0, "{c:?}");
    let text = c.counterfactual.as_deref().unwrap();
    assert!(
        text.contains("the lowest value") && text.contains("75th percentile"),
        "{text}"
    );
    // A driver whose median moves accounts keeps the median.
    let tenure = rec
        .candidates
        .iter()
        .find(|c| c.driver == "Tenure in Months")
        .unwrap();
    assert!(tenure
        .counterfactual
        .as_deref()
        .unwrap()
        .contains("moved to the median"));
}

/// The demo's ARPA drifts upward (planted expansion): its level chart's run
/// chart signals, so a chart of the month-over-month change judges it (and
/// is in control: no point beyond its 3σ limits; a zone rule may fire by
/// chance over 22 points), while GRR and NRR keep their level charts.
#[test]
fn a_drifting_kpi_is_judged_by_its_change() {
    let r = report("data/demo/study.toml");
    let arpa: Vec<_> = r
        .control
        .iter()
        .filter(|c| c.kpi == KpiKey::Named("arpa"))
        .collect();
    assert_eq!(arpa.len(), 2);
    let (level, change) = (arpa[0], arpa[1]);
    assert!(level.chart.runs().unwrap().signal() && !level.judges && !level.change);
    assert!(change.judges && change.change);
    assert_eq!(change.chart.points.len(), level.chart.points.len() - 1);
    assert_eq!(
        change
            .chart
            .signals()
            .filter(|p| p.violations.contains(&churnlab::spc::rules::Rule::We1))
            .count(),
        0
    );
    for kpi in ["grr", "nrr"] {
        let c: Vec<_> = r
            .control
            .iter()
            .filter(|c| c.kpi == KpiKey::Named(kpi))
            .collect();
        assert_eq!(c.len(), 1, "{kpi}");
        assert!(c[0].judges && !c[0].change);
    }
}
