//! churnlab: statistical churn-driver analysis.
//!
//! The modules follow the data's path, and none imports from one above it:
//!
//! - ground floor, used by all: [`error`], [`format`] (every number
//!   formatter), [`output`] (atomic files), [`timing`], [`background`];
//! - [`stats`] (tests and models, one file per family) and [`spc`] (control
//!   charts): pure numerics on slices;
//! - [`config`]: the study config;
//! - [`data`]: read, convert and validate the user's tables into a typed
//!   [`Study`]; [`demo`] writes demo data with planted truth;
//! - [`engine`]: where the tables live when they are not files (PostgreSQL,
//!   Spark), each pass of the study one aggregate query there;
//! - analyses: [`pareto`], [`drivers`], [`kpis`], [`survival`],
//!   [`renewals`], [`forward`] (the renewals at risk, from the survival model);
//! - [`results`]: the one result model every renderer reads;
//! - [`report`]: the renderers, one file per format or section;
//! - [`pipeline`]: runs the stages, stages the output and promotes it;
//! - [`cli`]: the command-line front end.
#![forbid(unsafe_code)]

pub mod background;
pub mod cli;
pub mod config;
pub mod data;
pub mod demo;
pub mod drivers;
pub mod engine;
pub mod error;
pub mod format;
pub mod forward;
pub mod kpis;
pub mod output;
pub mod pareto;
pub mod pipeline;
pub mod renewals;
pub mod report;
pub mod results;
pub mod spc;
pub mod stats;
pub mod survival;
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
