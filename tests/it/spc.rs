//! Control charts on the classic qcc / Montgomery data sets against their
//! published centres and limits, bad input, and the demo's planted month.

use std::path::Path;

use serde_json::Value;

use crate::common::churnlab;
use crate::tolerance::{agree, EXACT, PRINTED_4, SAME_SUMS, TINY};

fn data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/spc")
        .join(name)
}

fn spc(args: &[&str]) -> Value {
    let out = churnlab()
        .arg("spc")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Agreement to the printed precision: `digits` significant digits.
#[track_caller]
fn printed(what: &str, got: f64, want: f64, digits: i32) {
    let tol = 0.5 * 10f64.powi(want.abs().log10().floor() as i32 - digits + 1);
    assert!(
        (got - want).abs() <= tol * 1.0001,
        "{what}: got {got}, published {want}"
    );
}

fn first(j: &Value, k: &str) -> f64 {
    j["points"][0][k].as_f64().unwrap()
}

#[test]
fn orangejuice_p_and_revised_limits() {
    let f = data("orangejuice.csv");
    let f = f.to_str().unwrap();
    // qcc: qcc(D[trial], sizes = size[trial], type = "p")
    let j = spc(&[
        "--input",
        f,
        "--chart",
        "p",
        "--value",
        "D",
        "--size",
        "size",
        "--baseline-rows",
        "1..30",
    ]);
    printed("center", j["center"].as_f64().unwrap(), 0.2313333, 7);
    printed("lcl", first(&j, "lcl"), 0.05242755, 7);
    printed("ucl", first(&j, "ucl"), 0.4102391, 7);
    let out: Vec<u64> = j["points"].as_array().unwrap()[..30]
        .iter()
        .filter(|p| {
            p["violations"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r == "we1")
        })
        .map(|p| p["index"].as_u64().unwrap())
        .collect();
    assert_eq!(
        out,
        vec![15, 23],
        "Montgomery: samples 15 and 23 out of control"
    );
    // Revised (Montgomery p. 155): p̄ = 0.2150, UCL 0.3893, LCL 0.0407.
    let r = spc(&[
        "--input",
        f,
        "--chart",
        "p",
        "--value",
        "D",
        "--size",
        "size",
        "--baseline-rows",
        "1..30",
        "--revise",
    ]);
    printed("revised center", r["center"].as_f64().unwrap(), 0.2150, 4);
    printed("revised ucl", first(&r, "ucl"), 0.3893, 4);
    printed("revised lcl", first(&r, "lcl"), 0.0407, 3);
    assert_eq!(r["phases"][0]["excluded"], serde_json::json!([15, 23]));
    // np: centre n p̄ = 11.57.
    let np = spc(&[
        "--input",
        f,
        "--chart",
        "np",
        "--value",
        "D",
        "--size",
        "size",
        "--baseline-rows",
        "1..30",
    ]);
    printed("np center", np["center"].as_f64().unwrap(), 11.56667, 7);
    printed("np ucl", first(&np, "ucl"), 20.51196, 7);
}

#[test]
fn circuit_c_and_u() {
    let f = data("circuit.csv");
    let f = f.to_str().unwrap();
    let c = spc(&[
        "--input",
        f,
        "--chart",
        "c",
        "--value",
        "x",
        "--baseline-rows",
        "1..26",
    ]);
    printed("c center", c["center"].as_f64().unwrap(), 19.84615, 7);
    printed("c lcl", first(&c, "lcl"), 6.481447, 7);
    printed("c ucl", first(&c, "ucl"), 33.21086, 7);
    // Montgomery: samples 6 and 20 out; revised c̄ = 19.67, limits 6.36, 32.97.
    let r = spc(&[
        "--input",
        f,
        "--chart",
        "c",
        "--value",
        "x",
        "--baseline-rows",
        "1..26",
        "--revise",
    ]);
    assert_eq!(r["phases"][0]["excluded"], serde_json::json!([6, 20]));
    printed("revised c", r["center"].as_f64().unwrap(), 19.67, 4);
    printed("revised lcl", first(&r, "lcl"), 6.36, 3);
    printed("revised ucl", first(&r, "ucl"), 32.97, 4);
    let u = spc(&[
        "--input",
        f,
        "--chart",
        "u",
        "--value",
        "x",
        "--size",
        "size",
        "--baseline-rows",
        "1..26",
    ]);
    printed("u center", u["center"].as_f64().unwrap(), 0.1984615, 7);
    printed("u ucl", first(&u, "ucl"), 0.3321086, 7);
}

#[test]
fn pcmanufact_u() {
    let f = data("pcmanufact.csv");
    let u = spc(&[
        "--input",
        f.to_str().unwrap(),
        "--chart",
        "u",
        "--value",
        "x",
        "--size",
        "size",
    ]);
    printed("center", u["center"].as_f64().unwrap(), 1.93, 3);
    printed("lcl", first(&u, "lcl"), 0.06613305, 7);
    printed("ucl", first(&u, "ucl"), 3.793867, 7);
}

#[test]
fn pistonrings_xbar_r_and_s_with_phase_two() {
    let f = data("pistonrings.csv");
    let f = f.to_str().unwrap();
    let base = [
        "--input",
        f,
        "--value",
        "diameter",
        "--subgroup",
        "sample",
        "--baseline-rows",
        "1..25",
    ];
    let mut a: Vec<&str> = base.to_vec();
    a.extend(["--chart", "xbar-r"]);
    let j = spc(&a);
    // qcc: center 74.00118, StdDev 0.009785039, LCL 73.98805, UCL 74.0143.
    printed("center", j["center"].as_f64().unwrap(), 74.00118, 7);
    printed("sigma", j["sigma"].as_f64().unwrap(), 0.009785039, 7);
    printed("lcl", first(&j, "lcl"), 73.98805, 7);
    printed("ucl", first(&j, "ucl"), 74.0143, 6);
    let r = &j["secondary"];
    printed("R center", r["center"].as_f64().unwrap(), 0.02276, 4);
    // qcc integrates d3; the 4-decimal table agrees to 5 digits.
    printed("R ucl", first(r, "ucl"), 0.04812533, 5);
    assert_eq!(first(r, "lcl"), 0.0);
    // Phase II (samples 26–40) drifts up: points beyond the UCL there only.
    let beyond: Vec<u64> = j["points"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p["violations"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r == "we1")
        })
        .map(|p| p["index"].as_u64().unwrap())
        .collect();
    assert!(
        !beyond.is_empty() && beyond.iter().all(|&i| i > 25),
        "{beyond:?}"
    );
    let mut a: Vec<&str> = base.to_vec();
    a.extend(["--chart", "xbar-s"]);
    let s = spc(&a);
    // Montgomery Example 6.3 (X̄-s on the same phase I): limits 73.988, 74.014; s UCL = B4 s̄.
    printed("xbar-s lcl", first(&s, "lcl"), 73.988, 5);
    printed("xbar-s ucl", first(&s, "ucl"), 74.014, 5);
    let sc = &s["secondary"];
    let sbar = sc["center"].as_f64().unwrap();
    assert!(
        agree(first(sc, "ucl"), 2.089 * sbar, PRINTED_4, 0.0),
        "B4(5) = 2.089"
    );
}

