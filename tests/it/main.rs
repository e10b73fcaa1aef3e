//! Integration tests, one crate. Most drive the real `churnlab` binary as a
//! user would (`assert_cmd`): loading, malformed input, Pareto, control
//! charts, the report. The reference and planted-truth checks (`drivers`,
//! `kpis`, `planted`) call the library too, to compare every number of the
//! result structs against statsmodels / scipy / pandas fixtures.

mod common;
mod demo;
mod drivers;
mod engine;
mod engine_kpis;
mod engine_model;
mod engine_run;
mod engine_survival;
mod faults;
mod fuzz_replay;
mod hostile;
mod kpis;
mod loading;
mod malformed;
mod pareto;
mod planted;
mod planted_renewals;
mod planted_survival;
mod properties;
mod renewals;
mod report;
mod slide;
mod spc;
mod survival;
mod survival_reference;
mod text;
mod tolerance;
