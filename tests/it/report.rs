//! `churnlab run` end to end: every output file, a valid self-contained
//! HTML5 report with user strings escaped, refusal to clobber, byte-identical
//! reruns, and the KPI feed in SQLite and PostgreSQL.

use crate::common::repo;
use std::collections::BTreeMap;
use std::path::Path;

use html5ever::tendril::TendrilSink;
use markup5ever_rcdom::{Handle, NodeData, RcDom};

use super::common::{churnlab, Fixture};
use super::tolerance::{agree, SAME_SUMS};

/// Runs `churnlab run` with extra arguments; returns (exit code, stderr).
fn run(config: &Path, out: &Path, extra: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = churnlab();
    cmd.args(["run", "--config"])
        .arg(config)
        .arg("--out")
        .arg(out);
    cmd.args(extra);
    cmd.env_remove("SOURCE_DATE_EPOCH");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().expect("run churnlab");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Every file under `dir`, relative path → bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("under dir");
                out.insert(
                    rel.to_string_lossy().into_owned(),
                    std::fs::read(&p).expect("read"),
                );
            }
        }
    }
    out
}

/// Parses HTML with the browsers' algorithm; returns the DOM and its parse errors.
fn parse_html(html: &str) -> (RcDom, Vec<String>) {
    let mut opts = html5ever::ParseOpts::default();
    opts.tokenizer.exact_errors = true;
    opts.tree_builder.exact_errors = true;
    let dom = html5ever::parse_document(RcDom::default(), opts)
        .from_utf8()
        .read_from(&mut html.as_bytes())
        .expect("read html");
    let errors = dom.errors.borrow().iter().map(|e| e.to_string()).collect();
    (dom, errors)
}

/// An element's tag name and its attributes.
type Tag = (String, Vec<(String, String)>);

/// Elements by tag name, and all text, walking the whole tree.
fn walk(node: &Handle, tags: &mut Vec<Tag>, text: &mut String) {
    match &node.data {
        NodeData::Element { name, attrs, .. } => {
            tags.push((
                name.local.to_string(),
                attrs
                    .borrow()
                    .iter()
                    .map(|a| (a.name.local.to_string(), a.value.to_string()))
                    .collect(),
            ));
        }
        NodeData::Text { contents } => text.push_str(&contents.borrow()),
        _ => {}
    }
    for c in node.children.borrow().iter() {
        walk(c, tags, text);
    }
}

/// Checks a report page: valid HTML5 in no-quirks mode, no external
/// references, one script of ours, charts inline.
fn check_html(html: &str) -> (Vec<Tag>, String) {
    let (dom, errors) = parse_html(html);
    assert!(errors.is_empty(), "HTML5 parse errors: {errors:?}");
    assert_eq!(
        dom.quirks_mode.get(),
        html5ever::tree_builder::QuirksMode::NoQuirks
    );
    for needle in ["http://", "https://"] {
        assert!(!html.contains(needle), "report names a URL: `{needle}`");
    }
    let style = html
        .split_once("<style>")
        .and_then(|(_, rest)| rest.split_once("</style>"))
        .map(|(css, _)| css)
        .expect("inline CSS");
    assert!(!style.contains("url(") && !style.contains("@import"));
    let mut tags = Vec::new();
    let mut text = String::new();
    walk(&dom.document, &mut tags, &mut text);
    for (tag, attrs) in &tags {
        assert!(
            !matches!(tag.as_str(), "img" | "link" | "iframe" | "object" | "embed"),
            "unexpected <{tag}>"
        );
        for (k, v) in attrs {
            assert!(
                !k.starts_with("on"),
                "event handler attribute {k} on <{tag}>"
            );
            assert!(
                !matches!(k.as_str(), "src" | "xlink:href" | "action"),
                "{k} on <{tag}>"
            );
            if k == "href" {
                assert!(v.starts_with('#'), "link outside the page: {v}");
            }
        }
    }
    assert_eq!(tags.iter().filter(|(t, _)| t == "script").count(), 1);
    (tags, text)
}

