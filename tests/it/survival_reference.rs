//! The survival numerics against lifelines 0.30.3 and statsmodels 0.15
//! (`tests/reference/survival_reference.py` → `survival.json`) on the Rossi
//! recidivism data, Rossi with delayed entry, and IBM Telco: KM tables,
//! medians, horizons, RMST, log-rank (k groups, pairwise, stratified), Cox
//! with Efron and Breslow ties (also with strata and entry), concordance, the
//! proportional-hazards tests and Firth's penalised Cox.

use churnlab::stats::survival::cox::{self, CoxData, CoxParams, Prepared};
use churnlab::stats::survival::km::{kaplan_meier, ConfType};
use churnlab::stats::survival::logrank::logrank;
use churnlab::stats::survival::zph::{ph_test, TimeTransform};
use churnlab::stats::survival::{concordance::concordance, Subjects, Ties};
use serde_json::Value;

use crate::tolerance::{agree, FIRTH, REFERENCE};

fn reference() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference/survival.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn close(got: f64, want: &Value, rel: f64, what: &str) {
    let w = want.as_f64().unwrap_or(f64::NAN);
    assert!(agree(got, w, rel, 1e-12), "{what}: got {got}, want {w}");
}

fn list(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

/// The Rossi data: durations, events and the seven covariates.
struct Rossi {
    week: Vec<f64>,
    arrest: Vec<bool>,
    x: Vec<Vec<f64>>,
}

const COVARIATES: [&str; 7] = ["fin", "age", "race", "wexp", "mar", "paro", "prio"];

impl Rossi {
    /// The subjects, with the given delayed-entry times.
    fn subjects<'a>(&'a self, entry: Option<&'a [f64]>) -> Subjects<'a> {
        Subjects {
            entry,
            exit: &self.week,
            event: &self.arrest,
        }
    }
}

fn rossi() -> Rossi {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/survival/rossi.csv"
    ))
    .unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    Rossi {
        week: rows.iter().map(|r| r[col("week")]).collect(),
        arrest: rows.iter().map(|r| r[col("arrest")] == 1.0).collect(),
        x: COVARIATES
            .iter()
            .map(|c| rows.iter().map(|r| r[col(c)]).collect())
            .collect(),
    }
}

fn check_km(got: &churnlab::stats::survival::km::KaplanMeier, want: &Value, what: &str) {
    let rows = want["table"].as_array().unwrap();
    assert_eq!(got.table.len(), rows.len(), "{what}: rows");
    for (g, w) in got.table.iter().zip(rows) {
        close(g.time, &w["time"], REFERENCE, what);
        assert_eq!(
            g.at_risk as u64,
            w["at_risk"].as_u64().unwrap(),
            "{what} at {}",
            g.time
        );
        assert_eq!(g.events as u64, w["events"].as_u64().unwrap(), "{what}");
        assert_eq!(g.censored as u64, w["censored"].as_u64().unwrap(), "{what}");
        close(g.survival, &w["survival"], REFERENCE, what);
        close(g.std_error, &w["std_error"], REFERENCE, what);
        close(g.ci_low, &w["ci_low"], REFERENCE, what);
        close(g.ci_high, &w["ci_high"], REFERENCE, what);
    }
    assert_eq!(got.median(), want["median"].as_f64(), "{what}: median");
    let (lo, hi) = got.median_ci();
    assert_eq!(
        [lo, hi],
        [want["median_ci"][0].as_f64(), want["median_ci"][1].as_f64()],
        "{what}"
    );
    for h in want["at_horizons"].as_array().unwrap() {
        let t = h["time"].as_f64().unwrap();
        let p = got.at(t).unwrap();
        close(p.survival, &h["survival"], REFERENCE, what);
        close(p.ci_low, &h["ci_low"], REFERENCE, what);
        close(p.ci_high, &h["ci_high"], REFERENCE, what);
    }
    if let Some(r) = want.get("rmst") {
        let got = got.rmst(r["tau"].as_f64().unwrap()).unwrap();
        close(got.rmst, &r["rmst"], REFERENCE, what);
        close(
            got.std_error,
            &r["std_error_numpy_survRM2"],
            REFERENCE,
            what,
        );
    }
}