#[test]
fn viscosity_individuals_with_moving_range() {
    let f = data("viscosity.csv");
    let j = spc(&[
        "--input",
        f.to_str().unwrap(),
        "--chart",
        "xmr",
        "--value",
        "viscosity",
        "--label",
        "batch",
        "--baseline-rows",
        "1..20",
    ]);
    // Phase I mean and MR̄/1.128 from the 20 trial batches (checked by hand in Python).
    let v = [
        34.05, 34.40, 33.59, 35.96, 34.70, 33.51, 33.79, 34.04, 34.52, 33.75, 33.27, 33.71, 34.03,
        34.58, 34.02, 33.97, 34.05, 34.04, 33.73, 34.05,
    ];
    let mean = v.iter().sum::<f64>() / 20.0;
    let mr = v.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f64>() / 19.0;
    assert!(agree(j["center"].as_f64().unwrap(), mean, 0.0, EXACT));
    assert!(agree(j["sigma"].as_f64().unwrap(), mr / 1.128, 0.0, EXACT));
    assert!(agree(first(&j, "ucl"), mean + 3.0 * mr / 1.128, 0.0, EXACT));
    let m = &j["secondary"];
    assert!(
        m["points"][0]["value"].is_null(),
        "no moving range for the first point"
    );
    assert!(agree(
        m["points"][1]["ucl"].as_f64().unwrap(),
        mr * (1.0 + 3.0 * 0.8525 / 1.128),
        0.0,
        EXACT
    ));
}

