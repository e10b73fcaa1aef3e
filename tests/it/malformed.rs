//! Malformed inputs: each must give exit code 2, an error naming the file,
//! column, 1-based row and value, and leave nothing in the output folder.

use crate::common::{rejected, Fixture};

#[test]
fn valid_fixture_runs() {
    let f = Fixture::valid();
    let (code, err) = f.run();
    assert_eq!(code, 0, "{err}");
    assert!(f.path("out/results.json").exists());
}

#[test]
fn missing_accounts_file() {
    let f = Fixture::study_with("path = \"accounts.csv\"", "path = \"acounts.csv\"");
    rejected(&f, &["acounts.csv", "file not found"]);
}

#[test]
fn missing_column_names_nearest() {
    let f = Fixture::study_with("column = \"adoption\"", "column = \"adoptoin\"");
    rejected(
        &f,
        &[
            "accounts.csv",
            "column `adoptoin`",
            "not in the file",
            "did you mean `adoption`?",
        ],
    );
}

#[test]
fn column_differs_only_in_case() {
    let f = Fixture::study_with("column = \"adoption\"", "column = \"Adoption\"");
    rejected(&f, &["column `Adoption`", "the file has `adoption`"]);
}

#[test]
fn text_in_numeric_driver() {
    let f = Fixture::accounts_with("0.66", "abc");
    rejected(
        &f,
        &[
            "accounts.csv",
            "column `adoption`",
            "row 5",
            "value `abc`",
            "not a number",
        ],
    );
}

#[test]
fn rating_outside_scale() {
    let f = Fixture::accounts_with("A5,SMB,0,,4000,,", "A5,SMB,0,,4000,7,");
    rejected(
        &f,
        &[
            "accounts.csv",
            "column `training_quality`",
            "row 5",
            "value `7`",
            "[1, 5]",
        ],
    );
}

#[test]
fn negative_revenue() {
    let f = Fixture::accounts_with("30000", "-30000");
    rejected(
        &f,
        &[
            "accounts.csv",
            "column `arr`",
            "row 4",
            "value `-30000`",
            "negative",
        ],
    );
}

#[test]
fn adoption_above_one() {
    let f = Fixture::accounts_with("0.91", "1.3");
    rejected(&f, &["column `adoption`", "row 4", "value `1.3`", "[0, 1]"]);
}

#[test]
fn duplicate_ids() {
    let f = Fixture::accounts_with("A9,", "A2,");
    rejected(
        &f,
        &[
            "column `account_id`",
            "row 9",
            "value `A2`",
            "duplicate",
            "first at row 2",
        ],
    );
}

#[test]
fn revenue_for_unknown_account() {
    let f = Fixture::revenue_with("A3,2024-02", "Z99,2024-02");
    rejected(
        &f,
        &[
            "revenue.csv",
            "column `account_id`",
            "row 8 `Z99`",
            "not in",
        ],
    );
}

#[test]
fn empty_file() {
    let f = Fixture::valid();
    f.write("accounts.csv", b"");
    rejected(&f, &["accounts.csv", "the file is empty"]);
}

#[test]
fn header_only() {
    let f = Fixture::valid();
    f.write(
        "accounts.csv",
        crate::common::ACCOUNTS.lines().next().unwrap().as_bytes(),
    );
    rejected(&f, &["accounts.csv", "header but no data rows"]);
}

#[test]
fn non_utf8_bytes() {
    let f = Fixture::valid();
    let bad = crate::common::ACCOUNTS.replacen("Price too high", "Prix \u{e9}lev\u{e9}", 1);
    // write the é as a single Latin-1 byte
    let bytes: Vec<u8> = bad
        .chars()
        .flat_map(|c| {
            if c == '\u{e9}' {
                vec![0xe9u8]
            } else {
                c.to_string().into_bytes()
            }
        })
        .collect();
    f.write("accounts.csv", &bytes);
    rejected(
        &f,
        &["accounts.csv", "column `reason`", "row 8", "not UTF-8"],
    );
}

#[test]
fn ragged_row_too_many_fields() {
    let f = Fixture::accounts_with("A7,Enterprise,0,,200000", "A7,Enterprise,0,,200,000");
    rejected(
        &f,
        &[
            "accounts.csv",
            "row 7",
            "11 fields but the header has 10",
            "ragged",
        ],
    );
}

