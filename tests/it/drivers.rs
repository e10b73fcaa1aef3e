//! Driver statistics against statsmodels / scipy reference values
//! (tests/reference/drivers_reference.py → drivers.json), plus the hard cases.

use crate::common::repo;
use std::path::Path;

use churnlab::drivers::{analyse, DriverReport};
use churnlab::{load_study, StudyConfig};

use crate::tolerance::{agree, FIRTH, REFERENCE, TINY};
use serde_json::Value;

fn reference() -> Value {
    serde_json::from_str(include_str!("../reference/drivers.json")).unwrap()
}

fn report(config: &str, outcome: Option<&str>) -> DriverReport {
    let mut cfg = StudyConfig::from_path(&repo(config)).unwrap();
    cfg.analysis.outcome = outcome.map(String::from);
    let study = load_study(&cfg).unwrap();
    analyse(&study.accounts, &cfg.analysis).unwrap()
}

/// Relative agreement to [`REFERENCE`]; p-values below [`TINY`] only need
/// to be tiny on both sides (the issue's stated exception).
#[track_caller]
fn close(what: &str, got: f64, want: &Value) {
    let Some(w) = want.as_f64() else {
        panic!("{what}: reference missing, got {got}");
    };
    if w.abs() < TINY {
        assert!(got.abs() < TINY, "{what}: got {got}, want {w}");
        return;
    }
    assert!(
        agree(got, w, REFERENCE, 0.0),
        "{what}: got {got}, want {w} (rel {:.2e})",
        (got - w).abs() / w.abs()
    );
}

