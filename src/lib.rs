//! churnlab: statistical churn-driver analysis.
//!
//! The modules follow the data's path: [`config`] → [`data`] (read, parse,
//! validate) → analyses → [`report`] renderers, with [`cli`] as the thin
//! command-line front end, [`kpidb`] writing the KPI feed into SQLite or
//! PostgreSQL, and [`demo`] generating data with planted truth.
#![forbid(unsafe_code)]

pub mod cli;
pub mod config;
pub mod data;
pub mod demo;
pub mod drivers;
pub mod error;
pub mod kpidb;
pub mod kpis;
pub mod output;
pub mod pareto;
pub mod pipeline;
pub mod report;
pub mod spc;
pub mod stats;
pub mod timing;

pub use config::StudyConfig;
pub use data::{load_study, Study};
pub use error::{Error, Result};

/// Drops `value` on a helper thread: freeing a large study or table takes a
/// while and nothing waits for it. Where no thread can be started, it is
/// dropped here (never a panic).
pub(crate) fn drop_in_background<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("churnlab-free".into())
        .spawn(move || drop(value));
}

/// Reference values computed by scipy/statsmodels (tests/reference/).
#[cfg(test)]
pub(crate) mod testref {
    pub fn values() -> serde_json::Value {
        serde_json::from_str(include_str!("../tests/reference/values.json"))
            .expect("valid reference json")
    }
}