#[test]
fn ragged_row_too_few_fields() {
    let f = Fixture::accounts_with(
        "A10,MidMarket,0,,28000,5,0.70,no,2021-12-12,",
        "A10,MidMarket,0,,28000,5,0.70",
    );
    rejected(
        &f,
        &["accounts.csv", "row 10", "7 fields but the header has 10"],
    );
}

#[test]
fn churn_column_third_label() {
    let f = Fixture::accounts_with("A4,MidMarket,0", "A4,MidMarket,maybe");
    rejected(
        &f,
        &["column `churned`", "row 4", "value `maybe`", "yes/no"],
    );
}

#[test]
fn churn_labels_third_label() {
    let f = Fixture::study_with(
        "churned = \"churned\"",
        "churned = \"churned\"\nchurned_values = [\"1\"]",
    );
    let f2 = Fixture::accounts_with("A4,MidMarket,0", "A4,MidMarket,2");
    f2.write("study.toml", std::fs::read(f.config()).unwrap().as_slice());
    rejected(
        &f2,
        &[
            "column `churned`",
            "row 4",
            "value `2`",
            "third label",
            "first at row 2",
        ],
    );
}

#[test]
fn blank_churn_value() {
    let f = Fixture::accounts_with("A6,MidMarket,1", "A6,MidMarket,");
    rejected(&f, &["column `churned`", "row 6", "blank"]);
}

#[test]
fn blank_id() {
    let f = Fixture::accounts_with("A3,", ",");
    rejected(&f, &["column `account_id`", "row 3", "blank"]);
}

#[test]
fn bad_date() {
    let f = Fixture::accounts_with("2022-11-11", "11/11/2022");
    rejected(
        &f,
        &[
            "column `start_date`",
            "row 4",
            "value `11/11/2022`",
            "YYYY-MM-DD",
        ],
    );
}

#[test]
fn end_before_start() {
    let f = Fixture::accounts_with("2024-05-20", "2020-05-20");
    rejected(
        &f,
        &[
            "column `end_date`",
            "row 3",
            "value `2020-05-20`",
            "before the start date 2021-03-10",
        ],
    );
}

#[test]
fn infinite_number() {
    let f = Fixture::accounts_with("0.12", "inf");
    rejected(&f, &["column `adoption`", "row 6", "value `inf`"]);
}

#[test]
fn binary_driver_with_words() {
    let f = Fixture::accounts_with("0.40,yes", "0.40,perhaps");
    rejected(
        &f,
        &["column `onboarded`", "row 8", "value `perhaps`", "yes/no"],
    );
}

#[test]
fn revenue_bad_month() {
    let f = Fixture::revenue_with("A2,2024-02", "A2,2024-13");
    rejected(
        &f,
        &[
            "revenue.csv",
            "column `month`",
            "row 5",
            "value `2024-13`",
            "YYYY-MM",
        ],
    );
}

#[test]
fn revenue_negative_mrr() {
    let f = Fixture::revenue_with("420.00", "-420.00");
    rejected(
        &f,
        &[
            "revenue.csv",
            "column `mrr`",
            "row 5",
            "value `-420.00`",
            "negative",
        ],
    );
}

#[test]
fn revenue_blank_mrr() {
    let f = Fixture::revenue_with("430.00", "");
    rejected(&f, &["revenue.csv", "column `mrr`", "row 6", "blank"]);
}

#[test]
fn revenue_duplicate_month() {
    let f = Fixture::revenue_with("A3,2024-02", "A3,2024-01");
    rejected(
        &f,
        &["revenue.csv", "row 8", "value `2024-01`", "first at row 7"],
    );
}

#[test]
fn unknown_extension() {
    let f = Fixture::study_with("path = \"accounts.csv\"", "path = \"accounts.xlsx\"");
    f.write("accounts.xlsx", b"PK\x03\x04");
    let (code, err) = f.run();
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("accounts.xlsx") && err.contains("export spreadsheets as CSV"),
        "{err}"
    );
    assert!(!f.path("out").exists());
}

#[test]
fn malformed_ndjson_line() {
    let f = Fixture::study_with("path = \"accounts.csv\"", "path = \"accounts.ndjson\"");
    f.write(
        "accounts.ndjson",
        b"{\"account_id\":\"A1\",\"churned\":1}\n{\"account_id\":\"A2\",\"churned\":0\n",
    );
    rejected(&f, &["accounts.ndjson", "row 2", "not valid JSON"]);
}

