//! Reading one input table (CSV, Parquet or NDJSON, chosen by extension) with
//! polars, and turning reader failures into errors that name the row.
//!
//! The fast path lets polars parse typed columns in parallel. When polars
//! rejects a file, a second pass reads every column as text so the typed
//! parsers in [`super::parse`] can point at the offending cell, and a
//! record-by-record scan with the `csv` crate explains structural faults
//! (ragged rows, bytes that are not UTF-8).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;

use super::guard::guarded;
use crate::config::nearest;
use crate::error::{Error, Result};

/// The on-disk formats churnlab reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Parquet,
    Ndjson,
}

impl Format {
    /// The format implied by the file extension.
    ///
    /// # Errors
    /// [`Error::File`] for any other extension.
    pub fn from_path(path: &Path) -> Result<Self> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "csv" | "txt" => Ok(Format::Csv),
            "parquet" | "pq" => Ok(Format::Parquet),
            "ndjson" | "jsonl" => Ok(Format::Ndjson),
            _ => Err(Error::File {
                path: path.to_path_buf(),
                message: format!(
                    "cannot tell the format from the extension `{ext}`; churnlab reads .csv, .parquet and .ndjson/.jsonl (export spreadsheets as CSV)"
                ),
            }),
        }
    }
}

/// How a requested column should be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Keep as text (ids, labels, dates): never let inference turn `00123` into 123.
    Text,
    /// Read as a 64-bit float where the format allows it.
    Number,
    /// Let the reader decide (booleans, 0/1 flags, mixed).
    Any,
}

/// A column the caller needs, with the role it plays (for messages).
#[derive(Debug, Clone)]
pub struct ColumnRequest {
    pub name: String,
    pub role: String,
    pub want: Want,
}

impl ColumnRequest {
    pub fn new(name: &str, role: impl Into<String>, want: Want) -> Self {
        ColumnRequest {
            name: name.to_string(),
            role: role.into(),
            want,
        }
    }
}

/// A table read from disk: only the requested columns, in the file's types.
#[derive(Debug)]
pub struct Table {
    pub path: PathBuf,
    pub df: DataFrame,
}

impl Table {
    /// Number of data rows.
    pub fn rows(&self) -> usize {
        self.df.height()
    }

    /// A requested column (present by construction).
    pub fn column(&self, name: &str) -> Result<&Column> {
        Ok(self.df.column(name)?)
    }
}

/// Options that change how a table is read.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    /// Scan every CSV record for ragged rows and non-UTF-8 bytes even when
    /// polars accepts the file (polars pads short rows with nulls silently).
    pub strict_structure: bool,
}

/// Reads the requested columns of a table.
///
/// # Errors
/// A missing or unreadable file, an unknown extension, an empty file, a file
/// with a header but no rows, a missing column (with the nearest name), a
/// ragged row, bytes that are not UTF-8, or a polars failure with the file named.
pub fn read_table(path: &Path, requests: &[ColumnRequest], opts: ReadOptions) -> Result<Table> {
    let format = Format::from_path(path)?;
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::File {
            path: path.to_path_buf(),
            message: "file not found (relative paths resolve against the study config's folder)"
                .into(),
        },
        _ => Error::io(path, "cannot open file", e),
    })?;
    if meta.is_dir() {
        return Err(Error::File {
            path: path.to_path_buf(),
            message: "is a folder, not a file".into(),
        });
    }
    if meta.len() == 0 {
        return Err(Error::File {
            path: path.to_path_buf(),
            message: "the file is empty; expected a header row and at least one data row".into(),
        });
    }
    // polars may panic on a damaged file (a truncated Parquet page): guarded.
    let df = match format {
        Format::Csv => guarded(path, "CSV", || read_csv(path, requests, opts))?,
        Format::Parquet => guarded(path, "Parquet", || read_parquet(path, requests))?,
        Format::Ndjson => guarded(path, "NDJSON", || read_ndjson(path, requests))?,
    };
    if df.height() == 0 {
        return Err(Error::File {
            path: path.to_path_buf(),
            message: "the file has a header but no data rows".into(),
        });
    }
    Ok(Table {
        path: path.to_path_buf(),
        df,
    })
}