const RUN_FILES: &[&str] = &[
    "report.html",
    "summary.md",
    "results.json",
    "kpis.json",
    "kpis.csv",
    "kpis_accounts.csv",
    "kpis_recommendation.csv",
    "drivers_univariate.csv",
    "drivers_churn_rates.csv",
    "drivers_model.csv",
    "drivers_tests.csv",
    "pareto.csv",
    "pareto_segments.csv",
    "charts/pareto_frequency.png",
    "charts/pareto_frequency.svg",
    "charts/pareto_revenue.png",
    "charts/pareto_revenue.svg",
    "charts/drivers_forest.png",
    "charts/drivers_forest.svg",
];

const REVENUE_FILES: &[&str] = &[
    "pareto_mix_shift.csv",
    "kpis_periods.csv",
    "kpis_owners.csv",
    "control_points.csv",
    "charts/csm_funnel.png",
    "charts/csm_funnel.svg",
    "charts/control_logo_churn_laney.png",
    "charts/control_logo_churn_p.png",
    "charts/control_grr_xmr.png",
    "charts/control_nrr_xmr.png",
    "charts/control_arpa_xmr.png",
    "charts/control_arpa_xmr.svg",
    "charts/control_driver_training-quality.png",
    "charts/control_driver_exec-sponsor.svg",
    "renewal_kpis.csv",
    "charts/control_logo_renewal_rate.png",
    "charts/control_gross_dollar_renewal_rate_xmr.svg",
    "charts/control_net_dollar_renewal_rate_xmr.png",
];

#[test]
fn demo_run_writes_every_file_and_a_valid_self_contained_report() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("demo");
    let (code, err) = run(&repo("data/demo/study.toml"), &out, &[], &[]);
    assert_eq!(code, 0, "{err}");
    for f in RUN_FILES.iter().chain(REVENUE_FILES) {
        let p = out.join(f);
        assert!(
            p.metadata().is_ok_and(|m| m.len() > 0),
            "missing or empty {f}"
        );
    }
    assert!(
        tmp.path().join("kpis.sqlite").exists(),
        "default KPI database beside the output folder"
    );
    // stderr is not a terminal here: no progress bar drawing, only the summary lines.
    assert!(!err.contains('\r') && !err.contains('\u{1b}'), "{err:?}");
    assert!(
        err.contains("KPI feed: ") && err.contains("report.html"),
        "{err}"
    );

    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    let (tags, text) = check_html(&html);
    // Every chart is inline: one <svg> per chart file.
    let svgs = snapshot(&out.join("charts"))
        .keys()
        .filter(|k| k.ends_with(".svg"))
        .count();
    assert_eq!(tags.iter().filter(|(t, _)| t == "svg").count(), svgs);
    // The order a reader needs: summary first, then the evidence, then the appendix.
    let pos = |s: &str| html.find(s).unwrap_or_else(|| panic!("no {s}"));
    let order = [
        "id=\"summary\"",
        "id=\"pareto\"",
        "id=\"drivers\"",
        "id=\"kpis\"",
        "id=\"control\"",
        "id=\"appendix\"",
    ];
    assert!(order.windows(2).all(|w| pos(w[0]) < pos(w[1])));
    // The verdict of the demo's planted truth is on the first screen.
    let summary = &html[pos("id=\"summary\"")..pos("id=\"pareto\"")];
    for label in [
        "Training quality (1-5)",
        "Product adoption (share of seats)",
        "Support tickets (last quarter)",
        "Onboarding completed",
        "Executive sponsor",
    ] {
        assert!(summary.contains(label), "summary lacks {label}");
    }
    assert!(summary.contains(
        "Time to value (days): Not significant once Training quality (1-5) is accounted for"
    ));
    assert!(summary.contains("Budget cuts") && summary.contains("Switched to competitor"));
    assert!(summary.contains("Gross revenue retention") && summary.contains("vs 2024-Q3"));
    // Control charts: a run-chart verdict under every chart, the dispersion
    // diagnostic under the p charts, ARPA's drift caught by Anhøj's rules,
    // and support tickets (a count) per account on the chart it picked.
    let control = &html[pos("id=\"control\"")..pos("id=\"appendix\"")];
    let charts = control.matches("<h3>").count();
    assert_eq!(control.matches("Run chart (Anhøj").count(), charts);
    assert!(control.contains("overdispersed, so judge by the Laney p′ chart"));
    assert!(control.contains("signal, an unusually long run and unusually few crossings"));
    assert!(control.contains(
        "Support tickets (last quarter) by start-month cohort, per account, Laney u′ chart"
    ));
    assert!(control.contains("Monthly ARPA, month-over-month change, individuals (XmR) chart"));
    assert!(summary.contains("(month-over-month change)"));
    // Numbers for people.
    assert!(text.contains("< 0.001"));
    assert!(text.contains("2,277 churned (22.8 %)"));
    // The appendix has the definitions and the references.
    assert!(text.contains("(starting MRR − churned MRR − contraction MRR) / starting MRR"));
    assert!(text.contains("Laney, D. B. (2002)"));

    // Each recommended driver has a status light from its start-cohort chart;
    // the demo plants no drift in them, so they are in control.
    assert_eq!(summary.matches("(new-account cohorts)").count(), 5 * 2);
    let feed = std::fs::read_to_string(out.join("kpis.csv")).expect("feed");
    let tq = feed
        .lines()
        .find(|l| l.starts_with("driver:training_quality,"))
        .expect("driver row");
    assert!(tq.contains(",in control (start cohort 2024-"), "{tq}");

    let md = std::fs::read_to_string(out.join("summary.md")).expect("md");
    assert!(md.starts_with("# Demo driver study — executive summary"));
    assert!(
        md.contains("| 1 | Support tickets (last quarter) (leading) |"),
        "{md}"
    );
    assert!(md.contains("1. Budget cuts — 579 (25.4 %)"));
    // Markdown for pasting: no HTML entities in ordinary text, `<` as is.
    for entity in ["&lt;", "&gt;", "&amp;", "&quot;", "&#"] {
        assert!(!md.contains(entity), "summary.md has {entity}: {md}");
    }
    assert!(
        md.contains("q < 0.001") || md.contains("| < 0.001 |"),
        "{md}"
    );
    // `[study] currency = "$"` goes with every amount of money.
    // (Markdown escapes it: `\$` renders as `$`, and GitHub does not read maths.)
    assert!(
        md.contains("1. Switched to competitor — \\$15,996,939 (23.0 %)"),
        "{md}"
    );
    assert!(html.contains("lost revenue ($)"));
}