#[test]
fn unknown_config_key() {
    let f = Fixture::study_with("segments = ", "segmnets = ");
    rejected(
        &f,
        &[
            "study.toml",
            "unknown key `segmnets`",
            "did you mean `segments`?",
            "[accounts]",
        ],
    );
}

#[test]
fn unknown_driver_kind() {
    let f = Fixture::study_with("kind = \"binary\"", "kind = \"boolean\"");
    rejected(&f, &["study.toml", "unknown value `boolean`", "binary"]);
}

#[test]
fn categorical_reference_absent() {
    let f = Fixture::study_with(
        "[revenue]",
        "[[drivers]]\ncolumn = \"segment\"\nkind = \"categorical\"\nreference = \"Startup\"\n\n[revenue]",
    );
    rejected(
        &f,
        &["column `segment`", "reference level `Startup`", "`SMB`"],
    );
}

#[test]
fn validate_reports_errors_too() {
    let f = Fixture::accounts_with("0.66", "abc");
    let (code, out, err) = f.validate();
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("row 5") && err.contains("value `abc`"),
        "{err}"
    );
}

/// `count = true` promises whole numbers ≥ 0: a share such as adoption's
/// 0.30 is refused with its row; on a binary driver the key is a config error.
#[test]
fn count_driver_needs_whole_numbers() {
    let f = Fixture::study_with(
        "column = \"adoption\"\nkind = \"numeric\"",
        "column = \"adoption\"\nkind = \"numeric\"\ncount = true",
    );
    rejected(
        &f,
        &[
            "accounts.csv",
            "adoption",
            "row 1",
            "`0.30`",
            "whole number",
        ],
    );
    let g = Fixture::study_with(
        "column = \"onboarded\"\nkind = \"binary\"",
        "column = \"onboarded\"\nkind = \"binary\"\ncount = true",
    );
    rejected(&g, &["study.toml", "onboarded", "count = true"]);
}