#[test]
fn phases_get_their_own_limits() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.csv");
    let mut text = String::from("value,phase\n");
    for i in 0..12 {
        text.push_str(&format!("{},before\n", 10 + i % 3));
    }
    for i in 0..12 {
        text.push_str(&format!("{},after\n", 20 + i % 3));
    }
    for i in 0..12 {
        text.push_str(&format!("{},later\n", 5 + i % 2));
    }
    std::fs::write(&p, text).unwrap();
    let j = spc(&[
        "--input",
        p.to_str().unwrap(),
        "--chart",
        "xmr",
        "--value",
        "value",
        "--phase",
        "phase",
    ]);
    let ph = j["phases"].as_array().unwrap();
    assert_eq!(ph.len(), 3);
    assert_eq!(ph[1]["phase"], "after");
    printed("after center", ph[1]["center"].as_f64().unwrap(), 21.0, 3);
    assert!(j["points"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["violations"].as_array().unwrap().is_empty()));
}

#[test]
fn bad_input_gets_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[&str], &[&str]); 5] = [
        (
            "x,n\n3,10\n",
            &["--chart", "p", "--value", "x", "--size", "n"],
            &["at least 2"],
        ),
        (
            "x,n\n3,10\n2,0\n",
            &["--chart", "p", "--value", "x", "--size", "n"],
            &["row 2", "`n`", "positive subgroup size"],
        ),
        (
            "x,n\n3,10\n12,10\n",
            &["--chart", "p", "--value", "x", "--size", "n"],
            &["row 2", "12", "more than its subgroup size"],
        ),
        (
            "x\n3\n-1\n",
            &["--chart", "c", "--value", "x"],
            &["row 2", "-1", "negative"],
        ),
        (
            "x\n3\nabc\n",
            &["--chart", "xmr", "--value", "x"],
            &["row 2", "abc", "not a number"],
        ),
    ];
    for (k, (csv, args, want)) in cases.iter().enumerate() {
        let p = dir.path().join(format!("bad{k}.csv"));
        std::fs::write(&p, csv).unwrap();
        let out = churnlab()
            .args(["spc", "--input"])
            .arg(&p)
            .args(*args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "case {k} must fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{err}");
        for w in *want {
            assert!(err.contains(w), "case {k}: error names {w}: {err}");
        }
    }
}

#[test]
fn demo_special_cause_month_is_flagged_by_laney_only_there() {
    let cfg = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo/study.toml");
    let out = churnlab()
        .args(["control", "--format", "json", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(out.status.success());
    let charts: Value = serde_json::from_slice(&out.stdout).unwrap();
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(cfg.parent().unwrap().join("truth.json")).unwrap(),
    )
    .unwrap();
    let special = truth["special_cause"]["month"].as_str().unwrap();
    let laney = charts
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["chart"]["chart"] == "laney-p")
        .unwrap();
    let flagged: Vec<&str> = laney["chart"]["points"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| !p["violations"].as_array().unwrap().is_empty())
        .map(|p| p["label"].as_str().unwrap())
        .collect();
    assert_eq!(flagged, vec![special]);
    assert!(
        laney["chart"]["sigma_z"].as_f64().unwrap() > 1.0,
        "overdispersed"
    );
}

