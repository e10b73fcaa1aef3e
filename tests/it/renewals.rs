//! Renewals (issue 18): the renewal KPIs of the demo's planted renewals, and
//! of renewals derived from start dates and a term, against an independent
//! pandas computation from the data contract's definitions
//! (tests/reference/renewals_reference.py → renewals.json), every period and
//! group; and the renewals table's input errors.

use std::collections::BTreeMap;

use churnlab::renewals::RenewalRow;
use churnlab::StudyConfig;
use serde_json::Value;

use crate::common::{rejected, repo, stdout_of, Fixture};
use crate::tolerance::{agree, SAME_SUMS};

fn reference() -> Value {
    serde_json::from_str(include_str!("../reference/renewals.json")).expect("reference JSON")
}

/// The rows churnlab computes, keyed as the reference keys them.
fn rows(cfg: &StudyConfig) -> BTreeMap<String, RenewalRow> {
    let study = churnlab::load_study(cfg).expect("study");
    let r = churnlab::renewals::analyse(&study).expect("renewals");
    r.rows
        .into_iter()
        .map(|x| (format!("{}|{}|{}", x.grain.as_str(), x.period, x.group), x))
        .collect()
}

/// Every row of `want` is in `got` with equal counts and sums and ratios to
/// 1e-9 relative, and `got` has no row `want` lacks.
fn compare(got: &BTreeMap<String, RenewalRow>, want: &Value) {
    let want = want.as_object().expect("rows");
    let extra: Vec<&String> = got.keys().filter(|k| !want.contains_key(*k)).collect();
    assert!(extra.is_empty(), "rows pandas does not have: {extra:?}");
    for (key, w) in want {
        let g = got.get(key).unwrap_or_else(|| panic!("no row {key}"));
        let v = serde_json::to_value(g).expect("row JSON");
        for (field, x) in w.as_object().expect("row") {
            let y = &v[field];
            match (x.as_f64(), y.as_f64()) {
                (Some(a), Some(b)) => assert!(
                    agree(b, a, SAME_SUMS, 1e-9),
                    "{key} {field}: {b} vs pandas {a}"
                ),
                _ => assert_eq!(x.is_null(), y.is_null(), "{key} {field}: {y} vs pandas {x}"),
            }
        }
    }
}

#[test]
fn renewal_kpis_match_pandas_on_the_demo_table() {
    let cfg = StudyConfig::from_path(&repo("data/demo/study.toml")).expect("config");
    let want = reference();
    let got = rows(&cfg);
    assert_eq!(
        got.len(),
        want["table"]["rows"].as_object().map_or(0, |o| o.len())
    );
    compare(&got, &want["table"]["rows"]);
    // Planted: the demo has late renewals and a forward quarter still open.
    let q4 = &got["quarter|2024-Q4|all"];
    assert!(q4.sums.late > 0 && q4.sums.late < q4.sums.due, "{q4:?}");
    let next = &got["quarter|2025-Q2|all"];
    assert!(next.sums.open > next.sums.decided, "{next:?}");
}

#[test]
fn derived_renewals_match_pandas() {
    let mut cfg = StudyConfig::from_path(&repo("data/demo/study.toml")).expect("config");
    if let Some(r) = cfg.renewals.as_mut() {
        r.path = None;
    }
    cfg.recheck()
        .expect("derived renewals need start dates and revenue: both present");
    let want = reference();
    let study = churnlab::load_study(&cfg).expect("study");
    let r = study.renewals.as_ref().expect("derived renewals");
    assert_eq!(
        r.len() as u64,
        want["derived"]["renewals"].as_u64().unwrap_or(0)
    );
    compare(&rows(&cfg), &want["derived"]["rows"]);
}

