//! Writes a CSV file as PARTS Parquet files in a folder (`part-K.parquet`),
//! as a data lake holds a table, for the engine benchmark's Spark runs.
//! The column types are polars' inferred ones.
//!
//! `cargo run --release --example to_parquet -- accounts.csv OUT_DIR 8`

use polars::prelude::*;

fn main() -> PolarsResult<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [csv, out, parts] = args.as_slice() else {
        eprintln!("usage: to_parquet CSV OUT_DIR PARTS");
        std::process::exit(2);
    };
    let parts: usize = parts.parse().unwrap_or(1).max(1);
    let df = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(10_000))
        .try_into_reader_with_file_path(Some(csv.into()))?
        .finish()?;
    std::fs::create_dir_all(out)?;
    let step = df.height().div_ceil(parts);
    for k in 0..parts {
        let mut part = df.slice((k * step) as i64, step);
        let f = std::fs::File::create(format!("{out}/part-{k}.parquet"))?;
        ParquetWriter::new(f).finish(&mut part)?;
    }
    eprintln!(
        "{csv}: {} rows in {parts} Parquet files under {out}",
        df.height()
    );
    Ok(())
}
