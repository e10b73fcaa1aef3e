//! Loading real and unusual-but-valid inputs: the IBM Telco export with its
//! real column names, other formats, BOMs, CRLF, blanks, soft warnings.

use crate::common::repo;
use std::path::Path;

use polars::prelude::*;
use serde_json::Value;

use crate::common::{churnlab, Fixture, STUDY};
use crate::tolerance::{agree, CENTS, EXACT};

fn summary_json(config: &Path) -> Value {
    let out = churnlab()
        .args(["validate", "--format", "json", "--config"])
        .arg(config)
        .output()
        .expect("run churnlab");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn ibm_telco_real_columns() {
    let s = summary_json(&repo("data/ibm_telco/study.toml"));
    // Counted independently: `Churn Label` has 1869 Yes and 5174 No (shared/datasets/README.md).
    assert_eq!(s["accounts"]["rows"], 7043);
    assert_eq!(s["accounts"]["churned"], 1869);
    let rate = s["accounts"]["churn_rate"].as_f64().unwrap();
    assert!(agree(rate, 1869.0 / 7043.0, 0.0, EXACT));
    // `Offer` keeps the literal level "None" as a level, not as missing.
    let offer = s["drivers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["column"] == "Offer")
        .unwrap();
    assert_eq!(offer["levels"], 6);
    assert_eq!(offer["missing"], 0);
    // Monthly Charge total, summed independently with Python's csv module: 456116.60.
    let total = s["accounts"]["total_revenue"].as_f64().unwrap();
    assert!(agree(total, 456_116.60, 0.0, CENTS), "{total}");
}

#[test]
fn ibm_telco_validate_table() {
    let out = churnlab()
        .args(["validate", "--config"])
        .arg(repo("data/ibm_telco/study.toml"))
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("7,043 rows"), "{text}");
    assert!(text.contains("churned: 1,869 of 7,043 (26.54 %)"), "{text}");
}

#[test]
fn demo_study_validates() {
    let s = summary_json(&repo("data/demo/study.toml"));
    assert_eq!(s["accounts"]["rows"], 10_000);
    assert_eq!(s["revenue"]["months"], 24);
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(repo("data/demo/truth.json")).unwrap())
            .unwrap();
    assert_eq!(s["accounts"]["churned"], truth["churn"]["n_churned"]);
    assert_eq!(s["revenue"]["rows"], truth["n_revenue_rows"]);
}

/// Reads the fixture's CSV with polars and writes it in another format.
pub fn convert(f: &Fixture, to: &str) {
    let mut df = CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(f.path("accounts.csv")))
        .unwrap()
        .finish()
        .unwrap();
    let file = std::fs::File::create(f.path(&format!("accounts.{to}"))).unwrap();
    match to {
        "parquet" => {
            ParquetWriter::new(file).finish(&mut df).unwrap();
        }
        _ => {
            JsonWriter::new(file)
                .with_json_format(JsonFormat::JsonLines)
                .finish(&mut df)
                .unwrap();
        }
    }
    f.write(
        "study.toml",
        STUDY
            .replace(
                "path = \"accounts.csv\"",
                &format!("path = \"accounts.{to}\""),
            )
            .as_bytes(),
    );
}

#[test]
fn parquet_and_ndjson_load_like_csv() {
    let csv = Fixture::valid();
    let mut base = summary_json(&csv.config());
    base["accounts"]["path"] = Value::Null;
    for to in ["parquet", "ndjson"] {
        let f = Fixture::valid();
        convert(&f, to);
        let mut s = summary_json(&f.config());
        s["accounts"]["path"] = Value::Null;
        s["revenue"]["path"] = base["revenue"]["path"].clone();
        assert_eq!(s, base, "{to} differs from CSV");
    }
}

#[test]
fn bom_crlf_and_blank_numbers() {
    // A UTF-8 BOM, CRLF line ends, a blank-looking " " number (as in the
    // classic IBM export's TotalCharges) and an "NA" token configured as missing.
    let f = Fixture::valid();
    let text = crate::common::ACCOUNTS
        .replacen("0.66", " ", 1)
        .replacen("0.12", "NA", 1)
        .replace('\n', "\r\n");
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend_from_slice(text.as_bytes());
    f.write("accounts.csv", &bytes);
    f.write(
        "study.toml",
        STUDY
            .replace(
                "end_date = \"end_date\"",
                "end_date = \"end_date\"\nmissing_values = [\"NA\"]",
            )
            .as_bytes(),
    );
    let s = summary_json(&f.config());
    let adoption = s["drivers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["column"] == "adoption")
        .unwrap();
    assert_eq!(adoption["missing"], 2);
    assert_eq!(adoption["n"], 8);
    assert_eq!(s["accounts"]["ids"], "account_id");
}

#[test]
fn soft_problems_are_counted_warnings() {
    let f = Fixture::valid();
    // every onboarded value the same, and a driver column that is entirely blank
    let text: String = crate::common::ACCOUNTS
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l},empty\n")
            } else {
                let l = l.replace(",no,", ",yes,");
                format!("{l},\n")
            }
        })
        .collect();
    f.write("accounts.csv", text.as_bytes());
    f.write(
        "study.toml",
        STUDY
            .replace(
                "[revenue]",
                "[[drivers]]\ncolumn = \"empty\"\nkind = \"numeric\"\n\n[revenue]",
            )
            .as_bytes(),
    );
    let s = summary_json(&f.config());
    let kinds: Vec<&str> = s["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"driver_constant"), "{kinds:?}");
    assert!(kinds.contains(&"driver_all_missing"), "{kinds:?}");
    assert!(kinds.contains(&"driver_missing"), "{kinds:?}");
    let reason_blank = s["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["kind"] == "reason_blank")
        .unwrap();
    assert_eq!(reason_blank["rows"], 1);
    let onboarded = s["drivers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["column"] == "onboarded")
        .unwrap();
    assert_eq!(onboarded["constant"], true);
}

#[test]
fn without_id_rows_stand_in() {
    let f = Fixture::valid();
    let cfg = STUDY
        .replace("id = \"account_id\"\n", "")
        .replace("[revenue]\npath = \"revenue.csv\"\n", "");
    f.write("study.toml", cfg.as_bytes());
    let s = summary_json(&f.config());
    assert_eq!(s["accounts"]["ids"], "row numbers");
    assert_eq!(s["revenue"], Value::Null);
}

#[test]
fn churn_labels_from_config() {
    let f = Fixture::valid();
    let text = crate::common::ACCOUNTS
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                return format!("{l}\n");
            }
            let mut parts: Vec<&str> = l.split(',').collect();
            parts[2] = if parts[2] == "1" { "Churned" } else { "Stayed" };
            if i == 3 {
                parts[2] = "Joined";
                parts[3] = "";
                parts[9] = "";
            }
            format!("{}\n", parts.join(","))
        })
        .collect::<String>();
    f.write("accounts.csv", text.as_bytes());
    let cfg = STUDY.replace(
        "churned = \"churned\"",
        "churned = \"churned\"\nchurned_values = [\"Churned\"]\nretained_values = [\"Stayed\", \"Joined\"]",
    );
    f.write("study.toml", cfg.as_bytes());
    let s = summary_json(&f.config());
    assert_eq!(s["accounts"]["churned"], 3);
}