#[test]
fn ibm_telco_run_writes_every_file_without_a_revenue_table() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("telco");
    let (code, err) = run(&repo("data/ibm_telco/study.toml"), &out, &[], &[]);
    assert_eq!(code, 0, "{err}");
    for f in RUN_FILES {
        assert!(out.join(f).exists(), "missing {f}");
    }
    assert!(!out.join("control_points.csv").exists());
    // Telco's config drills down Churn Category -> Churn Reason.
    assert!(out.join("pareto_categories.csv").exists());
    assert!(out.join("pareto_within_categories.csv").exists());
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    let (_, text) = check_html(&html);
    assert!(text.contains("7,043 accounts, 1,869 churned"));
    assert!(text.contains("No monthly revenue table in the config"));
    // Competitor is the top category and the top reason by revenue on IBM Telco.
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).expect("json"))
            .expect("parse");
    let top = &results["pareto"]["by_revenue"][0]["reason"];
    assert!(text.contains(top.as_str().expect("reason")));
}

#[test]
fn user_strings_are_escaped_everywhere_in_the_report() {
    let script = "<script>alert(1)</script>";
    let img = "\"><img src=x onerror=alert(1)>";
    let accounts = format!(
        "account_id,segment,churned,why <b>left</b>,arr,training_quality,adoption,onboarded\n\
         A1,SMB,1,{script},1200,2,0.30,no\n\
         A2,SMB,0,,5000,4,0.80,yes\n\
         A3,Ent,1,\"{}\",150000,3,0.55,yes\n\
         A4,Ent,0,,30000,5,0.91,yes\n\
         A5,SMB,0,,4000,3,0.66,no\n\
         A6,\"{}\",1,{script},25000,1,0.12,no\n\
         A7,Ent,0,,200000,4,0.77,yes\n\
         A8,SMB,1,\"{}\",3000,2,0.40,yes\n\
         A9,SMB,0,,6000,3,0.58,yes\n\
         A10,SMB,0,,28000,5,0.70,no\n\
         A11,SMB,1,{script},9000,2,0.35,no\n\
         A12,Ent,0,,8000,4,0.75,yes\n",
        img.replace('"', "\"\""),
        img.replace('"', "\"\""),
        img.replace('"', "\"\"")
    );
    let f = Fixture::valid();
    f.write("accounts.csv", accounts.as_bytes());
    f.write(
        "study.toml",
        br#"[study]
name = "<i>Q3</i> & \"friends\" <script>alert(2)</script>"
[accounts]
path = "accounts.csv"
id = "account_id"
churned = "churned"
reason = "why <b>left</b>"
revenue = "arr"
segments = ["segment"]
[[drivers]]
column = "training_quality"
kind = "ordinal"
label = "<img src=y onerror=alert(3)>"
[[drivers]]
column = "adoption"
kind = "numeric"
[[drivers]]
column = "onboarded"
kind = "binary"
"#,
    );
    let out = f.path("out");
    let (code, err) = run(&f.config(), &out, &["--no-kpi-db"], &[]);
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    assert!(!html.contains("<script>alert"), "a label became a script");
    assert!(!html.contains("<img"), "a label became an image");
    assert!(!html.contains("<b>left"), "a column name became markup");
    assert!(!html.contains("<i>Q3"), "the study name became markup");
    let (tags, text) = check_html(&html);
    assert!(!tags.iter().any(|(t, _)| t == "img" || t == "b" || t == "i"));
    // …and the labels are shown as the text the user wrote.
    for s in [
        script,
        img,
        "why <b>left</b>",
        "<img src=y onerror=alert(3)>",
        "<i>Q3</i> & \"friends\"",
    ] {
        assert!(text.contains(s), "label not shown as text: {s}");
    }
    let md = std::fs::read_to_string(out.join("summary.md")).expect("md");
    // Markdown escapes keep the label inert without HTML entities.
    assert!(md.contains("\\<script>alert(1)\\</script>"), "{md}");
    assert!(!md.contains("&lt;") && !md.contains("&gt;"));
    assert!(!md.replace("\\<script>", "").contains("<script>"));
}

