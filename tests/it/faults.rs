//! Faults while writing (issue 16): a run killed at any moment, a full
//! disk, a KPI database that is down or unusable. The output folder is
//! always either the previous run's or the new one, never half of either,
//! and a failed run leaves nothing behind.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::common::repo;

/// The demo study copied into a fresh folder (its paths are relative).
fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    for f in ["accounts.csv", "revenue.csv", "renewals.csv", "study.toml"] {
        std::fs::copy(repo(&format!("data/demo/{f}")), dir.path().join(f)).expect("copy");
    }
    dir
}

/// `churnlab run` on the copy, output to `out`, no KPI feed unless given.
fn run_cmd(dir: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("churnlab"));
    c.env("SOURCE_DATE_EPOCH", "1700000000")
        .args(["run", "--quiet", "--config"])
        .arg(dir.join("study.toml"))
        .arg("--out")
        .arg(out)
        .args(extra);
    if !extra.iter().any(|a| a.starts_with("--kpi-db")) {
        c.arg("--no-kpi-db");
    }
    c
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, d: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).expect("under root").to_path_buf();
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Entries of `dir` that are staging folders of `out`.
fn staging_left(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".out.tmp-"))
        .collect()
}

/// A run SIGKILLed at any moment leaves the previous output whole (runs are
/// deterministic, so old and new are byte-identical: anything else is a
/// half); the next run removes what killed runs left and says so.
#[test]
fn killed_runs_leave_a_whole_output_and_the_next_run_cleans_up() {
    let dir = demo_copy();
    let out = dir.path().join("out");
    let status = run_cmd(dir.path(), &out, &[]).status().expect("run");
    assert!(status.success());
    let before = snapshot(&out);
    assert!(before.keys().any(|k| k.ends_with("report.html")));
    for delay_ms in [0, 20, 60, 120, 200, 300, 450, 600, 800, 1000, 1300, 1700] {
        let mut child = run_cmd(dir.path(), &out, &["--force"])
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        assert!(out.exists(), "no output after a kill at {delay_ms} ms");
        assert!(
            snapshot(&out) == before,
            "output changed by a kill at {delay_ms} ms"
        );
    }
    // A stale staging folder of a process that no longer exists.
    let stale = dir.path().join(".out.tmp-4000000000");
    std::fs::create_dir_all(stale.join("charts")).expect("stale");
    std::fs::write(stale.join("report.html"), "half").expect("stale file");
    let o = run_cmd(dir.path(), &out, &["--force"])
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("removed") && err.contains(".out.tmp-4000000000"),
        "{err}"
    );
    assert!(
        staging_left(dir.path()).is_empty(),
        "{:?}",
        staging_left(dir.path())
    );
    assert!(snapshot(&out) == before);
}

/// A tmpfs of 256 kB mounted for the test, unmounted when dropped; `None`
/// where mounting is not allowed.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(at: &Path) -> Option<SmallDisk> {
        std::fs::create_dir_all(at).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
            .arg(at)
            .status()
            .ok()?
            .success();
        ok.then(|| SmallDisk(at.to_path_buf()))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A full disk: a clear error naming the file, exit 1, and nothing left on
