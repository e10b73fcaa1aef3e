//! The fuzz targets' entry points, shared by the libFuzzer targets in
//! `fuzz/fuzz_targets/` (nightly, `scripts/fuzz.sh`) and by the corpus
//! replay in `tests/it/fuzz_replay.rs` (stable, in CI), so that a crash the
//! fuzzers found stays fixed. Each takes arbitrary bytes and must return
//! without panicking; every error must be an input error (exit 2), and the
//! revenue entry checks the streaming reader against the full reader.

#![allow(dead_code)] // each fuzz target uses one entry of the six

use std::path::{Path, PathBuf};

use churnlab::data::parse::{self, Ctx};

/// Work that does not depend on the input, done once per thread and kept:
/// a folder for the input files, the parsed configs, the loaded accounts of
/// the revenue target. Per thread, so the replay tests may run in parallel;
/// it keeps the fuzzers' executions per second up (a fresh folder, config
/// and account load per input cost most of the time).
struct Workspace {
    dir: tempfile::TempDir,
    accounts: [churnlab::StudyConfig; 3],
    revenue: churnlab::StudyConfig,
    revenue_accounts: churnlab::data::Accounts,
    renewals: churnlab::config::RenewalsConfig,
}

thread_local! {
    static WORKSPACE: Workspace = Workspace::new();
}

impl Workspace {
    fn new() -> Workspace {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("study.toml");
        let parse =
            |text: &str| churnlab::StudyConfig::from_toml(text, &path).expect("fixed config");
        let accounts = FORMATS.map(|ext| parse(&study(ext, false)));
        let revenue = parse(&study("csv", true));
        std::fs::write(dir.path().join("revenue-accounts.csv"), ACCOUNTS).expect("write");
        let mut without = revenue.clone();
        without.revenue = None;
        without.accounts.path = dir.path().join("revenue-accounts.csv");
        let revenue_accounts = churnlab::load_study(&without)
            .expect("fixed accounts")
            .accounts;
        let with_renewals = format!(
            "{}\n[renewals]\npath = \"renewals.csv\"\nrenewed_values = [\"renewed\", \"won\"]\n",
            study("csv", true)
        );
        let Some(renewals) = parse(&with_renewals).renewals else {
            unreachable!("the fixed config has [renewals]")
        };
        Workspace {
            dir,
            accounts,
            revenue,
            revenue_accounts,
            renewals,
        }
    }

    /// The id index of the fixed accounts.
    fn index(&self) -> churnlab::data::ids::IdIndex<'_> {
        let a = &self.revenue_accounts;
        let ctx = Ctx {
            path: &a.path,
            column: "account_id",
            missing_tokens: &[],
        };
        churnlab::data::ids::id_index(&a.ids, ctx).expect("unique ids")
    }

    /// Writes `bytes` to `name` in the folder and returns its path.
    fn put(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        p
    }
}

/// The accounts formats the first byte of an `accounts` input picks from.
const FORMATS: [&str; 3] = ["csv", "ndjson", "parquet"];

/// The accounts of the fuzzed revenue tables (and of the accounts config).
const ACCOUNTS: &str = "account_id,churned,arr,score,flag,start_date,end_date\n\
A1,1,1200,2,yes,2023-01-15,2024-03-02\n\
A2,0,5000,4,no,2022-06-01,\n\
A3,1,150000,3,yes,2021-03-10,2024-05-20\n\
A4,0,30000,5,no,2022-11-11,\n";

/// A study over `accounts.<ext>` (and `revenue.csv` when `revenue`).
fn study(ext: &str, revenue: bool) -> String {
    let mut s = format!(
        r#"[study]
name = "fuzz"

[accounts]
path = "accounts.{ext}"
id = "account_id"
churned = "churned"
revenue = "arr"
start_date = "start_date"
end_date = "end_date"

[[drivers]]
column = "score"
kind = "ordinal"
range = [1, 5]

[[drivers]]
column = "flag"
kind = "binary"
"#
    );
    if revenue {
        s.push_str("\n[revenue]\npath = \"revenue.csv\"\n");
    }
    s
}

/// The exit code the CLI would give an error: it must be 2 (bad input).
#[track_caller]
fn input_error(e: churnlab::error::Error) {
    let e = anyhow::Error::from(e);
    assert_eq!(churnlab::cli::exit_code(&e), 2, "not an input error: {e:#}");
}

/// The study config parser (TOML and its schema rules).
pub fn config(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(e) = churnlab::StudyConfig::from_toml(text, Path::new("fuzz/study.toml")) {
            input_error(e);
        }
    }
}