fn check_case(case: &Value, r: &DriverReport) {
    let name = case["name"].as_str().unwrap();
    for u in case["univariate"].as_array().unwrap() {
        let d = u["driver"].as_str().unwrap();
        let g = r.univariate.iter().find(|x| x.driver == d).unwrap();
        let w = |k: &str| format!("{name}/{d}/{k}");
        assert_eq!(g.n as u64, u["n"].as_u64().unwrap());
        assert_eq!(g.n_missing as u64, u["n_missing"].as_u64().unwrap());
        if let Some(wt) = g.welch {
            close(&w("welch_t"), wt.statistic, &u["welch_t"]);
            close(&w("welch_df"), wt.df, &u["welch_df"]);
            close(&w("welch_p"), wt.p_value, &u["welch_p"]);
            let m = g.mann_whitney.unwrap();
            close(&w("mw_u"), m.statistic, &u["mw_u"]);
            close(&w("mw_p"), m.p_value, &u["mw_p"]);
            close(&w("rank_biserial"), m.rank_biserial, &u["rank_biserial"]);
            close(&w("hedges_g"), g.hedges_g.unwrap(), &u["hedges_g"]);
        } else {
            let c = g.chi_square.as_ref().unwrap();
            close(&w("chi2"), c.statistic, &u["chi2"]);
            close(&w("chi2_p"), c.p_value, &u["chi2_p"]);
            close(&w("cramers_v"), g.cramers_v.unwrap(), &u["cramers_v"]);
            if !u["fisher_p"].is_null() {
                close(&w("fisher_p"), g.fisher_p_value.unwrap(), &u["fisher_p"]);
                let o = g.odds_ratio.unwrap();
                close(&w("odds_ratio"), o.odds_ratio, &u["odds_ratio"]);
                close(&w("or_ci_low"), o.ci_low, &u["or_ci_low"]);
                close(&w("or_ci_high"), o.ci_high, &u["or_ci_high"]);
            }
        }
        close(&w("p_value"), g.p_value, &u["primary_p"]);
        close(&w("q_value"), g.q_value, &u["q_value"]);
        if let Some(rates) = u["rates"].as_array() {
            assert_eq!(g.rates.len(), rates.len(), "{}", w("rates"));
            for (gr, wr) in g.rates.iter().zip(rates) {
                assert_eq!(gr.n as u64, wr["n"].as_u64().unwrap());
                assert_eq!(gr.churned as u64, wr["churned"].as_u64().unwrap());
                close(&w("wilson_low"), gr.ci_low, &wr["ci_low"]);
                close(&w("wilson_high"), gr.ci_high, &wr["ci_high"]);
            }
        }
    }
    let m = r.model.as_ref().unwrap();
    let wm = &case["model"];
    assert_eq!(m.n as u64, wm["n"].as_u64().unwrap());
    assert_eq!(m.events as u64, wm["events"].as_u64().unwrap());
    assert!(m.converged);
    for k in [
        "log_likelihood",
        "ll_null",
        "pseudo_r2",
        "llr",
        "llr_p_value",
        "aic",
        "bic",
        "auc",
    ] {
        let got = serde_json::to_value(m).unwrap()[k].as_f64().unwrap();
        close(&format!("{name}/model/{k}"), got, &wm[k]);
    }
    let coefs = wm["coefficients"].as_array().unwrap();
    assert_eq!(m.coefficients.len(), coefs.len());
    for (g, c) in m.coefficients.iter().zip(coefs) {
        let t = c["term"].as_str().unwrap();
        assert_eq!(g.term, t);
        let w = |k: &str| format!("{name}/{t}/{k}");
        close(&w("estimate"), g.estimate, &c["estimate"]);
        close(&w("std_error"), g.std_error, &c["std_error"]);
        close(&w("z"), g.z, &c["z"]);
        close(&w("p_value"), g.p_value, &c["p_value"]);
        close(&w("ci_low"), g.ci_low, &c["ci_low"]);
        close(&w("ci_high"), g.ci_high, &c["ci_high"]);
        if t != "Intercept" {
            close(&w("vif"), g.vif.unwrap(), &c["vif"]);
            close(&w("ame"), g.ame_pp.unwrap() / 100.0, &c["ame"]);
            close(&w("ame_se"), g.ame_se_pp.unwrap() / 100.0, &c["ame_se"]);
            if let Some(sd) = g.sd {
                close(&w("sd"), sd, &c["sd"]);
            }
        }
    }
    // Correlations of the single-term drivers (numpy corrcoef on the model sample).
    let tc = &wm["term_correlation"];
    let names: Vec<&str> = tc["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for (a, da) in r.correlations.drivers.iter().enumerate() {
        for (b, db) in r.correlations.drivers.iter().enumerate() {
            let ia = names.iter().position(|n| n == da).unwrap();
            let ib = names.iter().position(|n| n == db).unwrap();
            let want = &tc["matrix"][ia][ib];
            let got = r.correlations.matrix[a][b];
            if a != b {
                close(&format!("{name}/corr {da}~{db}"), got, want);
            }
        }
    }
    for lr in wm["lr_tests"].as_array().unwrap() {
        let d = lr["driver"].as_str().unwrap();
        let e = r.drivers.iter().find(|x| x.driver == d).unwrap();
        let w = |k: &str| format!("{name}/LR {d}/{k}");
        close(&w("statistic"), e.lr_statistic.unwrap(), &lr["statistic"]);
        assert_eq!(e.df.unwrap() as u64, lr["df"].as_u64().unwrap());
        close(&w("p_value"), e.p_value.unwrap(), &lr["p_value"]);
        close(&w("q_value"), e.q_value.unwrap(), &lr["q_value"]);
    }
    if let Some(o) = case.get("ols") {
        let f = &r.outcome_model.as_ref().unwrap().fit;
        assert_eq!(f.n as u64, o["n"].as_u64().unwrap());
        let w = |k: &str| format!("{name}/ols/{k}");
        close(&w("r2"), f.r_squared, &o["r_squared"]);
        close(&w("adj_r2"), f.adj_r_squared, &o["adj_r_squared"]);
        close(&w("F"), f.f_statistic, &o["f_statistic"]);
        close(&w("F p"), f.f_p_value, &o["f_p_value"]);
        close(&w("llf"), f.log_likelihood, &o["log_likelihood"]);
        close(&w("aic"), f.aic, &o["aic"]);
        close(&w("bic"), f.bic, &o["bic"]);
        for (g, c) in f
            .coefficients
            .iter()
            .zip(o["coefficients"].as_array().unwrap())
        {
            let t = c["term"].as_str().unwrap();
            assert_eq!(g.term, t);
            for (k, v) in [
                ("estimate", g.estimate),
                ("std_error", g.std_error),
                ("t", g.t),
                ("p_value", g.p_value),
                ("ci_low", g.ci_low),
                ("ci_high", g.ci_high),
            ] {
                close(&w(&format!("{t}/{k}")), v, &c[k]);
            }
        }
    }
}