#[test]
fn kaplan_meier_matches_lifelines() {
    let r = reference();
    let d = rossi();
    let s = d.subjects(None);
    let all: Vec<usize> = (0..d.week.len()).collect();
    check_km(
        &kaplan_meier(&s, &all, ConfType::LogLog),
        &r["rossi"]["km_all"],
        "rossi",
    );
    for v in [0.0, 1.0] {
        let rows: Vec<usize> = all.iter().copied().filter(|&i| d.x[0][i] == v).collect();
        check_km(
            &kaplan_meier(&s, &rows, ConfType::LogLog),
            &r["rossi"]["km_fin"][format!("{v}")],
            "fin",
        );
    }
    let entry = list(&r["rossi"]["entry"]);
    let se = d.subjects(Some(&entry));
    check_km(
        &kaplan_meier(&se, &all, ConfType::LogLog),
        &r["rossi"]["km_entry"],
        "entry",
    );
}

#[test]
fn logrank_matches_lifelines_and_statsmodels() {
    let r = &reference()["rossi"];
    let d = rossi();
    let s = d.subjects(None);
    let fin: Vec<u32> = d.x[0].iter().map(|v| *v as u32).collect();
    let lr = logrank(&s, &fin, 2, None).unwrap();
    close(
        lr.statistic,
        &r["logrank_fin"]["statistic"],
        REFERENCE,
        "fin",
    );
    close(lr.p_value, &r["logrank_fin"]["p_value"], REFERENCE, "fin p");
    let age3: Vec<u32> = d.x[1]
        .iter()
        .map(|a| {
            if *a < 20.0 {
                0
            } else if *a <= 25.0 {
                1
            } else {
                2
            }
        })
        .collect();
    let m = logrank(&s, &age3, 3, None).unwrap();
    assert_eq!(m.df, 2);
    close(
        m.statistic,
        &r["logrank_age3"]["statistic"],
        REFERENCE,
        "age3",
    );
    close(
        m.p_value,
        &r["logrank_age3"]["p_value"],
        REFERENCE,
        "age3 p",
    );
    for pw in r["pairwise_age3"].as_array().unwrap() {
        let (a, b) = (
            pw["a"].as_u64().unwrap() as u32,
            pw["b"].as_u64().unwrap() as u32,
        );
        let g: Vec<u32> = age3
            .iter()
            .map(|&x| {
                if x == a {
                    0
                } else if x == b {
                    1
                } else {
                    u32::MAX
                }
            })
            .collect();
        let t = logrank(&s, &g, 2, None).unwrap();
        close(t.statistic, &pw["statistic"], REFERENCE, "pairwise");
    }
    let wexp: Vec<u32> = d.x[3].iter().map(|v| *v as u32).collect();
    let st = logrank(&s, &fin, 2, Some(&wexp)).unwrap();
    close(
        st.statistic,
        &r["logrank_fin_strata_wexp_statsmodels"]["statistic"],
        REFERENCE,
        "strata",
    );
}

fn check_cox(fit: &cox::CoxFit, want: &Value, what: &str) {
    let se = fit.std_errors();
    for k in 0..fit.beta.len() {
        close(fit.beta[k], &want["estimate"][k], REFERENCE, what);
        close(se[k], &want["std_error"][k], REFERENCE, what);
    }
    close(
        fit.log_lik,
        &want["log_partial_likelihood"],
        REFERENCE,
        what,
    );
}