/// Each rule of the renewals table, broken once: exit 2, and the message
/// names the file, column, data row (1-based, as everywhere) and value.
#[test]
fn bad_renewal_rows_are_input_errors_naming_the_row() {
    let header = "account_id,renewal_date,arr_due,outcome,renewed_arr,closed_date\n";
    let good = "A1,2024-03-01,1200,renewed,1300,2024-02-20\n";
    let cases: [(&str, &[&str]); 9] = [
        (
            "ZZ9,2024-03-01,1200,renewed,1300,2024-02-20\n",
            &["account_id", "row 1", "`ZZ9`", "not an account id"],
        ),
        (
            "A1,2024-13-01,1200,renewed,1300,2024-02-20\n",
            &["renewal_date", "row 1", "`2024-13-01`", "not a date"],
        ),
        (
            "A1,2024-04-01,-5,renewed,1300,2024-03-20\n",
            &["arr_due", "row 1", "`-5`", "negative"],
        ),
        (
            "A1,2024-04-01,1200,won,1300,2024-03-20\n",
            &["outcome", "row 1", "`won`", "not a renewal outcome"],
        ),
        (
            "A1,2024-04-01,1200,churned,900,2024-03-20\n",
            &["renewed_arr", "row 1", "`900`", "outcome is churned"],
        ),
        (
            "A1,2024-04-01,1200,renewed,,2024-03-20\n",
            &["renewed_arr", "row 1", "blank on a renewed row"],
        ),
        (
            "A1,2024-04-01,1200,open,,2024-03-20\n",
            &["closed_date", "row 1", "`2024-03-20`", "open renewal"],
        ),
        (
            "A1,2025-06-01,1200,renewed,1200,2024-01-02\n",
            &["closed_date", "row 1", "`2024-01-02`", "more than a term"],
        ),
        (
            "A1,2024-03-01,1200,churned,,2024-02-01\n",
            &["renewal_date", "row 2", "`2024-03-01`", "first at row 1"],
        ),
    ];
    for (row, expect) in cases {
        let f = Fixture::study_with(
            "[revenue]",
            "[renewals]\npath = \"renewals.csv\"\n\n[revenue]",
        );
        let body = if expect.contains(&"first at row 1") {
            format!("{header}{good}{row}")
        } else {
            format!("{header}{row}")
        };
        f.write("renewals.csv", body.as_bytes());
        let msg = rejected(&f, expect);
        assert!(msg.contains("renewals.csv"), "{msg}");
    }
}

/// `churnlab renewals` prints the quarters of the demo, its CSV has every
/// row of the results, and a config without `[renewals]` is a config error
/// (exit 2) that says how to add one.
#[test]
fn renewals_command_prints_the_kpis_or_says_what_is_missing() {
    let demo = repo("data/demo/study.toml");
    let out = crate::common::churnlab()
        .args(["renewals", "--config"])
        .arg(&demo)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("2024-Q4") && text.contains("2025-Q2") && text.contains("late"),
        "{text}"
    );
    let csv = crate::common::churnlab()
        .args(["renewals", "--format", "csv", "--config"])
        .arg(&demo)
        .output()
        .expect("run");
    let cfg = StudyConfig::from_path(&demo).expect("config");
    let n = rows(&cfg).len();
    assert_eq!(String::from_utf8_lossy(&csv.stdout).lines().count(), n + 1);
    let none = crate::common::churnlab()
        .args(["renewals", "--config"])
        .arg(repo("tests/data/kpis/study.toml"))
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&none.stderr);
    assert_eq!(none.status.code(), Some(2), "{err}");
    assert!(err.contains("no [renewals] section"), "{err}");
}

/// The fixture study with a `[renewals]` section (`extra` keys added to it)
/// and `body` as its renewals.csv.
fn with_renewals(extra: &str, body: &str) -> Fixture {
    let f = Fixture::study_with(
        "[revenue]",
        &format!("[renewals]\npath = \"renewals.csv\"\n{extra}\n[revenue]"),
    );
    f.write("renewals.csv", body.as_bytes());
    f
}

const HEADER: &str = "account_id,renewal_date,arr_due,outcome,renewed_arr,closed_date\n";

