//! Hostile input (issue 16): damaged files, control characters, cells that
//! parse to something other than what they say. Each must give exit code 2,
//! a message naming file, column, row and the value as written, no panic,
//! and nothing written.

use polars::prelude::*;

use crate::common::{rejected, Fixture};

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
    for t in ["revenue.csv", "renewals.csv"] {
        std::fs::copy(demo.join(t), f.path(t)).expect("copy");
    }
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

/// One hostile input: how the fixture is broken, and what the message must name.
struct Case {
    name: &'static str,
    setup: fn() -> Fixture,
    expect: &'static [&'static str],
}

fn acc(from: &str, to: &str) -> Fixture {
    Fixture::accounts_with(from, to)
}
fn rev(from: &str, to: &str) -> Fixture {
    Fixture::revenue_with(from, to)
}
fn cfg(from: &str, to: &str) -> Fixture {
    Fixture::study_with(from, to)
}
/// The fixture with `name` replaced by raw bytes.
fn raw(name: &str, bytes: &[u8]) -> Fixture {
    let f = Fixture::valid();
    f.write(name, bytes);
    f
}
/// The accounts table with every `,` replaced (a semicolon export).
fn accounts_text(map: fn(&str) -> String) -> Fixture {
    let f = Fixture::valid();
    f.write("accounts.csv", map(crate::common::ACCOUNTS).as_bytes());
    f
}