/// the disk. On a 256 kB tmpfs where the machine allows mounting one; else
/// a file-size limit (`ulimit -f`, SIGXFSZ ignored) makes writes fail the
/// same way (`CHURNLAB_TEST_NO_MOUNT=1` takes that path on purpose).
#[test]
fn full_disk_is_a_clear_error_and_leaves_nothing() {
    let dir = demo_copy();
    let small = dir.path().join("small");
    let disk = match std::env::var_os("CHURNLAB_TEST_NO_MOUNT") {
        Some(_) => None,
        None => SmallDisk::mount(&small),
    };
    let out = small.join("out");
    let o = match &disk {
        Some(_) => run_cmd(dir.path(), &out, &[]).output().expect("run"),
        None => {
            std::fs::create_dir_all(&small).expect("dir");
            let run = run_cmd(dir.path(), &out, &[]);
            Command::new("sh")
                .arg("-c")
                .arg("trap '' XFSZ; ulimit -f 256; exec \"$0\" \"$@\"")
                .arg(run.get_program())
                .args(run.get_args())
                .env("SOURCE_DATE_EPOCH", "1700000000")
                .output()
                .expect("sh")
        }
    };
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let why = if disk.is_some() {
        "No space left"
    } else {
        "File too large"
    };
    assert!(err.contains(why) && err.contains("small"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let left: Vec<_> = std::fs::read_dir(&small).expect("dir").collect();
    assert!(left.is_empty(), "left on the disk: {left:?}");
}

/// The KPI feed's PostgreSQL server is down: the run fails naming the host
/// (not a password), and the report folder is not promoted.
#[test]
fn kpi_feed_server_down_promotes_nothing() {
    let dir = demo_copy();
    let out = dir.path().join("out");
    let url = "--kpi-db=postgres://churnlab:secret@127.0.0.1:9/feed";
    let o = run_cmd(dir.path(), &out, &[url]).output().expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("127.0.0.1") && !err.contains("secret"),
        "{err}"
    );
    assert!(!out.exists(), "report folder promoted");
    assert!(
        staging_left(dir.path()).is_empty(),
        "{:?}",
        staging_left(dir.path())
    );
}

/// A SQLite feed that cannot be opened (the path is a folder): same contract.
#[test]
fn unusable_sqlite_feed_promotes_nothing() {
    let dir = demo_copy();
    let out = dir.path().join("out");
    let db = dir.path().join("feed.sqlite");
    std::fs::create_dir(&db).expect("folder in the way");
    let arg = format!("--kpi-db={}", db.display());
    let o = run_cmd(dir.path(), &out, &[&arg]).output().expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("feed.sqlite"), "{err}");
    assert!(!out.exists(), "report folder promoted");
    assert!(
        staging_left(dir.path()).is_empty(),
        "{:?}",
        staging_left(dir.path())
    );
}

/// Another process holds the SQLite feed's write lock for longer than the
/// run will wait: the run fails saying so, nothing of it is in the file and
/// the report folder is not promoted. Once the lock is released, a run
/// writes the feed and the file is intact.
#[test]
fn locked_sqlite_feed_promotes_nothing() {
    let dir = demo_copy();
    let out = dir.path().join("out");
    let db = dir.path().join("feed.sqlite");
    let holder = rusqlite::Connection::open(&db).expect("open");
    holder
        .execute_batch(
            "CREATE TABLE other (x INTEGER); BEGIN IMMEDIATE; INSERT INTO other VALUES (1);",
        )
        .expect("take the write lock");
    let arg = format!("--kpi-db={}", db.display());
    let o = run_cmd(dir.path(), &out, &[&arg, "--kpi-db-wait=0.3"])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("feed.sqlite")
            && err.contains("write lock")
            && err.contains("nothing of this run was written"),
        "{err}"
    );
    assert!(!out.exists(), "report folder promoted");
    assert!(staging_left(dir.path()).is_empty());
    holder.execute_batch("COMMIT").expect("release");
    let tables: i64 = holder
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'kpi_values'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(tables, 0, "the failed run created its table");
    let o = run_cmd(dir.path(), &out, &[&arg]).output().expect("run");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let check: String = holder
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(check, "ok");
    let rows: i64 = holder
        .query_row("SELECT COUNT(*) FROM kpi_values", [], |r| r.get(0))
        .expect("rows");
    assert!(rows > 100, "{rows} feed rows");
}

/// An SQLite feed on a read-only file system: the run fails naming the
/// file and saying nothing was written, and promotes nothing. Needs a
/// read-only mount (root, as in CI); elsewhere it says it was skipped.
#[test]
fn read_only_sqlite_feed_promotes_nothing() {
    let dir = demo_copy();
    let ro = dir.path().join("ro");
    let Some(disk) = std::env::var_os("CHURNLAB_TEST_NO_MOUNT")
        .is_none()
        .then(|| SmallDisk::mount(&ro))
        .flatten()
    else {
        eprintln!("skipped: cannot mount a tmpfs here");
        return;
    };
    let db = ro.join("feed.sqlite");
    rusqlite::Connection::open(&db)
        .and_then(|c| c.execute_batch("CREATE TABLE other (x INTEGER)"))
        .expect("create the feed file");
    let remounted = Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(&disk.0)
        .status()
        .expect("mount")
        .success();
    assert!(remounted, "could not remount read-only");
    let out = dir.path().join("out");
    let arg = format!("--kpi-db={}", db.display());
    let o = run_cmd(dir.path(), &out, &[&arg]).output().expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("feed.sqlite")
            && err.contains("readonly")
            && err.contains("nothing of this run was written"),
        "{err}"
    );
    assert!(!out.exists(), "report folder promoted");
    assert!(staging_left(dir.path()).is_empty());
}