fn case(name: &str) -> Value {
    reference()["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap()
        .clone()
}

#[test]
fn demo_matches_statsmodels() {
    check_case(&case("demo"), &report("data/demo/study.toml", Some("nps")));
}

#[test]
fn ibm_telco_with_categorical_contract_matches_statsmodels() {
    check_case(
        &case("ibm_telco"),
        &report("data/ibm_telco/study.toml", None),
    );
}

#[test]
fn bigml_matches_statsmodels() {
    check_case(
        &case("bigml"),
        &report(
            "tests/data/bigml/study.toml",
            Some("Customer service calls"),
        ),
    );
}

fn firth_case(name: &str) -> Value {
    let v: Value = serde_json::from_str(include_str!("../reference/firth.json")).unwrap();
    v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap()
        .clone()
}

/// Firth estimates and SEs match R brglm2 to [`FIRTH`] relative.
fn check_firth(r: &DriverReport, want: &Value) {
    let m = r.model.as_ref().unwrap();
    assert_eq!(
        serde_json::to_value(m.method).unwrap(),
        "firth",
        "separation must switch to Firth"
    );
    let coefs = want["coefficients"].as_array().unwrap();
    assert_eq!(m.coefficients.len(), coefs.len());
    for (g, c) in m.coefficients.iter().zip(coefs) {
        assert_eq!(g.term, c["term"].as_str().unwrap());
        for (k, v) in [("estimate", g.estimate), ("std_error", g.std_error)] {
            let w = c[k].as_f64().unwrap();
            assert!(agree(v, w, FIRTH, 0.0), "{} {k}: got {v}, want {w}", g.term);
        }
    }
}

#[test]
fn perfect_separation_on_ibm_satisfaction_score_is_explained_and_fitted_by_firth() {
    let r = report("tests/reference/cases/ibm_satisfaction.toml", None);
    check_firth(&r, &firth_case("ibm_satisfaction"));
    let s = r.model.as_ref().unwrap().separation.as_ref().unwrap();
    assert_eq!(s.drivers, vec!["Satisfaction Score".to_string()]);
    assert!(
        s.message
            .contains("every churned account has Satisfaction Score ≤ 3"),
        "{}",
        s.message
    );
    assert!(s.message.contains("Firth"));
    // Penalised LR tests still judge every driver.
    assert!(r.drivers.iter().all(|d| d.p_value.is_some()));
}

#[test]
fn complete_separation_in_a_tiny_table_matches_brglm2() {
    let r = report("tests/data/separation/tiny.toml", None);
    check_firth(&r, &firth_case("tiny"));
    let s = r.model.as_ref().unwrap().separation.as_ref().unwrap();
    assert_eq!(s.drivers, vec!["x".to_string()]);
    assert!(s.message.contains("completely"), "{}", s.message);
}

/// 400 accounts with every hard case at once: `b` is a copy of `a`, `c` is
/// constant, `seg = Tiny` has 3 accounts (all retained), `m` has gaps, and
/// rows 1–12 have no driver values at all.
fn hard_fixture(dir: &Path, all_retained: bool) -> std::path::PathBuf {
    let mut csv = String::from("id,churned,a,b,c,seg,m\n");
    let mut state: u64 = 12345;
    let mut unif = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for i in 0..400 {
        let a = (unif() * 10.0 * 100.0).round() / 100.0;
        let m = (unif() * 5.0 * 100.0).round() / 100.0;
        let seg = if i % 133 == 20 {
            "Tiny"
        } else if unif() < 0.5 {
            "North"
        } else {
            "South"
        };
        let eta = -2.0 + 0.35 * a + if seg == "South" { 0.5 } else { 0.0 };
        let churn = !all_retained && seg != "Tiny" && unif() < 1.0 / (1.0 + (-eta).exp());
        if i < 12 {
            csv.push_str(&format!("H{i},{},,,,,\n", churn as u8));
        } else {
            let mcell = if i % 20 == 3 {
                String::new()
            } else {
                m.to_string()
            };
            csv.push_str(&format!("H{i},{},{a},{a},5,{seg},{mcell}\n", churn as u8));
        }
    }
    std::fs::write(dir.join("accounts.csv"), csv).unwrap();
    let toml = r#"[study]
name = "hard cases"
[accounts]
path = "accounts.csv"
id = "id"
churned = "churned"
[[drivers]]
column = "a"
kind = "numeric"
[[drivers]]
column = "b"
kind = "numeric"
[[drivers]]
column = "c"
kind = "numeric"
[[drivers]]
column = "seg"
kind = "categorical"
[[drivers]]
column = "m"
kind = "numeric"
"#;
    let p = dir.join("study.toml");
    std::fs::write(&p, toml).unwrap();
    p
}

#[test]
fn hard_cases_each_get_a_sensible_explained_result() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = StudyConfig::from_path(&hard_fixture(dir.path(), false)).unwrap();
    let study = load_study(&cfg).unwrap();
    let r = analyse(&study.accounts, &cfg.analysis).unwrap();
    let m = r.model.as_ref().unwrap();
    let ev = |d: &str| r.drivers.iter().find(|x| x.driver == d).unwrap();

    // Constant driver: no test, out of the model, a warning naming it.
    let c = r.univariate.iter().find(|u| u.driver == "c").unwrap();
    assert!(c.p_value.is_nan());
    assert!(!ev("c").in_model);
    assert!(ev("c").note.as_deref().unwrap().contains("constant"));
    assert!(r
        .warnings
        .iter()
        .any(|w| w.kind == "driver_constant" && w.column.as_deref() == Some("c")));

    // Two copies of the same driver: the second is dropped, naming the first.
    let dropped = m.dropped_terms.iter().find(|t| t.term == "b").unwrap();
    assert!(
        dropped.reason.contains("perfectly collinear") && dropped.reason.contains('a'),
        "{}",
        dropped.reason
    );
    assert!(!ev("b").in_model && ev("a").in_model);

    // A level with 3 accounts, none churned: warned as sparse, detected as
    // separation, explained in words, and the model falls back to Firth.
    assert!(r
        .warnings
        .iter()
        .any(|w| w.kind == "sparse_level" && w.message.contains("seg = Tiny has only 3 accounts")));
    let s = m.separation.as_ref().unwrap();
    assert_eq!(s.drivers, vec!["seg".to_string()]);
    assert!(
        s.message
            .contains("none of the 3 accounts with seg = Tiny churned"),
        "{}",
        s.message
    );
    assert_eq!(serde_json::to_value(m.method).unwrap(), "firth");
    assert!(m
        .coefficients
        .iter()
        .all(|c| c.estimate.is_finite() && c.std_error.is_finite()));

    // Rows with no driver at all, and gaps in m: complete cases, counted.
    let m_missing = 12 + (12..400).filter(|i| i % 20 == 3).count();
    assert_eq!(m.n_dropped_missing, m_missing);
    assert_eq!(m.n + m.n_dropped_missing, 400);
    assert!(r.warnings.iter().any(|w| w.kind == "model_complete_cases"));
    // The real driver is still found.
    assert!(ev("a").significant);
}

