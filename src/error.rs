//! The library's one error type. Every message names the thing that is wrong
//! (file, column, 1-based data row, value, key or flag) and what was expected,
//! so a user can fix the input without reading the code.

use std::path::PathBuf;

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in churnlab.
///
/// Row numbers are 1-based and count data rows only (the header is not a row).
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be opened, read or written.
    #[error("{}: {action}", path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },

    /// The study config is not valid TOML or breaks a rule of its schema.
    #[error("{}: {message}", path.display())]
    Config { path: PathBuf, message: String },

    /// A whole input file is unusable (empty, header only, unknown format,
    /// not UTF-8, a ragged row, …).
    #[error("{}: {message}", path.display())]
    File { path: PathBuf, message: String },

    /// A column the config names is not in the file.
    #[error("{}: column `{column}` (the {role}) is not in the file{hint}", path.display())]
    MissingColumn {
        path: PathBuf,
        column: String,
        role: String,
        /// Either empty or a sentence starting with "; " (a nearest name, or the list of columns).
        hint: String,
    },

    /// One cell breaks a rule: wrong type, out of range, missing where required.
    #[error("{}, column `{column}`, row {row}: value `{}` {problem}", path.display(), visible(value))]
    Value {
        path: PathBuf,
        column: String,
        row: usize,
        value: String,
        problem: String,
    },

    /// A rule about the whole column or table is broken (duplicate ids,
    /// revenue rows for unknown accounts, …).
    #[error("{}, column `{column}`: {message}", path.display())]
    Column {
        path: PathBuf,
        column: String,
        message: String,
    },

    /// The input cannot support what was asked of it (a control chart that
    /// does not fit the series: an np chart with varying sizes, too few
    /// points): bad input the user must change, exit 2.
    #[error("{what}: {message}")]
    Input { what: &'static str, message: String },

    /// The data is valid but an analysis cannot run on it (for example no
    /// churned accounts at all).
    #[error("{analysis}: {message}")]
    Analysis {
        analysis: &'static str,
        message: String,
    },

    /// A command-line argument is not usable.
    #[error("{flag}: {message}")]
    Usage { flag: String, message: String },

    /// The output folder exists and `--force` was not given.
    #[error("{}: the output folder already exists; pass --force to replace it, or choose another --out", path.display())]
    OutputExists { path: PathBuf },

    /// A renderer could not draw a chart or fill the report template (a bug,
    /// or a resource such as the embedded font failing).
    #[error("{what}: {message}")]
    Render { what: String, message: String },

    /// The KPI feed could not be written to its database.
    #[error("KPI database {target}: {message}")]
    Database { target: String, message: String },

    /// A table or query on a SQL engine is unusable (it does not exist, its
    /// SQL does not run, it has no rows): bad config or input, exit 2.
    #[error("{table}: {message}")]
    Table { table: String, message: String },

    /// A rule about a whole column of an engine's table is broken (a column
    /// missing, duplicate keys, keys unknown to the accounts table, …).
    #[error("{table}, column `{column}`: {message}")]
    TableColumn {
        table: String,
        column: String,
        message: String,
    },

    /// One value in an engine's table breaks a rule; `key` names its row
    /// (the id column and value, as a table has no row numbers).
    #[error(
        "{table}, column `{column}`, {key}: value `{}` {problem}",
        visible(value)
    )]
    TableValue {
        table: String,
        column: String,
        key: String,
        value: String,
        problem: String,
    },

    /// A SQL engine cannot be reached or failed while answering (the target
    /// named by host and database, never with its password).
    #[error("engine {target}: {message}")]
    Engine { target: String, message: String },

    /// An error from polars that no more specific rule explained.
    #[error("polars: {0}")]
    Polars(#[from] polars::prelude::PolarsError),

    /// JSON (de)serialisation of a result model.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

/// `s` with control characters written as escapes (`\u{0}`), so that a
/// NUL or an escape sequence quoted from a file cannot garble the terminal.
pub fn visible(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

impl Error {
    /// Shorthand for an [`Error::Io`] with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, action: &'static str, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            action,
            source,
        }
    }
}
