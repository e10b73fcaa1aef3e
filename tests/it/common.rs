//! Shared fixture helpers: a temporary study folder with a small, valid
//! accounts table, revenue table and config that each test then breaks.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

/// Ten accounts, every role present; row numbers below are 1-based data rows.
pub const ACCOUNTS: &str = "\
account_id,segment,churned,reason,arr,training_quality,adoption,onboarded,start_date,end_date
A1,SMB,1,Budget cuts,1200.50,2,0.30,no,2023-01-15,2024-03-02
A2,SMB,0,,5000,4,0.80,yes,2022-06-01,
A3,Enterprise,1,Switched to competitor,150000,3,0.55,yes,2021-03-10,2024-05-20
A4,MidMarket,0,,30000,5,0.91,yes,2022-11-11,
A5,SMB,0,,4000,,0.66,no,2023-02-02,
A6,MidMarket,1,,25000,1,0.12,no,2023-04-04,2024-01-09
A7,Enterprise,0,,200000,4,0.77,yes,2020-01-01,
A8,SMB,1,Price too high,3000,2,0.40,yes,2023-07-07,2024-02-02
A9,SMB,0,,6000,3,0.58,yes,2022-09-09,
A10,MidMarket,0,,28000,5,0.70,no,2021-12-12,
";

pub const REVENUE: &str = "\
account_id,month,mrr
A1,2024-01,100.04
A1,2024-02,100.04
A1,2024-03,0
A2,2024-01,416.67
A2,2024-02,420.00
A2,2024-03,430.00
A3,2024-01,12500
A3,2024-02,12500
A3,2024-03,12000
";

pub const STUDY: &str = r#"[study]
name = "fixture"

[accounts]
path = "accounts.csv"
id = "account_id"
churned = "churned"
reason = "reason"
revenue = "arr"
segments = ["segment"]
start_date = "start_date"
end_date = "end_date"

[[drivers]]
column = "training_quality"
kind = "ordinal"
range = [1, 5]
controllable = true

[[drivers]]
column = "adoption"
kind = "numeric"
range = [0, 1]
controllable = true

[[drivers]]
column = "onboarded"
kind = "binary"
controllable = true

[revenue]
path = "revenue.csv"

[output]
dir = "out"
"#;

/// Runs the fixture study and checks the failure contract: exit 2, the
/// message names each of `expect`, nothing is left behind, no panic.
#[track_caller]
pub fn rejected(f: &Fixture, expect: &[&str]) -> String {
    let (code, err) = f.run();
    assert_eq!(code, 2, "exit code; stderr: {err}");
    for e in expect {
        assert!(err.contains(e), "stderr lacks `{e}`:\n{err}");
    }
    assert!(!f.path("out").exists(), "output folder was created");
    assert!(
        f.stray_files().is_empty(),
        "files left behind: {:?}",
        f.stray_files()
    );
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// A path inside the repository (the committed demo, the shared-data copies).
pub fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// The churnlab binary built for this test run.
pub fn churnlab() -> Command {
    Command::cargo_bin("churnlab").expect("binary is built")
}

/// Runs `cmd`, which must succeed, and returns its standard output.
pub fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// A study folder in a temporary directory.
pub struct Fixture {
    pub dir: TempDir,
}

impl Fixture {
    /// The valid fixture study.
    pub fn valid() -> Self {
        let f = Fixture {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        f.write("accounts.csv", ACCOUNTS.as_bytes());
        f.write("revenue.csv", REVENUE.as_bytes());
        f.write("study.toml", STUDY.as_bytes());
        f
    }

    /// The fixture with one substitution in the accounts table.
    pub fn accounts_with(from: &str, to: &str) -> Self {
        let f = Self::valid();
        assert!(ACCOUNTS.contains(from), "fixture has no `{from}`");
        f.write("accounts.csv", ACCOUNTS.replacen(from, to, 1).as_bytes());
        f
    }

    /// The fixture with one substitution in the revenue table.
    pub fn revenue_with(from: &str, to: &str) -> Self {
        let f = Self::valid();
        assert!(REVENUE.contains(from), "fixture has no `{from}`");
        f.write("revenue.csv", REVENUE.replacen(from, to, 1).as_bytes());
        f
    }

    /// The fixture with one substitution in the config.
    pub fn study_with(from: &str, to: &str) -> Self {
        let f = Self::valid();
        assert!(STUDY.contains(from), "fixture config has no `{from}`");
        f.write("study.toml", STUDY.replacen(from, to, 1).as_bytes());
        f
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).expect("write fixture");
        p
    }

    pub fn config(&self) -> PathBuf {
        self.path("study.toml")
    }

    /// Runs `churnlab run` and returns (exit code, stderr).
    pub fn run(&self) -> (i32, String) {
        let out = churnlab()
            .args(["run", "--quiet", "--config"])
            .arg(self.config())
            .output()
            .expect("run churnlab");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs `churnlab validate` and returns (exit code, stdout, stderr).
    pub fn validate(&self) -> (i32, String, String) {
        let out = churnlab()
            .args(["validate", "--config"])
            .arg(self.config())
            .output()
            .expect("run churnlab");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Files in the fixture folder other than the inputs (outputs, temporaries).
    pub fn stray_files(&self) -> Vec<String> {
        list(self.dir.path())
            .into_iter()
            .filter(|n| {
                !(n.starts_with("accounts.")
                    || n.starts_with("revenue.")
                    || n.starts_with("renewals.")
                    || n == "study.toml")
            })
            .collect()
    }
}

fn list(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}
