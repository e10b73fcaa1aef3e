//! The KPI feed as a database table for dashboards (Grafana, Metabase, …):
//! `kpi_values`, one row per study × KPI × period × grain × segment, upserted
//! so every quarterly run adds its periods and a rerun replaces its own rows.
//! SQLite (embedded, the default) or PostgreSQL, with the same columns.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::kpis::FeedRow;

/// Where the KPI feed goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KpiDb {
    /// An SQLite file, created when absent.
    Sqlite(PathBuf),
    /// A PostgreSQL connection string (`postgres://user@host:port/db`).
    Postgres(String),
}

impl KpiDb {
    /// Reads `--kpi-db`: `postgres://…` / `postgresql://…`, `sqlite:PATH`, or a file path.
    pub fn parse(spec: &str) -> Self {
        if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
            KpiDb::Postgres(spec.to_string())
        } else {
            KpiDb::Sqlite(PathBuf::from(spec.strip_prefix("sqlite:").unwrap_or(spec)))
        }
    }

    /// A description without the password, for messages.
    pub fn describe(&self) -> String {
        match self {
            KpiDb::Sqlite(p) => p.display().to_string(),
            KpiDb::Postgres(url) => redact(url),
        }
    }
}

use crate::engine::url::redact;

/// The table, in SQL both databases accept. The key is study, KPI, period,
/// grain and segment: one month label carries a monthly, a TTM and a YTD value.
const CREATE: &str = "CREATE TABLE IF NOT EXISTS kpi_values (
    study        TEXT NOT NULL,
    kpi          TEXT NOT NULL,
    period       TEXT NOT NULL,
    grain        TEXT NOT NULL,
    segment      TEXT NOT NULL,
    value        DOUBLE PRECISION,
    unit         TEXT NOT NULL,
    direction    TEXT NOT NULL,
    status       TEXT,
    partial      BOOLEAN NOT NULL,
    change_prev  DOUBLE PRECISION,
    change_yoy   DOUBLE PRECISION,
    q_value      DOUBLE PRECISION,
    ame          DOUBLE PRECISION,
    arr_at_stake DOUBLE PRECISION,
    definition   TEXT NOT NULL,
    run_at       TEXT NOT NULL,
    PRIMARY KEY (study, kpi, period, grain, segment)
)";

const COLUMNS: &str = "study, kpi, period, grain, segment, value, unit, direction, status, partial, change_prev, change_yoy, q_value, ame, arr_at_stake, definition, run_at";

const UPDATE: &str = "value = excluded.value, unit = excluded.unit, direction = excluded.direction, status = excluded.status, partial = excluded.partial, change_prev = excluded.change_prev, change_yoy = excluded.change_yoy, q_value = excluded.q_value, ame = excluded.ame, arr_at_stake = excluded.arr_at_stake, definition = excluded.definition, run_at = excluded.run_at";

/// NaN and ±inf have no SQL meaning: they become NULL.
fn finite(x: Option<f64>) -> Option<f64> {
    x.filter(|v| v.is_finite())
}

/// How long a run waits, by default, for another writer's lock on the feed.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(120);

/// Upserts the feed of one run in one transaction; returns the rows written.
/// `wait` bounds how long it waits for another writer's lock (SQLite's busy
/// timeout, PostgreSQL's `lock_timeout`).
///
/// # Errors
/// [`Error::Database`] when the database cannot be opened or written, the
/// lock is not granted within `wait`, or the connection is lost; then
/// nothing of this run is in it (the transaction is rolled back), and the
/// message says so.
pub fn write(
    db: &KpiDb,
    wait: Duration,
    study: &str,
    run_at: &str,
    rows: &[FeedRow],
) -> Result<usize> {
    match db {
        KpiDb::Sqlite(path) => write_sqlite(path, wait, study, run_at, rows),
        KpiDb::Postgres(url) => write_postgres(url, wait, study, run_at, rows),
    }
}