/// Renewals as CRMs export them (Salesforce opportunity stages, US dates,
/// currency-formatted amounts, ragged rows, semicolons, an export appended
/// twice) and configs as people write them: exit 2, naming the file (or
/// config key), column, row and value; and the export quirks a user expects
/// to load (a BOM, CRLF, trailing blank lines, stage names mapped in any case).
#[test]
fn crm_exports_of_renewals_are_checked_as_users_expect() {
    let stages = "renewed_values = [\"Closed Won\"]\nchurned_values = [\"Closed Lost\"]\nopen_values = [\"Negotiation\", \"Proposal\"]";
    let cases: Vec<(&str, Fixture, Vec<&str>)> = vec![
        (
            "stage names not mapped",
            with_renewals("", &format!("{HEADER}A1,2024-03-01,1200,Closed Won,1300,2024-02-20\n")),
            vec!["renewals.csv", "column `outcome`", "row 1", "`Closed Won`", "renewed_values"],
        ),
        (
            "US date",
            with_renewals("", &format!("{HEADER}A1,03/15/2024,1200,renewed,1300,2024-02-20\n")),
            vec!["column `renewal_date`", "row 1", "`03/15/2024`", "YYYY-MM-DD"],
        ),
        (
            "currency-formatted ARR",
            with_renewals("", &format!("{HEADER}A1,2024-03-01,$1200,renewed,1300,2024-02-20\n")),
            vec!["column `arr_due`", "row 1", "`$1200`", "not a number"],
        ),
        (
            "renewed ARR on a lost opportunity",
            with_renewals(stages, &format!("{HEADER}A2,2024-03-01,1200,closed lost,900,2024-02-20\n")),
            vec!["column `renewed_arr`", "row 1", "`900`", "outcome is churned"],
        ),
        (
            "#N/A as the account",
            with_renewals("", &format!("{HEADER}#N/A,2024-03-01,1200,open,,\n")),
            vec!["column `account_id`", "row 1", "`#N/A`", "not an account id"],
        ),
        (
            "an export appended twice",
            with_renewals("", &format!("{HEADER}A2,2024-03-01,1200,open,,\nA3,2024-05-01,9,open,,\nA2,2024-03-01,1200,open,,\n")),
            vec!["column `renewal_date`", "row 3", "first at row 1"],
        ),
        (
            "a ragged row",
            with_renewals("", &format!("{HEADER}A2,2024-03-01,1200,open,\n")),
            vec!["renewals.csv", "row"],
        ),
        (
            "semicolon export",
            with_renewals("", &format!("{}A2;2024-03-01;1200;open;;\n", HEADER.replace(',', ";"))),
            vec!["renewals.csv", "account_id"],
        ),
        (
            "as_of not a date",
            with_renewals("as_of = \"next monday\"", &format!("{HEADER}A2,2024-03-01,1200,open,,\n")),
            vec!["study.toml", "as_of"],
        ),
        (
            "a term of zero months",
            with_renewals("term_months = 0", &format!("{HEADER}A2,2024-03-01,1200,open,,\n")),
            vec!["study.toml", "term_months = 0"],
        ),
    ];
    for (name, f, expect) in &cases {
        let (code, err) = f.run();
        assert_eq!(code, 2, "{name}: {err}");
        for e in expect {
            assert!(err.contains(e), "{name}: lacks `{e}`: {err}");
        }
        assert!(
            !err.contains("panicked") && !f.path("out").exists(),
            "{name}: {err}"
        );
    }
    // A BOM, CRLF line ends, two blank lines at the end and stage names in
    // another case: loads.
    let body = format!(
        "\u{feff}{}A1,2024-03-01,1200,CLOSED WON,1300,2024-02-20\r\nA2,2024-04-01,5000,negotiation,,\r\n\r\n\r\n",
        HEADER.replace('\n', "\r\n")
    );
    let f = with_renewals(stages, &body);
    let (code, out, err) = f.validate();
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("renewals: 2 rows (1 open)"), "{out}");
}