/// Laney p′ against `tests/reference/laney.json`: Minitab's documented
/// formulas computed with numpy and cross-checked with pccpy 0.16.2, on the
/// orangejuice trial samples, the demo's monthly logo churn and an
/// overdispersed series with subgroups of 2,000 to 20,000.
#[test]
fn laney_p_matches_the_minitab_formulas_computed_independently() {
    let refs: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/laney.json"),
        )
        .unwrap(),
    )
    .unwrap();
    // (reference key, file, count column, size column, label column, baseline rows)
    type Case<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, Option<&'a str>);
    let cases: [Case; 3] = [
        (
            "orangejuice",
            "orangejuice.csv",
            "D",
            "size",
            "sample",
            Some("1..30"),
        ),
        (
            "demo_logo_churn",
            "laney_demo_logo_churn.csv",
            "churned",
            "cohort",
            "month",
            None,
        ),
        (
            "overdispersed",
            "laney_overdispersed.csv",
            "defectives",
            "n",
            "week",
            None,
        ),
    ];
    for (key, file, value, size, label, rows) in cases {
        let r = &refs[key];
        let f = data(file);
        let mut args = vec![
            "--input",
            f.to_str().unwrap(),
            "--chart",
            "laney-p",
            "--value",
            value,
            "--size",
            size,
            "--label",
            label,
            "--rules",
            "we1",
        ];
        if let Some(rows) = rows {
            // orangejuice: the 30 trial samples are the baseline; only they are compared.
            args.extend(["--baseline-rows", rows]);
        }
        let j = spc(&args);
        let rel = |a: f64, b: f64| agree(a, b, SAME_SUMS, TINY);
        let (c, sz) = (
            r["center"].as_f64().unwrap(),
            r["sigma_z"].as_f64().unwrap(),
        );
        assert!(rel(j["center"].as_f64().unwrap(), c), "{key} center");
        assert!(rel(j["sigma_z"].as_f64().unwrap(), sz), "{key} sigma_z");
        let labels = r["labels"].as_array().unwrap();
        let mut beyond = Vec::new();
        for (i, want) in labels.iter().enumerate() {
            let p = &j["points"][i];
            assert_eq!(p["label"], *want);
            assert!(
                rel(p["lcl"].as_f64().unwrap(), r["lcl"][i].as_f64().unwrap())
                    || r["lcl"][i].as_f64().unwrap() == 0.0 && p["lcl"].as_f64().unwrap() == 0.0,
                "{key} lcl {i}"
            );
            assert!(
                rel(p["ucl"].as_f64().unwrap(), r["ucl"][i].as_f64().unwrap()),
                "{key} ucl {i}"
            );
            if !p["violations"].as_array().unwrap().is_empty() {
                beyond.push(p["label"].clone());
            }
        }
        assert_eq!(
            &beyond,
            r["beyond_limits"].as_array().unwrap(),
            "{key} signals"
        );
    }
}