#[test]
fn a_second_run_without_force_refuses_and_changes_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("demo");
    let cfg = repo("data/demo/study.toml");
    let (code, err) = run(&cfg, &out, &[], &[]);
    assert_eq!(code, 0, "{err}");
    let before = snapshot(tmp.path());
    let (code, err) = run(&cfg, &out, &[], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(snapshot(tmp.path()), before, "a refused run changed files");
    // With --force it replaces the folder, and leaves no temporary folder.
    let (code, err) = run(&cfg, &out, &["--force"], &[]);
    assert_eq!(code, 0, "{err}");
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .expect("dir")
        .map(|e| e.expect("e").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn two_runs_give_identical_bytes_apart_from_the_timestamp() {
    let tmp = tempfile::tempdir().expect("tmp");
    let cfg = repo("data/demo/study.toml");
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    assert_eq!(run(&cfg, &a, &["--no-kpi-db"], &[]).0, 0);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(run(&cfg, &b, &["--no-kpi-db"], &[]).0, 0);
    let stamp = |d: &Path| -> String {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("results.json")).expect("json"))
                .expect("parse");
        v["generated_at"].as_str().expect("stamp").to_string()
    };
    let (sa, sb) = (stamp(&a), stamp(&b));
    let (fa, fb) = (snapshot(&a), snapshot(&b));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        let other = &fb[name];
        if bytes == other {
            continue;
        }
        // Only text files may differ, and only by the run timestamp.
        let ta = String::from_utf8(bytes.clone()).expect("utf8");
        let tb = String::from_utf8(other.clone()).expect("utf8");
        assert_eq!(
            ta.replace(&sa, "T"),
            tb.replace(&sb, "T"),
            "{name} differs beyond the timestamp"
        );
    }
    // SOURCE_DATE_EPOCH pins the timestamp: then every byte is identical.
    let (c, d) = (tmp.path().join("c"), tmp.path().join("d"));
    let env = [("SOURCE_DATE_EPOCH", "1700000000")];
    assert_eq!(run(&cfg, &c, &["--no-kpi-db"], &env).0, 0);
    assert_eq!(run(&cfg, &d, &["--no-kpi-db"], &env).0, 0);
    assert_eq!(snapshot(&c), snapshot(&d));
    assert_eq!(stamp(&c), "2023-11-14T22:13:20Z");
}