#[test]
fn cox_matches_lifelines_and_statsmodels_on_rossi() {
    let r = &reference()["rossi"];
    let d = rossi();
    let s = d.subjects(None);
    let data = CoxData {
        subjects: s,
        columns: d.x.iter().map(|c| c.as_slice()).collect(),
        strata: None,
    };
    let pr = Prepared::new(&data);
    let all: Vec<usize> = (0..7).collect();
    let efron = cox::fit(&pr, &all, &CoxParams::default()).unwrap();
    assert!(efron.converged);
    // The published coefficients (Fox & Weisberg), to their three digits.
    let published = [-0.379, -0.0574, 0.314, -0.150, -0.434, -0.0849, 0.0915];
    for (b, p) in efron.beta.iter().zip(published) {
        assert!(agree(*b, p, 2e-3, 0.0), "{b} vs published {p}");
    }
    let w = &r["cox_efron"];
    check_cox(&efron, w, "efron");
    let ll0 = cox::null_log_lik(&pr, Ties::Efron);
    close(
        2.0 * (efron.log_lik - ll0),
        &w["lr_statistic"],
        REFERENCE,
        "lr",
    );
    close(-2.0 * efron.log_lik + 14.0, &w["aic"], REFERENCE, "aic");
    let eta = cox::linear_predictor(&data, &efron);
    close(
        concordance(&d.week, &d.arrest, &eta).unwrap(),
        &w["concordance"],
        REFERENCE,
        "C",
    );
    close(
        cox::score_test(&pr, &all, Ties::Efron).unwrap(),
        &w["statsmodels"]["score_statistic"],
        REFERENCE,
        "score",
    );
    // Proportional-hazards tests; lifelines lists the terms by name.
    for (tr, key) in [(TimeTransform::Rank, "rank"), (TimeTransform::Km, "km")] {
        let ph = ph_test(&pr, &data, &efron, tr).unwrap();
        let want = &w["ph_test"][key];
        for (k, name) in want["terms"].as_array().unwrap().iter().enumerate() {
            let j = COVARIATES
                .iter()
                .position(|c| *c == name.as_str().unwrap())
                .unwrap();
            close(ph.terms[j].statistic, &want["statistic"][k], REFERENCE, key);
            close(ph.terms[j].p_value, &want["p_value"][k], REFERENCE, key);
        }
        close(
            ph.global.unwrap().statistic,
            &want["global_numpy"],
            REFERENCE,
            "global",
        );
    }
    let breslow = cox::fit(
        &pr,
        &all,
        &CoxParams {
            ties: Ties::Breslow,
            ..Default::default()
        },
    )
    .unwrap();
    let wb = &r["cox_breslow_statsmodels"];
    check_cox(&breslow, wb, "breslow");
    close(
        cox::null_log_lik(&pr, Ties::Breslow),
        &wb["log_partial_likelihood_null"],
        REFERENCE,
        "ll0",
    );
    close(
        cox::score_test(&pr, &all, Ties::Breslow).unwrap(),
        &wb["score_statistic"],
        REFERENCE,
        "score",
    );
}

#[test]
fn cox_with_strata_and_delayed_entry_matches() {
    let r = &reference()["rossi"];
    let d = rossi();
    // Strata: wexp leaves the covariates.
    let s = d.subjects(None);
    let wexp: Vec<u32> = d.x[3].iter().map(|v| *v as u32).collect();
    let data = CoxData {
        subjects: s,
        columns: d.x.iter().map(|c| c.as_slice()).collect(),
        strata: Some(&wexp),
    };
    let pr = Prepared::new(&data);
    let fit = cox::fit(&pr, &[0, 1, 2, 4, 5, 6], &CoxParams::default()).unwrap();
    check_cox(&fit, &r["cox_efron_strata_wexp"], "strata");
    let entry = list(&r["entry"]);
    let se = d.subjects(Some(&entry));
    let data = CoxData {
        subjects: se,
        columns: d.x.iter().map(|c| c.as_slice()).collect(),
        strata: None,
    };
    let pr = Prepared::new(&data);
    let all: Vec<usize> = (0..7).collect();
    check_cox(
        &cox::fit(&pr, &all, &CoxParams::default()).unwrap(),
        &r["cox_efron_entry"],
        "entry efron",
    );
    let b = cox::fit(
        &pr,
        &all,
        &CoxParams {
            ties: Ties::Breslow,
            ..Default::default()
        },
    )
    .unwrap();
    check_cox(&b, &r["cox_breslow_entry_statsmodels"], "entry breslow");
}