/// The qicharts2 0.8.1 cases of `tests/data/spc/qicharts2_reference.json`
/// (NHS A&E p and Laney p′, hospital infections Laney u′; plain, frozen on
/// the first N points, and in two phases after point N): every point's
/// centre, LCL and UCL to [`SAME_SUMS`] relative.
#[test]
fn qicharts2_prime_charts_match_every_point() {
    let want: Value =
        serde_json::from_str(include_str!("../data/spc/qicharts2_reference.json")).unwrap();
    let cases = want["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 9);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let file = data(case["data"].as_str().unwrap());
        let (value, size) = match case["data"].as_str().unwrap() {
            "nhs_accidents.csv" => ("seen_within_4h", "attendances"),
            _ => ("infections", "risk_days"),
        };
        let chart = match case["chart"].as_str().unwrap() {
            "p" => "p",
            "pp" => "laney-p",
            "up" => "laney-u",
            c => panic!("unexpected chart {c}"),
        };
        let mut args: Vec<String> = [
            "--input",
            file.to_str().unwrap(),
            "--chart",
            chart,
            "--value",
            value,
            "--size",
            size,
            "--rules",
            "none",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if let Some(n) = case["baseline_points"].as_u64() {
            args.extend(["--baseline-rows".into(), format!("1..{n}")]);
        }
        if let Some(k) = case["phase_break_after_point"]
            .as_array()
            .and_then(|a| a.first())
        {
            args.extend(["--phase-after".into(), k.to_string()]);
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let j = spc(&refs);
        let points = j["points"].as_array().unwrap();
        assert_eq!(
            points.len(),
            case["center"].as_array().unwrap().len(),
            "{name}"
        );
        for (i, p) in points.iter().enumerate() {
            for k in ["center", "lcl", "ucl"] {
                let (got, w) = (p[k].as_f64().unwrap(), case[k][i].as_f64().unwrap());
                assert!(
                    agree(got, w, SAME_SUMS, 0.0),
                    "{name} point {} {k}: got {got}, qicharts2 {w}",
                    i + 1
                );
            }
        }
    }
}

/// `--phase COL` gives the same two phases as `--phase-after 10` (the
/// column is written here, weeks 1–10 "before" and 11–20 "after").
#[test]
fn qicharts2_phases_from_a_column() {
    let src = std::fs::read_to_string(data("nhs_accidents.csv")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("nhs_phased.csv");
    let mut out = String::new();
    for (i, line) in src.lines().enumerate() {
        let phase = match i {
            0 => "phase",
            1..=10 => "before",
            _ => "after",
        };
        out.push_str(&format!("{line},{phase}\n"));
    }
    std::fs::write(&f, out).unwrap();
    let chart = |input: &str, extra: [&str; 2]| {
        spc(&[
            "--input",
            input,
            "--chart",
            "laney-p",
            "--value",
            "seen_within_4h",
            "--size",
            "attendances",
            extra[0],
            extra[1],
        ])
    };
    let by_col = chart(f.to_str().unwrap(), ["--phase", "phase"]);
    let nhs = data("nhs_accidents.csv");
    let by_break = chart(nhs.to_str().unwrap(), ["--phase-after", "10"]);
    let (a, b) = (
        by_col["points"].as_array().unwrap(),
        by_break["points"].as_array().unwrap(),
    );
    assert_eq!(a.len(), 20);
    for (a, b) in a.iter().zip(b) {
        for k in ["center", "lcl", "ucl"] {
            assert_eq!(a[k], b[k]);
        }
    }
    assert_eq!(by_col["phases"].as_array().unwrap().len(), 2);
}

/// `--chart run`: the median as centre, no limits, and Anhøj's rules
/// (Anhøj & Olesen 2014; qicharts2 `runs.analysis`), hand-counted. Thirteen
/// values with median 5 (the 7th of 1 2 3 3 4 4 5 5 5 6 7 8 9); the three 5s
/// lie on it and are skipped, leaving n = 10: sides + + − − − − − − + + →
/// runs 2, 6, 2, so the longest run is 6 (points 4–10) and there are 2
/// crossings. Limits: round(log₂ 10) + 3 = 6 and the lower 5 % quantile of
/// binomial(9, ½) = 2 (Σ_{k≤1} C(9,k) = 10 < 0.05 · 512 ≤ Σ_{k≤2} = 46): no
/// signal. A second series, 6 7 5 4 3 4 2 5 3 0.5 1 8 9 5 5, has median 5
/// (the 8th of 15), four points on it and n = 11: its run below is 7 points
/// (4–11), longer than round(log₂ 11) + 3 = 6: a signal.
#[test]
fn run_chart_anhoj_rules_hand_counted() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, v: &[f64]| {
        let f = dir.path().join(name);
        let mut s = String::from("month,value\n");
        for (i, x) in v.iter().enumerate() {
            s.push_str(&format!("m{:02},{x}\n", i + 1));
        }
        std::fs::write(&f, s).unwrap();
        f
    };
    let base = [
        6.0, 7.0, 5.0, 4.0, 3.0, 4.0, 2.0, 5.0, 3.0, 1.0, 8.0, 9.0, 5.0,
    ];
    let f = write("a.csv", &base);
    let args = |f: &Path| {
        spc(&[
            "--input",
            f.to_str().unwrap(),
            "--chart",
            "run",
            "--value",
            "value",
            "--label",
            "month",
        ])
    };
    let j = args(&f);
    assert_eq!(j["chart"], "run");
    assert_eq!(j["points"][0]["center"], 5.0);
    assert!(j["points"][0]["ucl"].is_null(), "a run chart has no limits");
    let r = &j["phases"][0]["runs"];
    assert_eq!(r["useful"], 10);
    assert_eq!(r["longest_run"], 6);
    assert_eq!(
        (r["longest_first"].clone(), r["longest_last"].clone()),
        (4.into(), 10.into())
    );
    assert_eq!(r["longest_run_max"], 6);
    assert_eq!(r["crossings"], 2);
    assert_eq!(r["crossings_min"], 2);
    assert_eq!(r["long_run"], false);
    assert_eq!(r["few_crossings"], false);
    let longer = [
        6.0, 7.0, 5.0, 4.0, 3.0, 4.0, 2.0, 5.0, 3.0, 0.5, 1.0, 8.0, 9.0, 5.0, 5.0,
    ];
    let j = args(&write("b.csv", &longer));
    let r = &j["phases"][0]["runs"];
    assert_eq!(j["points"][0]["center"], 5.0);
    assert_eq!(
        (r["useful"].clone(), r["longest_run"].clone()),
        (11.into(), 7.into())
    );
    assert_eq!(
        (r["longest_first"].clone(), r["longest_last"].clone()),
        (4.into(), 11.into())
    );
    assert_eq!(r["long_run"], true);
    // Every chart carries the verdict, around the median of its values.
    let x = spc(&[
        "--input",
        f.to_str().unwrap(),
        "--chart",
        "xmr",
        "--value",
        "value",
    ]);
    assert_eq!(x["phases"][0]["runs"]["longest_run"], 6);
}

/// The P-chart diagnostic on the NHS A&E data: Pearson's X² = Σ zᵢ²
/// recomputed here from the counts, σz equal to the Laney p′ chart's, and
/// the p′ chart recommended; a plain p chart whose variation is binomial
/// (orangejuice's 30 trial samples) keeps the p chart.
#[test]
fn p_chart_diagnostic_recommends_laney_for_the_nhs_data() {
    let f = data("nhs_accidents.csv");
    let run = |chart: &str| {
        spc(&[
            "--input",
            f.to_str().unwrap(),
            "--chart",
            chart,
            "--value",
            "seen_within_4h",
            "--size",
            "attendances",
        ])
    };
    let p = run("p");
    let d = &p["phases"][0]["dispersion"];
    let text = std::fs::read_to_string(&f).unwrap();
    let rows: Vec<(f64, f64)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<f64> = l.split(',').map(|x| x.parse().unwrap()).collect();
            (c[1], c[2])
        })
        .collect();
    let pbar = rows.iter().map(|r| r.0).sum::<f64>() / rows.iter().map(|r| r.1).sum::<f64>();
    let x2: f64 = rows
        .iter()
        .map(|(x, n)| (x / n - pbar).powi(2) / (pbar * (1.0 - pbar) / n))
        .sum();
    assert!(
        agree(d["pearson"].as_f64().unwrap(), x2, SAME_SUMS, 0.0),
        "{d}"
    );
    assert_eq!(d["df"], 19);
    let laney = run("laney-p");
    assert!(agree(
        d["ratio"].as_f64().unwrap(),
        laney["sigma_z"].as_f64().unwrap(),
        EXACT,
        0.0
    ));
    assert_eq!(d["recommended"], "laney-p");
    // Twenty subgroups of 1,000 at p = 0.1 that miss the expected 100 by
    // about one binomial σ (√90 ≈ 9.5), alternately up and down: X² ≈ 18 on
    // 19 df, the variation binomial noise makes, so the p chart stays.
    let dir = tempfile::tempdir().unwrap();
    let g = dir.path().join("binomial.csv");
    let mut t = String::from("x,n\n");
    for i in 0..20 {
        t.push_str(&format!("{},1000\n", if i % 2 == 0 { 109 } else { 91 }));
    }
    std::fs::write(&g, t).unwrap();
    let j = spc(&[
        "--input",
        g.to_str().unwrap(),
        "--chart",
        "p",
        "--value",
        "x",
        "--size",
        "n",
    ]);
    let d = &j["phases"][0]["dispersion"];
    assert_eq!(d["recommended"], "p", "{d}");
    assert!(d["p_over"].as_f64().unwrap() > 0.05 && d["p_under"].as_f64().unwrap() > 0.05);
}
