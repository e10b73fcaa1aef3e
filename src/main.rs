//! The `churnlab` binary: parses arguments, runs the library, prints the
//! error chain and maps it to an exit code (2 for bad input, 1 otherwise).
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

/// jemalloc with transparent huge pages (Cargo.toml says why).
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = churnlab::cli::Cli::parse();
    match churnlab::cli::dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if churnlab::cli::is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e:#}");
            ExitCode::from(churnlab::cli::exit_code(&e))
        }
    }
}
