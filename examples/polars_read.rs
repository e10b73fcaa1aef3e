//! Baseline for the load benchmark: polars alone reading the same files with
//! its defaults (all columns, inferred types), and nothing else.
//!
//! `cargo run --release --example polars_read -- accounts.csv revenue.csv`

use polars::prelude::*;

fn main() -> PolarsResult<()> {
    let mut rows = 0;
    for path in std::env::args().skip(1) {
        let df = CsvReadOptions::default()
            .with_has_header(true)
            .try_into_reader_with_file_path(Some(path.clone().into()))?
            .finish()?;
        rows += df.height();
        eprintln!("{path}: {} rows × {} columns", df.height(), df.width());
    }
    println!("{rows}");
    Ok(())
}
