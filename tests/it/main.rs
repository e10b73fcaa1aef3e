//! Integration tests: drive the real `churnlab` binary as a user would.

mod common;
mod demo;
mod loading;
mod malformed;
mod pareto;
