//! The `churnlab` binary: parses arguments, runs the library, prints the
//! error chain and maps it to an exit code (2 for bad input, 1 otherwise).
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

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