/// Regression (issue 16, item 9): an unknown enum value's message ran into
/// the list of valid values ("`continuous` Valid values"); a config that is a
/// folder or not UTF-8 exited 1 instead of 2.
#[test]
fn config_message_separator_folder_and_encoding() {
    let f = Fixture::study_with("kind = \"binary\"", "kind = \"zzz\"");
    let err = rejected(&f, &["study.toml", "unknown value `zzz`."]);
    assert!(err.contains("`zzz`. Valid values: "), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let out = crate::common::churnlab()
        .args(["validate", "--config"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a folder"));
    let latin1 = dir.path().join("study.toml");
    std::fs::write(&latin1, b"[study]\nname = \"Caf\xe9\"\n").unwrap();
    let out = crate::common::churnlab()
        .args(["validate", "--config"])
        .arg(&latin1)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is not UTF-8") && err.contains("byte 20"),
        "{err}"
    );
}

/// Regression (issue 16, item 7): a study with no churned account, only
/// churned accounts, or a single row passed `validate` silently and then
/// failed in `drivers`, `pareto` and `run` with exit 1. Now `validate` warns
/// and every stage exits 2, naming the file and the churn column, with the
/// same words.
#[test]
fn one_sided_outcome_is_bad_input_in_every_stage() {
    let all_retained = crate::common::ACCOUNTS
        .lines()
        .map(|l| {
            let mut c: Vec<&str> = l.split(',').collect();
            if c[0] != "account_id" {
                c[2] = "0";
                c[3] = "";
                c[9] = "";
            }
            c.join(",")
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    // Every account churned, each with its end date (a churn without one is
    // a bad duration, an error of its own).
    let all_churned = crate::common::ACCOUNTS
        .lines()
        .map(|l| {
            let mut c: Vec<&str> = l.split(',').collect();
            if c[2] == "0" {
                c[2] = "1";
                c[3] = "Other";
                c[9] = "2024-06-30";
            }
            c.join(",")
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    let single = crate::common::ACCOUNTS
        .lines()
        .take(2)
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    for (accounts, words) in [
        (all_retained, "no account is churned (0 of 10)"),
        (all_churned, "every account is churned (10 of 10)"),
        (single, "the study has a single account"),
    ] {
        let f = Fixture::valid();
        f.write("accounts.csv", accounts.as_bytes());
        if words.contains("single") {
            let a1: Vec<&str> = crate::common::REVENUE
                .lines()
                .filter(|l| !l.starts_with("A2") && !l.starts_with("A3"))
                .collect();
            f.write("revenue.csv", (a1.join("\n") + "\n").as_bytes());
        }
        let out = crate::common::churnlab()
            .args(["validate", "--config"])
            .arg(f.config())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{text}");
        assert!(text.contains(words), "validate does not warn: {text}");
        for stage in ["drivers", "run"] {
            let out = crate::common::churnlab()
                .args([stage, "--config"])
                .arg(f.config())
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{stage}: {err}");
            assert!(
                err.contains("accounts.csv") && err.contains("`churned`") && err.contains(words),
                "{stage}: {err}"
            );
        }
        if words.starts_with("no account") {
            let out = crate::common::churnlab()
                .args(["pareto", "--config"])
                .arg(f.config())
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(2));
            assert!(String::from_utf8_lossy(&out.stderr).contains(words));
        }
        assert!(!f.path("out").exists(), "nothing written");
    }
}

/// Regression (issue 16, item 1): with `churned_values = ["True"]` on a
/// `True`/`False` column (the BigML telecom export), the labels were compared
/// lower-cased on the data side only, so `validate` refused the file with
/// "`true` is a third label". Labels now match in any case on both sides.
#[test]
fn churn_labels_match_in_any_case() {
    let accounts = crate::common::ACCOUNTS
        .lines()
        .map(|l| {
            let mut c: Vec<&str> = l.split(',').collect();
            c[2] = match c[2] {
                "1" => "True",
                "0" => "False",
                other => other,
            };
            c.join(",")
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    for labels in [
        "churned_values = [\"True\"]",
        "churned_values = [\"TRUE\"]\nretained_values = [\"false\"]",
    ] {
        let f = Fixture::valid();
        f.write("accounts.csv", accounts.as_bytes());
        let cfg = crate::common::STUDY.replace(
            "churned = \"churned\"",
            &format!("churned = \"churned\"\n{labels}"),
        );
        f.write("study.toml", cfg.as_bytes());
        let out = crate::common::churnlab()
            .args(["validate", "--config"])
            .arg(f.config())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{labels}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("churned: 4 of 10"), "{text}");
    }
}

/// Regression (issue 16, item 5): a header naming one column twice was read
/// silently, the first copy used. Now it is an input error naming both
/// positions.
#[test]
fn duplicate_header_names_are_refused() {
    let f = Fixture::valid();
    let accounts = crate::common::ACCOUNTS
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l},adoption")
            } else {
                format!("{l},0.5")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    f.write("accounts.csv", accounts.as_bytes());
    let out = crate::common::churnlab()
        .args(["validate", "--config"])
        .arg(f.config())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("accounts.csv: the header names `adoption`")
            && err.contains("at columns 7 and 11"),
        "{err}"
    );
    // The revenue table too (its fast reader hands such a file to the full one).
    let f = Fixture::valid();
    let revenue: String = crate::common::REVENUE
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l},mrr\n")
            } else {
                format!("{l},1\n")
            }
        })
        .collect();
    f.write("revenue.csv", revenue.as_bytes());
    let out = crate::common::churnlab()
        .args(["validate", "--config"])
        .arg(f.config())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("revenue.csv: the header names `mrr`") && err.contains("at columns 3 and 4"),
        "{err}"
    );
}

/// Regression (issue 16, item 2): blank lines at the end of a file (LF or
/// CRLF), as spreadsheet exports leave them, were read as a data row with a
/// blank id or month. They are skipped now, in the accounts and the revenue
/// table; a blank line in the middle is still an error naming its row.
#[test]
fn trailing_blank_lines_are_skipped() {
    for (ending, tail) in [("\n", "\n\n"), ("\r\n", "\r\n")] {
        let f = Fixture::valid();
        let crlf = |t: &str| t.replace('\n', ending);
        f.write(
            "accounts.csv",
            (crlf(crate::common::ACCOUNTS) + tail).as_bytes(),
        );
        f.write(
            "revenue.csv",
            (crlf(crate::common::REVENUE) + tail).as_bytes(),
        );
        let out = crate::common::churnlab()
            .args(["validate", "--config"])
            .arg(f.config())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{:?}: {}",
            ending,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("(10 rows)") && text.contains("(9 rows,"),
            "{text}"
        );
    }
    let f = Fixture::valid();
    f.write(
        "accounts.csv",
        crate::common::ACCOUNTS
            .replacen("\nA2,", "\n\nA2,", 1)
            .as_bytes(),
    );
    let out = crate::common::churnlab()
        .args(["validate", "--config"])
        .arg(f.config())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("row 2"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
