//! Where the data lives. By default the study's tables are files read into
//! memory (the typed [`crate::data::Study`]); with an engine they stay in a
//! SQL engine (PostgreSQL, or Spark through Spark Connect) and each pass of
//! the study is one aggregate query there. The SQL comes from [`sql`] only;
//! the small results come home, where the statistics and the rules are the
//! same code as the in-memory path's.

use serde::Serialize;

use crate::error::{Error, Result};

pub mod account_kpis;
pub mod accounts;
pub mod cox;
pub mod dates;
pub mod design;
pub mod driver_kpis;
pub mod drivers;
pub mod durations;
pub mod pareto;
pub mod periods;
mod postgres;
pub mod renewals;
pub mod revenue;
#[cfg(feature = "spark")]
mod spark;
pub mod sql;
pub mod summary;
pub mod survival;
mod table;
pub mod univariate;
pub mod url;

pub use sql::{Dialect, Relation};
pub use url::EngineUrl;

/// What a command asked of its engine.
#[derive(Debug, Clone, Serialize)]
pub struct EngineUse {
    /// The engine, without secrets.
    pub engine: String,
    pub queries: usize,
    /// Full reads of each table.
    pub scans: Vec<(String, usize)>,
    /// The same per stage, with the seconds its queries took.
    pub stages: Vec<StageUse>,
}

/// What one stage asked of the engine, and how long its answers took.
#[derive(Debug, Clone, Serialize, Default)]
pub struct StageUse {
    pub stage: String,
    pub queries: usize,
    pub scans: Vec<(String, usize)>,
    pub seconds: f64,
}

/// `k` more reads of `table` in `scans`.
fn add_reads(scans: &mut Vec<(String, usize)>, table: &str, k: usize) {
    match scans.iter_mut().find(|(n, _)| n == table) {
        Some((_, all)) => *all += k,
        None => scans.push((table.to_string(), k)),
    }
}

/// The renewal KPIs computed on an engine, and what was asked of it.
#[derive(Debug, Clone, Serialize)]
pub struct EngineRenewalKpis {
    /// The accounts table the groups come from.
    pub table: String,
    /// The same report as the in-memory path's (its `source` the renewals table).
    #[serde(flatten)]
    pub report: crate::renewals::RenewalReport,
    pub usage: EngineUse,
}

/// The accounts table as the engine's checks found it.
#[derive(Debug, Clone, Serialize)]
pub struct EngineSummary {
    /// The same summary and warnings as the file path's (the tables named
    /// where a file's path stands).
    #[serde(flatten)]
    pub summary: crate::data::LoadSummary,
    pub usage: EngineUse,
}

/// The driver stage run on an engine, and what it asked of it.
#[derive(Debug, Clone, Serialize)]
pub struct EngineDrivers {
    pub table: String,
    /// The same report as the in-memory path's.
    #[serde(flatten)]
    pub report: crate::drivers::DriverReport,
    pub usage: EngineUse,
}

/// The KPI stage run on an engine (the period KPIs and their control
/// charts, the account KPIs, the owners' efficiency, and with the driver
/// report the recommendation, its cohort charts and the feed), and what was
/// asked of it.
#[derive(Debug, Clone, Serialize)]
pub struct EngineKpis {
    /// The accounts table, and the revenue table the periods were counted on.
    pub table: String,
    pub revenue: Option<String>,
    /// The same report as the in-memory path's.
    #[serde(flatten)]
    pub report: crate::kpis::KpiReport,
    pub usage: EngineUse,
}

/// The survival curves run on an engine, and what was asked of it.
#[derive(Debug, Clone, Serialize)]
pub struct EngineSurvival {
    pub table: String,
    /// The same curves, tests and restricted means as the in-memory path's.
    #[serde(flatten)]
    pub report: crate::survival::SurvivalReport,
    /// Accounts that ended before the window began, left out.
    pub n_before_window: usize,
    pub usage: EngineUse,
}

/// One value of a query's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
}

impl Cell {
    /// The value as text (`None` for NULL); numbers print as Rust does.
    pub fn text(&self) -> Option<String> {
        match self {
            Cell::Null => None,
            Cell::Int(i) => Some(i.to_string()),
            Cell::Float(x) => Some(x.to_string()),
            Cell::Text(t) => Some(t.clone()),
        }
    }

    /// The value as a number (`None` for NULL or text that is not one).
    /// PostgreSQL sends floats as shortest round-trip text, so this is exact.
    pub fn number(&self) -> Option<f64> {
        match self {
            Cell::Null => None,
            Cell::Int(i) => Some(*i as f64),
            Cell::Float(x) => Some(*x),
            Cell::Text(t) => t.trim().parse().ok(),
        }
    }

    /// The value as a count.
    pub fn count(&self) -> Option<usize> {
        match self {
            Cell::Int(i) => usize::try_from(*i).ok(),
            Cell::Text(t) => t.trim().parse().ok(),
            Cell::Float(x) if x.fract() == 0.0 && *x >= 0.0 => Some(*x as usize),
            _ => None,
        }
    }
}