/// Checks every requested column is among `available`, naming the nearest
/// one if not, and appears once: with two columns of one name, which one
/// the study reads would be a guess.
fn check_columns(path: &Path, available: &[String], requests: &[ColumnRequest]) -> Result<()> {
    for r in requests {
        let at: Vec<usize> = (0..available.len())
            .filter(|&k| available[k] == r.name)
            .collect();
        if at.len() > 1 {
            let positions: Vec<String> = at.iter().map(|k| (k + 1).to_string()).collect();
            return Err(Error::File {
                path: path.to_path_buf(),
                message: format!(
                    "the header names `{}` (the {}) {} times, at columns {}; rename or remove the extra ones so that each column name is used once",
                    r.name,
                    r.role,
                    at.len(),
                    positions.join(" and ")
                ),
            });
        }
        if !available.iter().any(|a| a == &r.name) {
            let hint = if let Some(same) = available
                .iter()
                .find(|a| a.trim().eq_ignore_ascii_case(r.name.trim()))
            {
                format!(
                    "; the file has `{same}` (names must match exactly, including case and spaces)"
                )
            } else if let Some(near) = nearest(&r.name, available) {
                format!("; did you mean `{near}`?")
            } else {
                let mut shown: Vec<&str> = available.iter().take(12).map(String::as_str).collect();
                if available.len() > 12 {
                    shown.push("…");
                }
                format!("; its columns are: {}", shown.join(", "))
            };
            return Err(Error::MissingColumn {
                path: path.to_path_buf(),
                column: r.name.clone(),
                role: r.role.clone(),
                hint,
            });
        }
    }
    Ok(())
}

fn unique_names(requests: &[ColumnRequest]) -> Vec<&ColumnRequest> {
    let mut out: Vec<&ColumnRequest> = Vec::new();
    for r in requests {
        if !out.iter().any(|o| o.name == r.name) {
            out.push(r);
        }
    }
    out
}

/// The header of a CSV file, BOM removed, via the `csv` crate (quotes handled).
fn csv_header(path: &Path) -> Result<Vec<String>> {
    let file = File::open(path).map_err(|e| Error::io(path, "cannot open file", e))?;
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(file);
    let header = rdr.byte_headers().map_err(|e| Error::File {
        path: path.to_path_buf(),
        message: format!("cannot read the header row: {e}"),
    })?;
    let mut names = Vec::with_capacity(header.len());
    for (i, raw) in header.iter().enumerate() {
        let raw = if i == 0 {
            raw.strip_prefix(b"\xef\xbb\xbf").unwrap_or(raw)
        } else {
            raw
        };
        let name = std::str::from_utf8(raw).map_err(|_| Error::File {
            path: path.to_path_buf(),
            message: format!(
                "header field {} contains bytes that are not UTF-8 (`{}`); save the file as UTF-8",
                i + 1,
                String::from_utf8_lossy(raw)
            ),
        })?;
        names.push(name.to_string());
    }
    if names.iter().all(|n| n.trim().is_empty()) {
        return Err(Error::File {
            path: path.to_path_buf(),
            message: "the first line is blank; expected a header row with column names".into(),
        });
    }
    Ok(names)
}

/// The cell of `column` in data row `idx` (0-based) of a CSV file, exactly
/// as written (trimmed), for error messages: polars reads `1e400` as `inf`
/// and `NaN` as a float, and the user must see what the file says. `None`
/// for other formats or when the cell cannot be found. Reads the file again:
/// for the error path only.
pub fn raw_cell(path: &Path, column: &str, idx: usize) -> Option<String> {
    if Format::from_path(path).ok()? != Format::Csv {
        return None;
    }
    let at = csv_header(path).ok()?.iter().position(|n| n == column)?;
    let file = File::open(path).ok()?;
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(file);
    let record = rdr.byte_records().nth(idx)?.ok()?;
    Some(String::from_utf8_lossy(record.get(at)?).trim().to_string())
}