/// A run of the demo puts the renewals in every view: the summary's cards
/// (the last closed quarter's rates with their charts' lights, the current
/// quarter's quota closed), the report's section, renewal_kpis.csv, the
/// feed's rows and the three control charts.
#[test]
fn a_run_shows_the_renewals_everywhere() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    let o = crate::common::churnlab()
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["run", "--quiet", "--no-kpi-db", "--config"])
        .arg(repo("data/demo/study.toml"))
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let md = std::fs::read_to_string(out.join("summary.md")).expect("summary");
    assert!(
        md.contains("| Gross dollar renewal rate | 2024-Q4 |"),
        "{md}"
    );
    assert!(md.contains("| Renewal quota closed | 2025-Q1 |"), "{md}");
    let html = std::fs::read_to_string(out.join("report.html")).expect("report");
    assert!(html.contains("<section id=\"renewals\">") && html.contains("Renewals by quarter"));
    let results: Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).expect("results"))
            .expect("json");
    let charts: Vec<&str> = results["kpis"]["control"]
        .as_array()
        .expect("charts")
        .iter()
        .filter_map(|c| c["kpi"].as_str())
        .filter(|k| k.contains("renewal"))
        .collect();
    assert_eq!(charts.len(), 3, "{charts:?}");
    let feed = std::fs::read_to_string(out.join("kpis.csv")).expect("feed");
    for key in [
        "renewal_quota",
        "quota_attainment",
        "late_renewals",
        "logo_renewal_rate",
    ] {
        assert!(
            feed.lines().any(|l| l.starts_with(&format!("{key},"))),
            "{key} not in the feed"
        );
    }
    assert!(out.join("renewal_kpis.csv").exists());
}

/// `churnlab renewals --table at-risk|validation`: the ranked renewals with
/// their levers, the whole list as CSV, and the backtest's measures.
#[test]
fn renewals_cli_prints_the_at_risk_list_and_the_validation() {
    let cfg = repo("data/demo/study.toml");
    let run = |args: &[&str]| {
        stdout_of(
            crate::common::churnlab()
                .arg("renewals")
                .arg("--config")
                .arg(&cfg)
                .args(args),
        )
    };
    let text = run(&["--table", "at-risk"]);
    assert!(text.starts_with("Fit to rank renewals"), "{text}");
    assert!(text.contains("  1. ") && text.contains("  5. ") && !text.contains("  6. "));
    assert!(text.contains("lever: "), "{text}");
    let csv = run(&["--table", "at-risk", "--format", "csv"]);
    let rows = csv.lines().count() - 1;
    let json: Value =
        serde_json::from_str(&run(&["--table", "at-risk", "--format", "json"])).expect("json");
    assert_eq!(
        rows as u64,
        json["forward"]["open_renewals"].as_u64().expect("open")
    );
    assert_eq!(json["all"].as_array().map(|a| a.len()), Some(rows));
    let v = run(&["--table", "validation"]);
    assert!(
        v.contains("out of time") && v.contains("in sample") && v.contains("deciles"),
        "{v}"
    );
    let vc = run(&["--table", "validation", "--format", "csv"]);
    assert!(
        vc.lines().any(|l| l.starts_with("out_of_time,auc,")),
        "{vc}"
    );
}

/// A driver label with a comma and a quote reaches the levers of
/// `renewals_at_risk.csv` quoted: every row still reads as 13 fields, and
/// the label comes back whole.
#[test]
fn at_risk_csv_quotes_levers_whose_labels_need_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    for f in ["accounts.csv", "revenue.csv", "renewals.csv"] {
        std::fs::copy(repo(&format!("data/demo/{f}")), dir.path().join(f)).expect("copy");
    }
    let label = r#"Support tickets, "last quarter""#;
    let toml = std::fs::read_to_string(repo("data/demo/study.toml"))
        .expect("toml")
        .replace(
            r#"label = "Support tickets (last quarter)""#,
            &format!("label = '{label}'"),
        );
    assert!(toml.contains(label));
    std::fs::write(dir.path().join("study.toml"), toml).expect("write");
    let out = stdout_of(
        crate::common::churnlab()
            .args([
                "renewals", "--table", "at-risk", "--format", "csv", "--config",
            ])
            .arg(dir.path().join("study.toml")),
    );
    let mut rdr = csv::Reader::from_reader(out.as_bytes());
    let mut with_label = 0;
    for row in rdr.records() {
        let row = row.expect("a CSV row");
        assert_eq!(row.len(), 13, "{row:?}");
        if row[10].contains(label) {
            with_label += 1;
        }
    }
    assert!(with_label > 100, "{with_label} rows name the label");
}