/// A TCP relay between a client and `upstream` that cuts the connection
/// once the client has sent `after` bytes past the first `INSERT`: the
/// connection lost in the middle of the feed's upsert.
fn cutting_relay(upstream: String, after: usize) -> (u16, std::thread::JoinHandle<bool>) {
    use std::io::{Read, Write};
    use std::net::{Shutdown, TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let relay = std::thread::spawn(move || {
        let (mut client, _) = listener.accept().expect("accept");
        let mut server = TcpStream::connect(&upstream).expect("upstream");
        let (mut c2, mut s2) = (
            client.try_clone().expect("clone"),
            server.try_clone().expect("clone"),
        );
        std::thread::spawn(move || std::io::copy(&mut s2, &mut c2));
        let (mut seen, mut past, mut buf) = (Vec::new(), None::<usize>, [0u8; 8192]);
        loop {
            let n = match client.read(&mut buf) {
                Ok(0) | Err(_) => return false,
                Ok(n) => n,
            };
            match past.as_mut() {
                Some(p) => *p += n,
                None => {
                    seen.extend_from_slice(&buf[..n]);
                    let at = seen.windows(11).position(|w| w == b"INSERT INTO");
                    past = at.map(|i| seen.len() - i);
                }
            }
            if past.is_some_and(|p| p > after) {
                let _ = client.shutdown(Shutdown::Both);
                let _ = server.shutdown(Shutdown::Both);
                return true;
            }
            if server.write_all(&buf[..n]).is_err() {
                return false;
            }
        }
    });
    (port, relay)
}

/// The connection to the PostgreSQL feed is cut in the middle of the upsert:
/// the run fails saying the connection was lost and nothing was written,
/// the report folder is not promoted, and the table holds exactly the rows
/// of the run before (no row of the cut run, which has its own `run_at`). Runs where `scripts/test.sh`
/// started a server (`CHURNLAB_TEST_PG`).
#[test]
fn postgres_feed_cut_mid_upsert_rolls_back() {
    let Ok(url) = std::env::var("CHURNLAB_TEST_PG") else {
        assert!(
            std::env::var_os("CHURNLAB_REQUIRE_PG").is_none(),
            "CHURNLAB_TEST_PG is not set"
        );
        eprintln!("skipped: set CHURNLAB_TEST_PG (scripts/test.sh does) to test PostgreSQL");
        return;
    };
    // Its own schema, so the other PostgreSQL tests' tables are not touched.
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    admin
        .batch_execute("DROP SCHEMA IF EXISTS faults_cut CASCADE; CREATE SCHEMA faults_cut")
        .expect("schema");
    let in_schema = |u: &str| format!("{u}?options=-csearch_path%3Dfaults_cut");
    let dir = demo_copy();
    let first = format!("--kpi-db={}", in_schema(&url));
    let o = run_cmd(dir.path(), &dir.path().join("out1"), &[&first])
        .output()
        .expect("run");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let count = |admin: &mut postgres::Client| -> Vec<(String, i64)> {
        admin
            .query(
                "SELECT run_at, COUNT(*) FROM faults_cut.kpi_values GROUP BY run_at",
                &[],
            )
            .expect("count")
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    };
    let before = count(&mut admin);
    assert_eq!(before.len(), 1, "{before:?}");

    let host = url
        .split_once('@')
        .and_then(|(_, rest)| rest.split_once('/'))
        .map(|(host, _)| host.to_string())
        .expect("host:port in CHURNLAB_TEST_PG");
    let (port, relay) = cutting_relay(host.clone(), 20_000);
    let cut_url = in_schema(&url.replacen(&host, &format!("127.0.0.1:{port}"), 1));
    let out = dir.path().join("out2");
    let o = run_cmd(dir.path(), &out, &[&format!("--kpi-db={cut_url}")])
        .env("SOURCE_DATE_EPOCH", "1800000000")
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(relay.join().expect("relay"), "the relay never cut: {err}");
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("connection to the server was lost")
            && err.contains("nothing of this run was written"),
        "{err}"
    );
    assert!(!out.exists(), "report folder promoted");
    assert!(staging_left(dir.path()).is_empty());
    // The cut transaction never committed: the server rolls it back.
    assert_eq!(
        count(&mut admin),
        before,
        "rows of the cut run are in the table"
    );
}