#[test]
fn zero_churners_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = hard_fixture(dir.path(), true);
    let out = assert_cmd::Command::cargo_bin("churnlab")
        .unwrap()
        .args(["drivers", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no account is churned") && err.contains("both churned and retained"),
        "{err}"
    );
}

#[test]
fn a_driver_with_no_values_is_left_out_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.csv"),
        "id,churned,x,y\n1,1,1,\n2,0,2,\n3,1,3,\n4,0,5,\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("s.toml"),
        "[accounts]\npath = \"a.csv\"\nchurned = \"churned\"\n[[drivers]]\ncolumn = \"x\"\nkind = \"numeric\"\n[[drivers]]\ncolumn = \"y\"\nkind = \"numeric\"\n",
    )
    .unwrap();
    let cfg = StudyConfig::from_path(&dir.path().join("s.toml")).unwrap();
    let study = load_study(&cfg).unwrap();
    let r = analyse(&study.accounts, &cfg.analysis).unwrap();
    let y = r.drivers.iter().find(|d| d.driver == "y").unwrap();
    assert!(!y.in_model);
    assert!(
        y.note.as_deref().unwrap().contains("no values"),
        "{:?}",
        y.note
    );
    assert!(r
        .warnings
        .iter()
        .any(|w| w.message.contains("y has no values")));
    // The model still runs on the driver that has values.
    assert_eq!(r.model.as_ref().unwrap().n, 4);
}