/// What a failed write left: nothing, whatever step failed.
const NOTHING_WRITTEN: &str = "nothing of this run was written (the transaction was rolled back)";

fn write_sqlite(
    path: &Path,
    wait: Duration,
    study: &str,
    run_at: &str,
    rows: &[FeedRow],
) -> Result<usize> {
    let err = |e: rusqlite::Error| {
        let locked = matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        );
        let why = if locked {
            format!(
                "another process held the write lock for longer than {} s ({e}; --kpi-db-wait sets how long to wait)",
                wait.as_secs_f64()
            )
        } else {
            e.to_string()
        };
        Error::Database {
            target: path.display().to_string(),
            message: format!("{why}; {NOTHING_WRITTEN}"),
        }
    };
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "cannot create folder", e))?;
    }
    let mut conn = rusqlite::Connection::open(path).map_err(err)?;
    // Other runs may be writing the same feed: wait for them. The write lock
    // is taken at BEGIN (IMMEDIATE), since a deferred transaction that
    // upgrades to a write while another writer holds the lock fails at once
    // with "database is locked" instead of waiting.
    conn.busy_timeout(wait).map_err(err)?;
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(err)?;
    tx.execute_batch(CREATE).map_err(err)?;
    {
        let sql = format!(
            "INSERT INTO kpi_values ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) ON CONFLICT (study, kpi, period, grain, segment) DO UPDATE SET {UPDATE}"
        );
        let mut stmt = tx.prepare(&sql).map_err(err)?;
        for f in rows {
            stmt.execute(rusqlite::params![
                study,
                f.kpi.to_string(),
                f.period,
                f.grain.as_str(),
                f.segment,
                finite(f.value),
                f.unit,
                f.direction.as_str(),
                f.status,
                f.partial,
                finite(f.change_prev),
                finite(f.change_yoy),
                finite(f.q_value),
                finite(f.ame),
                finite(f.arr_at_stake),
                f.definition,
                run_at,
            ])
            .map_err(err)?;
        }
    }
    tx.commit().map_err(err)?;
    Ok(rows.len())
}