#[test]
fn quiet_prints_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (code, err) = run(
        &repo("data/demo/study.toml"),
        &tmp.path().join("q"),
        &["--quiet"],
        &[],
    );
    assert_eq!(code, 0);
    assert_eq!(err, "");
}

#[test]
fn a_failed_run_leaves_no_partial_report() {
    // The KPI database cannot be opened (its path is a folder): the run
    // fails after the report files were staged, and none of them remain.
    let tmp = tempfile::tempdir().expect("tmp");
    let blocker = tmp.path().join("db-is-a-folder");
    std::fs::create_dir(&blocker).expect("mkdir");
    let out = tmp.path().join("demo");
    let (code, err) = run(
        &repo("data/demo/study.toml"),
        &out,
        &["--kpi-db", blocker.to_str().expect("utf8")],
        &[],
    );
    assert_ne!(code, 0);
    assert!(err.contains("KPI database"), "{err}");
    assert!(!out.exists());
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .expect("dir")
        .map(|e| e.expect("e").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["db-is-a-folder"], "leftovers: {names:?}");
}

/// Rows of the feed file of a run: (kpi, period, grain, segment) → value text.
fn feed_rows(out: &Path) -> BTreeMap<(String, String, String, String), String> {
    let mut r = csv::Reader::from_path(out.join("kpis.csv")).expect("csv");
    r.records()
        .map(|rec| {
            let rec = rec.expect("record");
            (
                (
                    rec[0].to_string(),
                    rec[1].to_string(),
                    rec[2].to_string(),
                    rec[3].to_string(),
                ),
                rec[4].to_string(),
            )
        })
        .collect()
}

fn close(a: Option<f64>, b: &str) -> bool {
    match (a, b.parse::<f64>().ok()) {
        (None, None) => true,
        (Some(x), Some(y)) => agree(x, y, SAME_SUMS, SAME_SUMS),
        _ => false,
    }
}

#[test]
fn sqlite_feed_is_upserted_per_study_and_period() {
    let tmp = tempfile::tempdir().expect("tmp");
    let db = tmp.path().join("feed.sqlite");
    let dbs = db.to_str().expect("utf8");
    let demo = repo("data/demo/study.toml");
    let out = tmp.path().join("demo");
    assert_eq!(run(&demo, &out, &["--kpi-db", dbs], &[]).0, 0);
    assert_eq!(run(&demo, &out, &["--kpi-db", dbs, "--force"], &[]).0, 0);
    let expected = feed_rows(&out);
    let conn = rusqlite::Connection::open(&db).expect("open");
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM kpi_values", [], |r| r.get(0))
        .expect("count");
    assert_eq!(
        n as usize,
        expected.len(),
        "a rerun must replace its own rows"
    );
    let mut stmt = conn
        .prepare("SELECT kpi, period, grain, segment, value, study FROM kpi_values")
        .expect("prepare");
    let rows = stmt
        .query_map([], |r| {
            Ok((
                (r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?),
                r.get::<_, Option<f64>>(4)?,
                r.get::<_, String>(5)?,
            ))
        })
        .expect("query");
    for row in rows {
        let (key, value, study) = row.expect("row");
        assert_eq!(study, "Demo driver study");
        assert!(
            close(value, &expected[&key]),
            "{key:?}: {value:?} vs {}",
            expected[&key]
        );
    }
    let status: String = conn
        .query_row(
            "SELECT status FROM kpi_values WHERE kpi = 'logo_churn_rate' AND grain = 'month' AND period = '2024-06'",
            [],
            |r| r.get(0),
        )
        .expect("planted month");
    assert!(status.starts_with("signal"), "{status}");
    // Another study adds its own history beside the first.
    let telco = tmp.path().join("telco");
    assert_eq!(
        run(
            &repo("data/ibm_telco/study.toml"),
            &telco,
            &["--kpi-db", dbs],
            &[]
        )
        .0,
        0
    );
    let studies: i64 = conn
        .query_row("SELECT COUNT(DISTINCT study) FROM kpi_values", [], |r| {
            r.get(0)
        })
        .expect("studies");
    assert_eq!(studies, 2);
    let total: i64 = conn
        .query_row("SELECT COUNT(*) FROM kpi_values", [], |r| r.get(0))
        .expect("count");
    assert_eq!(total as usize, expected.len() + feed_rows(&telco).len());
}