fn read_csv(path: &Path, requests: &[ColumnRequest], opts: ReadOptions) -> Result<DataFrame> {
    let header = csv_header(path)?;
    check_columns(path, &header, requests)?;
    // The structure check (one core) runs beside polars' read (the others);
    // its error, naming the row, wins over whatever polars made of the file.
    let (structure, df) = rayon::join(
        || {
            if opts.strict_structure {
                check_csv_structure(path, header.len())
            } else {
                Ok(())
            }
        },
        || polars_csv(path, requests, header.len()),
    );
    structure?;
    let df = df?;
    // Spreadsheet exports often end with blank lines; polars reads each as a
    // row of nulls. Those rows (and only all-null ones) are dropped.
    let k = trailing_blank_lines(path)?.min(df.height());
    if k == 0 {
        return Ok(df);
    }
    let tail = df.slice((df.height() - k) as i64, k);
    let blank = tail.columns().iter().all(|c| c.null_count() == c.len());
    Ok(if blank {
        df.slice(0, df.height() - k)
    } else {
        df
    })
}

/// How many lines at the end of the file are empty (or only a `\r`): the
/// blank lines a spreadsheet export leaves after its last row.
pub(crate) fn trailing_blank_lines(path: &Path) -> Result<usize> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = File::open(path).map_err(|e| Error::io(path, "cannot open file", e))?;
    let len = f
        .metadata()
        .map_err(|e| Error::io(path, "cannot open file", e))?
        .len();
    let take = len.min(64 * 1024);
    f.seek(SeekFrom::Start(len - take))
        .map_err(|e| Error::io(path, "cannot read file", e))?;
    let mut buf = Vec::with_capacity(take as usize);
    f.read_to_end(&mut buf)
        .map_err(|e| Error::io(path, "cannot read file", e))?;
    // Lines after the last newline-terminated content line.
    let mut lines: Vec<&[u8]> = buf.split(|b| *b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    Ok(lines
        .iter()
        .rev()
        .take_while(|l| l.iter().all(|b| *b == b'\r' || *b == b' '))
        .count())
}

/// Reads the requested columns with polars: typed first, all text when that
/// fails (so the typed parsers can point at the cell).
fn polars_csv(path: &Path, requests: &[ColumnRequest], n_header: usize) -> Result<DataFrame> {
    let wanted = unique_names(requests);
    let columns: Arc<[PlSmallStr]> = wanted
        .iter()
        .map(|r| PlSmallStr::from(r.name.as_str()))
        .collect();
    let mut schema = Schema::with_capacity(wanted.len());
    for r in &wanted {
        match r.want {
            Want::Text => {
                schema.with_column(r.name.as_str().into(), DataType::String);
            }
            Want::Number => {
                schema.with_column(r.name.as_str().into(), DataType::Float64);
            }
            Want::Any => {}
        }
    }
    let fast = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(10_000))
        .with_columns(Some(columns.clone()))
        .with_schema_overwrite(Some(Arc::new(schema)))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .and_then(|r| r.finish());
    match fast {
        Ok(df) => Ok(df),
        Err(fast_err) => {
            // Second pass: everything as text, so the typed parsers can point at the cell.
            let text = CsvReadOptions::default()
                .with_has_header(true)
                .with_infer_schema_length(Some(0))
                .with_columns(Some(columns))
                .try_into_reader_with_file_path(Some(path.to_path_buf()))
                .and_then(|r| r.finish());
            match text {
                Ok(df) => Ok(df),
                Err(_) => {
                    scan_csv_structure(path, n_header)?;
                    Err(Error::File {
                        path: path.to_path_buf(),
                        message: format!("cannot be read as CSV: {fast_err}"),
                    })
                }
            }
        }
    }
}

/// Checks every row has as many fields as the header and the file is UTF-8.
///
/// Fast path: a file that is valid UTF-8 and has no quote characters is
/// checked by counting separators per line. Anything else, or any fault
/// found, goes through the `csv` crate to name the row.
fn check_csv_structure(path: &Path, n_header: usize) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, "cannot read file", e))?;
    if memchr::memchr(b'"', &bytes).is_none()
        && (bytes.is_ascii() || std::str::from_utf8(&bytes).is_ok())
    {
        // Line by line with SIMD searches: the header is skipped, and a
        // last line without a newline is checked too.
        let mut start = memchr::memchr(b'\n', &bytes).map_or(bytes.len(), |k| k + 1);
        let mut ok = true;
        while start < bytes.len() && ok {
            let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |k| start + k);
            let line = &bytes[start..end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            ok = line.is_empty() || memchr::memchr_iter(b',', line).count() + 1 == n_header;
            start = end + 1;
        }
        if ok {
            return Ok(());
        }
    }
    drop(bytes);
    scan_csv_structure(path, n_header)
}

