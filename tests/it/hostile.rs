//! Hostile input (issue 16): damaged files, control characters, cells that
//! parse to something other than what they say. Each must give exit code 2,
//! a message naming file, column, row and the value as written, no panic,
//! and nothing written.

use polars::prelude::*;

use crate::common::Fixture;

/// Runs the fixture study and checks the failure contract.
#[track_caller]
fn rejected(f: &Fixture, expect: &[&str]) -> String {
    let (code, err) = f.run();
    assert_eq!(code, 2, "exit code; stderr: {err}");
    for e in expect {
        assert!(err.contains(e), "stderr lacks `{e}`:\n{err}");
    }
    assert!(!f.path("out").exists(), "output folder was created");
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// Regression (issue 16, item 3): a Parquet file whose footer survives but
/// whose pages are cut or overwritten made polars panic (exit 101). Every
/// damaged variant must now be an input error naming the file, or read.
#[test]
fn damaged_parquet_is_an_input_error_not_a_panic() {
    // The demo's 10,000 accounts: several pages per column, as real files have.
    let f = Fixture::valid();
    let demo = crate::common::repo("data/demo");
    let mut df = CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(demo.join("accounts.csv")))
        .unwrap()
        .finish()
        .unwrap();
    let file = std::fs::File::create(f.path("accounts.parquet")).expect("create");
    ParquetWriter::new(file)
        .with_data_page_size(Some(4096))
        .finish(&mut df)
        .expect("write parquet");
    std::fs::copy(demo.join("revenue.csv"), f.path("revenue.csv")).expect("copy");
    let study = std::fs::read_to_string(demo.join("study.toml")).expect("study");
    f.write(
        "study.toml",
        study
            .replacen("path = \"accounts.csv\"", "path = \"accounts.parquet\"", 1)
            .as_bytes(),
    );
    let good = std::fs::read(f.path("accounts.parquet")).expect("parquet");
    // The footer: its length sits in the 4 bytes before the closing magic.
    let n = good.len();
    let footer = u32::from_le_bytes([good[n - 8], good[n - 7], good[n - 6], good[n - 5]]) as usize;
    let data_end = n - 8 - footer;
    let mut damaged_messages = 0;
    let mut variants: Vec<Vec<u8>> = Vec::new();
    for cut in [1, 7, 40, 300] {
        for at in (4..data_end.saturating_sub(cut)).step_by((data_end / 12).max(1)) {
            // Bytes removed from the pages: every offset after them is off.
            let mut v = good[..at].to_vec();
            v.extend_from_slice(&good[at + cut..]);
            variants.push(v);
            // The pages cut short, the footer kept: offsets run past the data.
            let mut v = good[..at].to_vec();
            v.extend_from_slice(&good[data_end..]);
            variants.push(v);
            // Bytes overwritten in place.
            let mut v = good.clone();
            v[at..at + cut].iter_mut().for_each(|b| *b ^= 0xA5);
            variants.push(v);
        }
    }
    for v in &variants {
        f.write("accounts.parquet", v);
        let (code, _, err) = f.validate();
        assert!(code == 0 || code == 2, "exit {code}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        if code == 2 {
            assert!(err.contains("accounts.parquet"), "{err}");
        }
        damaged_messages += err.contains("damaged or truncated") as usize;
    }
    assert!(variants.len() > 100, "{} variants", variants.len());
    // Not every cut reaches the decoder's panic, but some must: the guard is tested.
    assert!(damaged_messages > 0, "no variant reached the guarded panic");
}

/// Regression (issue 16, item 4): a NUL byte (or another control character)
/// in a label was written raw into report.html, pareto.csv and the SVGs.
/// Now an input error naming the row, with the character shown escaped.
#[test]
fn control_characters_in_labels_are_refused() {
    for (from, to, column, code) in [
        ("Budget cuts", "Budget\u{0}cuts", "reason", "U+0000"),
        (
            "Price too high",
            "Price \u{1b}[31mtoo high",
            "reason",
            "U+001B",
        ),
        ("Enterprise,1", "Enter\u{85}prise,1", "segment", "U+0085"),
        ("A5,", "A\u{7f}5,", "account_id", "U+007F"),
    ] {
        let f = Fixture::accounts_with(from, to);
        let err = rejected(&f, &[&format!("column `{column}`"), code]);
        assert!(!err.chars().any(|c| c.is_control() && c != '\n'), "{err:?}");
        assert!(err.contains("\\u{"), "value not shown escaped: {err}");
    }
}

/// Regression (issue 16, item 6): `1e400` was quoted as `inf`.
#[test]
fn too_large_number_is_quoted_as_written() {
    let f = Fixture::accounts_with("0.12", "1e400");
    rejected(
        &f,
        &["column `adoption`", "row 6", "value `1e400`", "too large"],
    );
}

/// Regression (issue 16, item 6): a literal `NaN` in `mrr` was reported as
/// ``value `` is blank``, and in a driver was silently missing, though only
/// blanks and `missing_values` mean missing.
#[test]
fn literal_nan_is_quoted_and_not_missing() {
    let f = Fixture::revenue_with("416.67", "NaN");
    rejected(
        &f,
        &[
            "revenue.csv",
            "column `mrr`",
            "row 4",
            "value `NaN`",
            "not a number",
        ],
    );
    let f = Fixture::accounts_with("0.12", "nan");
    rejected(
        &f,
        &[
            "column `adoption`",
            "row 6",
            "value `nan`",
            "missing_values",
        ],
    );
}

/// A `NaN` the config lists under `missing_values` is missing, as documented.
#[test]
fn listed_nan_is_missing() {
    let f = Fixture::accounts_with("0.12", "NaN");
    let text = std::fs::read_to_string(f.config()).expect("config");
    f.write(
        "study.toml",
        text.replacen(
            "end_date = \"end_date\"",
            "end_date = \"end_date\"\nmissing_values = [\"NaN\"]",
            1,
        )
        .as_bytes(),
    );
    let (code, out, err) = f.validate();
    assert_eq!(code, 0, "{out}{err}");
}