/// PostgreSQL: `scripts/test.sh` starts a server on loopback and sets
/// `CHURNLAB_TEST_PG`; it also sets `CHURNLAB_REQUIRE_PG` so the test cannot
/// pass silently there. A plain `cargo test` without a server skips it.
#[test]
fn postgres_feed_is_upserted_per_study_and_period() {
    let Ok(url) = std::env::var("CHURNLAB_TEST_PG") else {
        assert!(
            std::env::var_os("CHURNLAB_REQUIRE_PG").is_none(),
            "CHURNLAB_REQUIRE_PG is set but CHURNLAB_TEST_PG is not"
        );
        eprintln!("skipped: set CHURNLAB_TEST_PG (scripts/test.sh does) to test PostgreSQL");
        return;
    };
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    client
        .batch_execute("DROP TABLE IF EXISTS kpi_values")
        .expect("clean table");
    let tmp = tempfile::tempdir().expect("tmp");
    let demo = repo("data/demo/study.toml");
    let out = tmp.path().join("demo");
    assert_eq!(run(&demo, &out, &["--kpi-db", &url], &[]).0, 0);
    let (code, err) = run(&demo, &out, &["--kpi-db", &url, "--force"], &[]);
    assert_eq!(code, 0, "{err}");
    let expected = feed_rows(&out);
    let n: i64 = client
        .query_one("SELECT COUNT(*) FROM kpi_values", &[])
        .expect("count")
        .get(0);
    assert_eq!(n as usize, expected.len());
    for row in client
        .query(
            "SELECT kpi, period, grain, segment, value FROM kpi_values",
            &[],
        )
        .expect("query")
    {
        let key: (String, String, String, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        let value: Option<f64> = row.get(4);
        assert!(close(value, &expected[&key]), "{key:?}");
    }
    let grr: f64 = client
        .query_one(
            "SELECT value FROM kpi_values WHERE study = $1 AND kpi = 'grr' AND grain = 'quarter' AND period = '2024-Q4' AND segment = 'all'",
            &[&"Demo driver study"],
        )
        .expect("grr row")
        .get(0);
    assert!(close(
        Some(grr),
        &expected[&(
            "grr".into(),
            "2024-Q4".into(),
            "quarter".into(),
            "all".into()
        )]
    ));
}

#[test]
fn a_study_without_reasons_or_revenue_still_gets_a_valid_report() {
    let f = Fixture::study_with("reason = \"reason\"\nrevenue = \"arr\"\n", "");
    let cfg = std::fs::read_to_string(f.config()).expect("cfg");
    let cfg = cfg.split("[revenue]").next().expect("head").to_string();
    f.write("study.toml", cfg.as_bytes());
    let out = f.path("report");
    let (code, err) = run(&f.config(), &out, &["--no-kpi-db"], &[]);
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    let (_, text) = check_html(&html);
    assert!(text.contains("No cancellation-reason column in the config"));
    assert!(text.contains("No monthly revenue table in the config"));
    assert!(!out.join("pareto.csv").exists());
    let md = std::fs::read_to_string(out.join("summary.md")).expect("md");
    assert!(!md.contains("Top cancellation reasons"));
}
