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

/// Reference values computed by scipy/statsmodels (tests/reference/).
#[cfg(test)]
pub(crate) mod testref {
    pub fn values() -> serde_json::Value {
        serde_json::from_str(include_str!("../tests/reference/values.json"))
            .expect("valid reference json")
    }
}