fn write_postgres(
    url: &str,
    wait: Duration,
    study: &str,
    run_at: &str,
    rows: &[FeedRow],
) -> Result<usize> {
    let target = redact(url);
    let err = |e: postgres::Error| {
        // The driver's own words for a lost connection are terse.
        let why = if e.is_closed() {
            format!("the connection to the server was lost ({e})")
        } else {
            e.to_string()
        };
        Error::Database {
            target: target.clone(),
            message: format!("{why}; {NOTHING_WRITTEN}"),
        }
    };
    let mut client = postgres::Client::connect(url, postgres::NoTls).map_err(err)?;
    let mut tx = client.transaction().map_err(err)?;
    tx.batch_execute(&format!(
        "SET LOCAL lock_timeout = {}",
        wait.as_millis().max(1)
    ))
    .map_err(err)?;
    tx.batch_execute(CREATE).map_err(err)?;
    let sql = format!(
        "INSERT INTO kpi_values ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) ON CONFLICT (study, kpi, period, grain, segment) DO UPDATE SET {UPDATE}"
    );
    let stmt = tx.prepare(&sql).map_err(err)?;
    for f in rows {
        let (kpi, grain) = (f.kpi.to_string(), f.grain.as_str());
        tx.execute(
            &stmt,
            &[
                &study,
                &kpi,
                &f.period,
                &grain,
                &f.segment,
                &finite(f.value),
                &f.unit,
                &f.direction.as_str(),
                &f.status,
                &f.partial,
                &finite(f.change_prev),
                &finite(f.change_yoy),
                &finite(f.q_value),
                &finite(f.ame),
                &finite(f.arr_at_stake),
                &f.definition,
                &run_at,
            ],
        )
        .map_err(err)?;
    }
    tx.commit().map_err(err)?;
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kpis::{Direction, Grain, KpiKey};

    #[test]
    fn parses_targets() {
        assert_eq!(
            KpiDb::parse("postgres://u@localhost/db"),
            KpiDb::Postgres("postgres://u@localhost/db".into())
        );
        assert_eq!(
            KpiDb::parse("sqlite:reports/k.sqlite"),
            KpiDb::Sqlite("reports/k.sqlite".into())
        );
        assert_eq!(KpiDb::parse("k.db"), KpiDb::Sqlite("k.db".into()));
    }

    fn row(kpi: &'static str, value: f64) -> FeedRow {
        FeedRow {
            kpi: KpiKey::Named(kpi),
            period: "2024-Q4".into(),
            grain: Grain::Quarter,
            segment: "all".into(),
            value: Some(value),
            unit: "fraction",
            direction: Direction::HigherIsBetter,
            definition: "d".into(),
            status: None,
            partial: false,
            change_prev: Some(f64::INFINITY),
            change_yoy: None,
            q_value: None,
            ame: None,
            arr_at_stake: None,
        }
    }

    /// Non-finite numbers become NULL; a rerun replaces its rows; another
    /// run's period adds a row.
    #[test]
    fn sqlite_upsert_replaces_and_adds() {
        let dir = tempfile::tempdir().expect("tmp");
        let db = KpiDb::Sqlite(dir.path().join("k.sqlite"));
        assert_eq!(
            write(
                &db,
                DEFAULT_WAIT,
                "s",
                "t1",
                &[row("grr", f64::NAN), row("nrr", 1.02)]
            )
            .unwrap(),
            2
        );
        assert_eq!(
            write(&db, DEFAULT_WAIT, "s", "t2", &[row("grr", 0.95)]).unwrap(),
            1
        );
        let mut other = row("grr", 0.9);
        other.period = "2025-Q1".into();
        write(&db, DEFAULT_WAIT, "s", "t3", &[other]).unwrap();
        let KpiDb::Sqlite(path) = &db else {
            unreachable!()
        };
        let conn = rusqlite::Connection::open(path).unwrap();
        type Stored = (String, String, Option<f64>, Option<f64>, String);
        let rows: Vec<Stored> = conn
            .prepare("SELECT kpi, period, value, change_prev, run_at FROM kpi_values ORDER BY kpi, period")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(
            rows,
            vec![
                (
                    "grr".into(),
                    "2024-Q4".into(),
                    Some(0.95),
                    None,
                    "t2".into()
                ),
                ("grr".into(), "2025-Q1".into(), Some(0.9), None, "t3".into()),
                (
                    "nrr".into(),
                    "2024-Q4".into(),
                    Some(1.02),
                    None,
                    "t1".into()
                ),
            ]
        );
    }

    /// Issue 16 item 8: eight runs writing one feed at once all succeed, no
    /// row is lost and the file passes SQLite's integrity check.
    #[test]
    fn concurrent_writers_wait_and_lose_nothing() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("k.sqlite");
        let rows: Vec<FeedRow> = (0..300)
            .map(|k| {
                let mut r = row("grr", k as f64);
                r.period = format!("p{k}");
                r
            })
            .collect();
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|w| {
                    let (db, rows) = (KpiDb::Sqlite(path.clone()), &rows);
                    s.spawn(move || write(&db, DEFAULT_WAIT, &format!("study{w}"), "t", rows))
                })
                .collect();
            for h in handles {
                assert_eq!(h.join().expect("writer").expect("written"), 300);
            }
        });
        let conn = rusqlite::Connection::open(&path).unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM kpi_values", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 8 * 300);
        let ok: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://me:secret@db:5432/kpis"),
            "postgres://me:***@db:5432/kpis"
        );
        assert_eq!(redact("postgres://me@db/kpis"), "postgres://me@db/kpis");
    }
}