/// A covariate equal to the event flag: the likelihood rises for ever; Firth's
/// penalty gives finite estimates, matching the penalised optimum found by
/// scipy on statsmodels' likelihood and Hessian (`FIRTH`: that optimiser
/// stops at a gradient of 1e-10, not at Newton's precision).
#[test]
fn firth_cox_matches_the_penalised_optimum() {
    let r = &reference()["rossi"]["firth_breslow"];
    let d = rossi();
    let sep: Vec<f64> = d.arrest.iter().map(|e| *e as u8 as f64).collect();
    let s = d.subjects(None);
    let data = CoxData {
        subjects: s,
        columns: vec![&d.x[0], &d.x[1], &sep],
        strata: None,
    };
    let pr = Prepared::new(&data);
    let plain = cox::fit(
        &pr,
        &[0, 1, 2],
        &CoxParams {
            ties: Ties::Breslow,
            ..Default::default()
        },
    );
    assert!(
        plain.map_or(true, |f| f.max_std_beta > 5.0),
        "the plain fit must run away"
    );
    let firth = cox::fit(
        &pr,
        &[0, 1, 2],
        &CoxParams {
            ties: Ties::Breslow,
            firth: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(firth.converged);
    let se = firth.std_errors();
    for k in 0..3 {
        close(firth.beta[k], &r["estimate"][k], FIRTH, "firth");
        close(se[k], &r["std_error"][k], FIRTH, "firth se");
    }
    close(
        firth.penalized_log_lik.unwrap(),
        &r["penalized_log_likelihood"],
        FIRTH,
        "firth pll",
    );
}

/// IBM Telco: monthly tenure, so almost every time is tied — Efron and
/// Breslow differ, and each matches its reference.
#[test]
fn cox_matches_on_ibm_telco_with_categoricals() {
    let r = &reference()["telco"];
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/ibm_telco/telco_11.1.3_merged.csv"
    );
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = rdr
        .headers()
        .unwrap()
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let recs: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let get = |n: &str| -> Vec<String> { recs.iter().map(|r| r[col(n)].to_string()).collect() };
    let t: Vec<f64> = get("Tenure in Months")
        .iter()
        .map(|v| v.parse().unwrap())
        .collect();
    let e: Vec<bool> = get("Churn Label").iter().map(|v| v == "Yes").collect();
    let dummy = |n: &str, lev: &str| -> Vec<f64> {
        get(n).iter().map(|v| (v == lev) as u8 as f64).collect()
    };
    let num = |n: &str| -> Vec<f64> { get(n).iter().map(|v| v.parse().unwrap()).collect() };
    let x = [
        dummy("Contract", "One Year"),
        dummy("Contract", "Two Year"),
        dummy("Internet Type", "DSL"),
        dummy("Internet Type", "None"),
        dummy("Internet Type", "Cable"),
        num("Monthly Charge"),
        num("Number of Referrals"),
        num("Age"),
    ];
    let s = Subjects {
        entry: None,
        exit: &t,
        event: &e,
    };
    let data = CoxData {
        subjects: s,
        columns: x.iter().map(|c| c.as_slice()).collect(),
        strata: None,
    };
    let pr = Prepared::new(&data);
    let all: Vec<usize> = (0..8).collect();
    let efron = cox::fit(&pr, &all, &CoxParams::default()).unwrap();
    check_cox(&efron, &r["cox_efron"], "telco efron");
    let eta = cox::linear_predictor(&data, &efron);
    close(
        concordance(&t, &e, &eta).unwrap(),
        &r["cox_efron"]["concordance"],
        REFERENCE,
        "C",
    );
    let ph = ph_test(&pr, &data, &efron, TimeTransform::Rank).unwrap();
    assert_eq!(ph.terms.len(), 8);
    let breslow = cox::fit(
        &pr,
        &all,
        &CoxParams {
            ties: Ties::Breslow,
            ..Default::default()
        },
    )
    .unwrap();
    check_cox(&breslow, &r["cox_breslow_statsmodels"], "telco breslow");
    assert!(
        (efron.beta[1] - breslow.beta[1]).abs() > 1e-3,
        "ties matter here"
    );
    // KM per contract and the 3-group log-rank.
    let contract = get("Contract");
    let levels = ["Month-to-Month", "One Year", "Two Year"];
    for lev in levels {
        let rows: Vec<usize> = (0..t.len()).filter(|&i| contract[i] == lev).collect();
        check_km(
            &kaplan_meier(&s, &rows, ConfType::LogLog),
            &r["km_contract"][lev],
            lev,
        );
    }
    let codes: Vec<u32> = contract
        .iter()
        .map(|c| levels.iter().position(|l| l == c).unwrap() as u32)
        .collect();
    let lr = logrank(&s, &codes, 3, None).unwrap();
    close(
        lr.statistic,
        &r["logrank_contract"]["statistic"],
        REFERENCE,
        "contract",
    );
}