/// Record-by-record scan for ragged rows and non-UTF-8 bytes, naming the row.
fn scan_csv_structure(path: &Path, n_header: usize) -> Result<()> {
    let file = File::open(path).map_err(|e| Error::io(path, "cannot open file", e))?;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .buffer_capacity(1 << 20)
        .from_reader(std::io::BufReader::with_capacity(1 << 20, file));
    let header: Vec<String> = rdr
        .byte_headers()
        .map(|h| {
            h.iter()
                .map(|f| {
                    String::from_utf8_lossy(f)
                        .trim_start_matches('\u{feff}')
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default();
    let mut rec = csv::ByteRecord::new();
    let mut row = 0usize;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                row += 1;
                if rec.len() != n_header {
                    let line = rec.position().map(|p| p.line()).unwrap_or(0);
                    return Err(Error::File {
                        path: path.to_path_buf(),
                        message: format!(
                            "row {row} (line {line}) has {} fields but the header has {n_header}; a ragged row (look for an unquoted comma or a missing field)",
                            rec.len()
                        ),
                    });
                }
                for (i, field) in rec.iter().enumerate() {
                    if std::str::from_utf8(field).is_err() {
                        return Err(Error::Value {
                            path: path.to_path_buf(),
                            column: header
                                .get(i)
                                .cloned()
                                .unwrap_or_else(|| format!("#{}", i + 1)),
                            row,
                            value: String::from_utf8_lossy(field).into_owned(),
                            problem: "contains bytes that are not UTF-8; save the file as UTF-8"
                                .into(),
                        });
                    }
                }
            }
            Err(e) => {
                return Err(Error::File {
                    path: path.to_path_buf(),
                    message: format!("row {}: not valid CSV: {e}", row + 1),
                })
            }
        }
    }
    Ok(())
}

fn read_parquet(path: &Path, requests: &[ColumnRequest]) -> Result<DataFrame> {
    let file = File::open(path).map_err(|e| Error::io(path, "cannot open file", e))?;
    let bad = |e: PolarsError| Error::File {
        path: path.to_path_buf(),
        message: format!("cannot be read as Parquet: {e}"),
    };
    let mut reader = ParquetReader::new(file);
    let schema = reader.schema().map_err(bad)?;
    let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    check_columns(path, &names, requests)?;
    let cols = unique_names(requests)
        .iter()
        .map(|r| r.name.clone())
        .collect();
    reader.with_columns(Some(cols)).finish().map_err(bad)
}

fn read_ndjson(path: &Path, requests: &[ColumnRequest]) -> Result<DataFrame> {
    let file = File::open(path).map_err(|e| Error::io(path, "cannot open file", e))?;
    let df = JsonReader::new(file)
        .with_json_format(JsonFormat::JsonLines)
        .infer_schema_len(None)
        .finish();
    let df = match df {
        Ok(df) => df,
        Err(e) => {
            scan_ndjson(path)?;
            return Err(Error::File {
                path: path.to_path_buf(),
                message: format!("cannot be read as NDJSON: {e}"),
            });
        }
    };
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    check_columns(path, &names, requests)?;
    let cols: Vec<PlSmallStr> = unique_names(requests)
        .iter()
        .map(|r| PlSmallStr::from(r.name.as_str()))
        .collect();
    Ok(df.select(cols)?)
}

/// Finds the first NDJSON line that is not a JSON object.
fn scan_ndjson(path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, "cannot read file", e))?;
    let mut row = 0;
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() {
            continue;
        }
        row += 1;
        let text = std::str::from_utf8(trimmed).map_err(|_| Error::File {
            path: path.to_path_buf(),
            message: format!(
                "row {row} (line {}) contains bytes that are not UTF-8; save the file as UTF-8",
                i + 1
            ),
        })?;
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(_)) => {}
            Ok(_) => {
                return Err(Error::File {
                    path: path.to_path_buf(),
                    message: format!("row {row} (line {}) is not a JSON object", i + 1),
                })
            }
            Err(e) => {
                return Err(Error::File {
                    path: path.to_path_buf(),
                    message: format!("row {row} (line {}) is not valid JSON: {e}", i + 1),
                })
            }
        }
    }
    Ok(())
}