/// The cell parsers: numbers, dates, months, yes/no words.
pub fn cells(data: &[u8]) {
    let Ok(t) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(x) = parse::parse_number(t) {
        assert!(!x.is_nan(), "{t:?} parsed to NaN");
    }
    if let Some(m) = parse::parse_month(t) {
        // A month prints as YYYY-MM and reads back as itself.
        assert_eq!(parse::parse_month(&m.to_string()), Some(m), "{t:?}");
    }
    if let Some(d) = parse::parse_date(t) {
        assert_eq!(parse::parse_date(&d.to_string()), Some(d), "{t:?}");
    }
    let _ = parse::bool_word(t);
}

/// The accounts reader on CSV, NDJSON or Parquet bytes (the first byte
/// picks the format), through the whole study load.
pub fn accounts(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let k = pick as usize % FORMATS.len();
    WORKSPACE.with(|w| {
        w.put(&format!("accounts.{}", FORMATS[k]), body);
        if let Err(e) = churnlab::load_study(&w.accounts[k]) {
            input_error(e);
        }
    })
}

/// The revenue table: whenever the streaming reader accepts the bytes, the
/// full reader must accept them too and give the same matrix, bit for bit.
pub fn revenue(data: &[u8]) {
    WORKSPACE.with(|w| revenue_in(w, data));
}

fn revenue_in(w: &Workspace, data: &[u8]) {
    let rev = w.put("revenue.csv", data);
    let Some(rc) = w.revenue.revenue.as_ref() else {
        unreachable!("the fixed config has [revenue]")
    };
    let accounts = &w.revenue_accounts;
    let index = w.index();
    let early = churnlab::data::revenue::parse_early(&rev, rc, &index, &accounts.ids);
    let fast = early.is_fast();
    let load = |early| {
        churnlab::data::revenue::load_revenue(&rev, rc, accounts, early, &[], &mut Vec::new())
    };
    let streamed = load(early);
    let full = load(churnlab::data::revenue::Early::default());
    match (streamed, full) {
        (Ok(a), Ok(b)) => {
            assert_eq!(
                (a.first_month, a.n_months, a.n_rows),
                (b.first_month, b.n_months, b.n_rows)
            );
            for k in 0..a.n_accounts {
                let bits = |r: &[f64]| r.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(a.row(k)), bits(b.row(k)), "account {k}");
            }
        }
        (Err(_), Err(e)) if !fast => input_error(e),
        (a, b) => panic!(
            "the readers disagree (streaming reader used: {fast}): {:?} vs {:?}",
            a.err().map(|e| e.to_string()),
            b.err().map(|e| e.to_string())
        ),
    }
}

/// The `spc` series reader and chart on a CSV of `v,n,g` (the first byte
/// picks the chart), as `churnlab spc` runs them.
pub fn spc(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let kinds = [
        "p", "np", "c", "u", "xmr", "xbar-r", "xbar-s", "laney-p", "laney-u", "run",
    ];
    let kind = kinds[pick as usize % kinds.len()];
    let input = WORKSPACE.with(|w| w.put("series.csv", body));
    let mut args = vec![
        "churnlab", "spc", "--chart", kind, "--value", "v", "--format", "json",
    ];
    match kind {
        "p" | "np" | "u" | "laney-p" | "laney-u" => args.extend(["--size", "n"]),
        "xbar-r" | "xbar-s" => args.extend(["--subgroup", "g"]),
        _ => {}
    }
    let input = input.to_string_lossy().into_owned();
    args.extend(["--input", input.as_str()]);
    use clap::Parser;
    let cli = churnlab::cli::Cli::try_parse_from(args).expect("fixed arguments");
    let churnlab::cli::Command::Spc(a) = cli.command else {
        unreachable!("the arguments name `spc`")
    };
    if let Err(e) = churnlab::cli::spc::chart_of(&a) {
        assert_eq!(churnlab::cli::exit_code(&e), 2, "not an input error: {e:#}");
    }
}

/// The renewals table (`[renewals] path`) of the fixed accounts: every
/// input is loaded or refused as bad input, never a panic.
pub fn renewals(data: &[u8]) {
    WORKSPACE.with(|w| {
        let path = w.put("renewals.csv", data);
        let accounts = &w.revenue_accounts;
        let index = w.index();
        if let Err(e) =
            churnlab::data::renewals::load_renewals(&path, &w.renewals, accounts, &index, &[])
        {
            input_error(e);
        }
    })
}