/// Exports as they come out of Excel, Salesforce, Stripe and warehouses, and
/// configs as people write them: each is exit 2, no panic, nothing written,
/// and a message naming the file (and column, row and value where there are).
const CASES: &[Case] = &[
    // Spreadsheet cells where numbers belong.
    Case {
        name: "excel #N/A in a driver",
        setup: || acc("0.12", "#N/A"),
        expect: &["accounts.csv", "column `adoption`", "row 6", "value `#N/A`"],
    },
    Case {
        name: "excel #DIV/0! in a driver",
        setup: || acc("0.30", "#DIV/0!"),
        expect: &["column `adoption`", "row 1", "value `#DIV/0!`"],
    },
    Case {
        name: "percent sign",
        setup: || acc("0.80", "80%"),
        expect: &["column `adoption`", "row 2", "value `80%`"],
    },
    Case {
        name: "currency symbol in revenue",
        setup: || acc("1200.50", "\"$1,200.50\""),
        expect: &["column `arr`", "row 1", "value `$1,200.50`"],
    },
    Case {
        name: "decimal comma",
        setup: || acc("0.55", "\"0,55\""),
        expect: &["column `adoption`", "row 3", "value `0,55`"],
    },
    Case {
        name: "formula text",
        setup: || acc("0.91", "=B2*0.9"),
        expect: &["column `adoption`", "row 4", "value `=B2*0.9`"],
    },
    Case {
        name: "number too large",
        setup: || acc("5000", "1e400"),
        expect: &["column `arr`", "row 2", "value `1e400`"],
    },
    Case {
        name: "negative revenue",
        setup: || acc("30000", "-30000"),
        expect: &["column `arr`", "row 4", "value `-30000`"],
    },
    Case {
        name: "rating off the scale",
        setup: || acc(",5,0.91", ",6,0.91"),
        expect: &["column `training_quality`", "row 4", "value `6`"],
    },
    Case {
        name: "rating as words",
        setup: || acc(",3,0.55", ",3 stars,0.55"),
        expect: &["column `training_quality`", "row 3", "value `3 stars`"],
    },
    Case {
        name: "adoption written with trailing zeros",
        setup: || acc("0.77", "1.70"),
        expect: &["column `adoption`", "row 7", "value `1.70`"],
    },
    Case {
        name: "unquoted thousands separator",
        setup: || acc("150000", "150,000"),
        expect: &["accounts.csv", "row 3", "ragged"],
    },
    Case {
        name: "adoption above one",
        setup: || acc("0.77", "1.7"),
        expect: &["column `adoption`", "row 7", "value `1.7`"],
    },
    Case {
        name: "yes/no driver with a third word",
        setup: || acc("0.58,yes", "0.58,maybe"),
        expect: &["column `onboarded`", "row 9", "value `maybe`"],
    },
    // Labels and ids.
    Case {
        name: "churn flag 2",
        setup: || acc("A3,Enterprise,1", "A3,Enterprise,2"),
        expect: &["column `churned`", "row 3", "value `2`"],
    },
    Case {
        name: "blank churn flag",
        setup: || acc("A4,MidMarket,0", "A4,MidMarket,"),
        expect: &["column `churned`", "row 4"],
    },
    Case {
        name: "blank account id",
        setup: || acc("A7,", ","),
        expect: &["column `account_id`", "row 7"],
    },
    Case {
        name: "id repeated with spaces",
        setup: || acc("A9,", " A1 ,"),
        expect: &["column `account_id`", "A1"],
    },
    Case {
        name: "escape sequence in a reason",
        setup: || acc("Switched to competitor", "Switched\u{1b}[2J"),
        expect: &["column `reason`", "row 3", "U+001B"],
    },
    Case {
        name: "line break inside a quoted reason",
        setup: || acc("Budget cuts", "\"Budget\ncuts\""),
        expect: &["column `reason`", "row 1", "U+000A"],
    },
    // Dates.
    Case {
        name: "zero date",
        setup: || acc("2022-06-01", "0000-00-00"),
        expect: &["column `start_date`", "row 2", "value `0000-00-00`"],
    },
    Case {
        name: "day-first date",
        setup: || acc("2023-04-04", "31/12/2023"),
        expect: &["column `start_date`", "row 6", "value `31/12/2023`"],
    },
    Case {
        name: "end before start",
        setup: || acc("2024-01-09", "2022-01-09"),
        expect: &["row 6", "2022-01-09"],
    },
    Case {
        name: "churned without an end date",
        setup: || acc("2024-02-02", ""),
        expect: &["row 8"],
    },
    // Whole files.
    Case {
        name: "semicolon export",
        setup: || accounts_text(|t| t.replace(',', ";")),
        expect: &["accounts.csv", "account_id"],
    },
    Case {
        name: "UTF-16 export",
        setup: || raw("accounts.csv", &utf16(crate::common::ACCOUNTS)),
        expect: &["accounts.csv", "UTF-8"],
    },
    Case {
        name: "Latin-1 accent",
        setup: || raw("accounts.csv", &latin1_reason()),
        expect: &["accounts.csv", "UTF-8"],
    },
    Case {
        name: "HTML error page saved as CSV",
        setup: || {
            raw(
                "accounts.csv",
                b"<!DOCTYPE html>\n<html><body>Session expired</body></html>\n",
            )
        },
        expect: &["accounts.csv", "account_id"],
    },
    Case {
        name: "gzip named .csv",
        setup: || {
            raw(
                "accounts.csv",
                &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xfe, 0x00, 0x01],
            )
        },
        expect: &["accounts.csv"],
    },
    Case {
        name: "unterminated quote",
        setup: || acc("Price too high", "\"Price too high"),
        expect: &["accounts.csv"],
    },
    Case {
        name: "header only",
        setup: || raw("accounts.csv", b"account_id,segment,churned\n"),
        expect: &["accounts.csv"],
    },
    Case {
        name: "empty revenue file",
        setup: || raw("revenue.csv", b""),
        expect: &["revenue.csv", "empty"],
    },
    // Revenue exports (Stripe, billing systems).
    Case {
        name: "month as a word",
        setup: || rev("A2,2024-01", "A2,Jan 2024"),
        expect: &["revenue.csv", "column `month`", "row 4", "value `Jan 2024`"],
    },
    Case {
        name: "month 13",
        setup: || rev("A2,2024-02", "A2,2024-13"),
        expect: &["column `month`", "row 5", "value `2024-13`"],
    },
    Case {
        name: "currency in mrr",
        setup: || rev("420.00", "$420.00"),
        expect: &["column `mrr`", "row 5", "value `$420.00`"],
    },
    Case {
        name: "refund as negative mrr",
        setup: || rev("430.00", "-430.00"),
        expect: &["column `mrr`", "row 6", "value `-430.00`", "negative"],
    },
    Case {
        name: "NaN mrr",
        setup: || rev("12500\nA3,2024-02", "NaN\nA3,2024-02"),
        expect: &["column `mrr`", "row 7", "value `NaN`"],
    },
    Case {
        name: "Stripe customer id unknown",
        setup: || rev("A3,2024-03", "cus_Nf0aXk2,2024-03"),
        expect: &["revenue.csv", "cus_Nf0aXk2"],
    },
    Case {
        name: "duplicate account month",
        setup: || rev("A1,2024-02", "A1,2024-01"),
        expect: &["revenue.csv", "A1", "2024-01"],
    },
    Case {
        name: "mrr column renamed",
        setup: || rev("account_id,month,mrr", "account_id,month,amount"),
        expect: &["revenue.csv", "mrr"],
    },
    // Configs.
    Case {
        name: "typo in a key",
        setup: || cfg("controllable = true\n", "controlable = true\n"),
        expect: &["study.toml", "controlable"],
    },
    Case {
        name: "inverted range",
        setup: || cfg("range = [1, 5]", "range = [5, 1]"),
        expect: &["study.toml", "range"],
    },
    Case {
        name: "driver column not in the file",
        setup: || cfg("column = \"adoption\"", "column = \"adoption_rate\""),
        expect: &["accounts.csv", "adoption_rate", "did you mean `adoption`"],
    },
    Case {
        name: "same driver twice",
        setup: || cfg("column = \"onboarded\"", "column = \"adoption\""),
        expect: &["study.toml", "adoption"],
    },
    Case {
        name: "accounts file missing",
        setup: || cfg("path = \"accounts.csv\"", "path = \"acounts.csv\""),
        expect: &["acounts.csv", "not found"],
    },
    Case {
        name: "unknown driver kind",
        setup: || cfg("kind = \"numeric\"", "kind = \"continuous\""),
        expect: &["study.toml", "continuous", "numeric"],
    },
    Case {
        name: "config not TOML",
        setup: || {
            raw(
                "study.toml",
                b"{\"study\": {\"name\": \"json by mistake\"}}",
            )
        },
        expect: &["study.toml"],
    },
];

fn utf16(text: &str) -> Vec<u8> {
    let mut out = vec![0xff, 0xfe];
    out.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    out
}

fn latin1_reason() -> Vec<u8> {
    crate::common::ACCOUNTS
        .replacen("Budget cuts", "Budget caf\u{e9}", 1)
        .chars()
        .map(|c| c as u32 as u8)
        .collect()
}

/// The hostile-input suite (issue 16): every case is exit 2, names what it
/// must, leaves nothing behind and does not panic.
#[test]
fn hostile_inputs_are_input_errors() {
    assert!(CASES.len() >= 40, "{} cases", CASES.len());
    let mut failures = Vec::new();
    for c in CASES {
        let f = (c.setup)();
        let (code, err) = f.run();
        let missing: Vec<&&str> = c.expect.iter().filter(|e| !err.contains(**e)).collect();
        let left = f.stray_files();
        if code != 2 || !missing.is_empty() || err.contains("panicked") || !left.is_empty() {
            failures.push(format!(
                "{}: exit {code}, lacks {missing:?}, left {left:?}\n  {err}",
                c.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
