//! Integration tests: drive the real `churnlab` binary as a user would.

mod common;
mod demo;
mod drivers;
mod kpis;
mod loading;
mod malformed;
mod pareto;
mod planted;
mod report;
mod spc;