/// A connection to one engine: runs SQL, answers rows of cells.
pub trait Backend: Send {
    fn dialect(&self) -> Dialect;
    /// Runs `sql` and returns its rows.
    fn query(&mut self, sql: &str) -> Result<Vec<Vec<Cell>>>;
    /// The column names `sql` would return, without reading its rows.
    fn columns(&mut self, sql: &str) -> Result<Vec<String>>;
}

/// An engine in use: its connection and what the study has asked of it.
pub struct Engine {
    backend: Box<dyn Backend>,
    target: String,
    /// Per stage ([`Engine::stage`]), in order: queries sent, and full
    /// reads of each table (by the name messages use).
    stages: Vec<StageUse>,
}

impl Engine {
    /// Connects to the engine at `url`.
    ///
    /// # Errors
    /// [`Error::Engine`] naming the server (no password) when it cannot be
    /// reached, or when this build has no client for it.
    pub fn connect(url: &EngineUrl) -> Result<Self> {
        let backend: Box<dyn Backend> = match url {
            EngineUrl::Postgres(u) => Box::new(postgres::Pg::connect(u, &url.describe())?),
            EngineUrl::Spark(u) => spark_backend(u, &url.describe())?,
        };
        Ok(Engine {
            backend,
            target: url.describe(),
            stages: Vec::new(),
        })
    }

    /// Counts the queries from here on under stage `name`.
    pub fn stage(&mut self, name: &str) {
        self.stages.push(StageUse {
            stage: name.to_string(),
            ..StageUse::default()
        });
    }

    /// What was asked of the engine so far, in all and per stage.
    pub fn usage(&self) -> EngineUse {
        let mut scans = Vec::new();
        for (t, k) in self.stages.iter().flat_map(|s| &s.scans) {
            add_reads(&mut scans, t, *k);
        }
        EngineUse {
            engine: self.target.clone(),
            queries: self.stages.iter().map(|s| s.queries).sum(),
            scans,
            stages: self.stages.clone(),
        }
    }

    /// Counts one query reading each of `tables` once, begun at `started`,
    /// under the current stage (`connect` before the first).
    fn record(&mut self, tables: &[&str], started: std::time::Instant) {
        if self.stages.is_empty() {
            self.stage("connect");
        }
        if let Some(s) = self.stages.last_mut() {
            s.queries += 1;
            for t in tables {
                add_reads(&mut s.scans, t, 1);
            }
            s.seconds += started.elapsed().as_secs_f64();
        }
    }

    pub fn dialect(&self) -> Dialect {
        self.backend.dialect()
    }

    /// The engine for messages.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Runs one query that reads each of `tables` once, counting both.
    pub fn query(&mut self, sql: &str, tables: &[&str]) -> Result<Vec<Vec<Cell>>> {
        let started = std::time::Instant::now();
        let answer = self.backend.query(sql);
        self.record(tables, started);
        answer.map_err(|e| name_table(e, &tables.join(", ")))
    }

    /// The columns of relation `from` (named `name` in messages), read from
    /// its description (no scan).
    pub fn columns(&mut self, from: &str, name: &str) -> Result<Vec<String>> {
        let started = std::time::Instant::now();
        let answer = self.backend.columns(&format!("SELECT * FROM {from}"));
        self.record(&[], started);
        answer.map_err(|e| name_table(e, name))
    }
}

/// A backend's error: SQL states of class 42 (no such table or column, bad
/// syntax) and 22 (a value that does not cast) are the config's or the
/// data's (exit 2; [`Engine::query`] names the table), the rest the
/// engine's.
fn backend_error(sql_state: Option<&str>, input: bool, message: String, target: &str) -> Error {
    let by_state = sql_state.is_some_and(|c| c.starts_with("42") || c.starts_with("22"));
    if by_state || input {
        Error::Table {
            table: String::new(),
            message,
        }
    } else {
        Error::Engine {
            target: target.to_string(),
            message,
        }
    }
}

/// A backend's input error, given the name of the table it concerns.
fn name_table(e: Error, name: &str) -> Error {
    match e {
        Error::Table { table, message } if table.is_empty() => Error::Table {
            table: name.to_string(),
            message,
        },
        e => e,
    }
}

#[cfg(feature = "spark")]
fn spark_backend(url: &str, target: &str) -> Result<Box<dyn Backend>> {
    Ok(Box::new(spark::Spark::connect(url, target)?))
}

#[cfg(not(feature = "spark"))]
fn spark_backend(_url: &str, target: &str) -> Result<Box<dyn Backend>> {
    Err(Error::Engine {
        target: target.to_string(),
        message: "this churnlab was built without the Spark client; build it with `cargo build --release --features spark` (needs protoc)".into(),
    })
}
