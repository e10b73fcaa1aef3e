//! The Spark engine, through Apache's Spark Connect client for Rust: each
//! pass is one Spark SQL query the cluster plans and runs on its
//! executors; only its small answer comes back (as Arrow, decoded by the
//! client).

// The client's own error type is large; it is only passed on, never stored.
#![allow(clippy::result_large_err)]

use spark_connect::row::Value;
use spark_connect::{SparkError, SparkSession};

use super::{Backend, Cell, Dialect};
use crate::error::{Error, Result};

pub(super) struct Spark {
    session: SparkSession,
    target: String,
}

impl Spark {
    pub(super) fn connect(url: &str, target: &str) -> Result<Self> {
        let session = SparkSession::builder()
            .remote(url)
            .get_or_create()
            .map_err(|e| Error::Engine {
                target: target.to_string(),
                message: format!("cannot connect ({})", first_line(&e.message())),
            })?;
        Ok(Spark {
            session,
            target: target.to_string(),
        })
    }

    fn error(&self, e: SparkError) -> Error {
        // Spark sends SQL states like PostgreSQL's; its error classes say
        // the same where a state is missing.
        let input = e.get_error_class().is_some_and(|c| {
            [
                "TABLE_OR_VIEW_NOT_FOUND",
                "UNRESOLVED_COLUMN",
                "PARSE_SYNTAX_ERROR",
                "PATH_NOT_FOUND",
            ]
            .iter()
            .any(|k| c.starts_with(k))
        });
        let message = first_line(&e.message());
        super::backend_error(e.sql_state.as_deref(), input, message, &self.target)
    }
}

/// The first line of a server message (the rest is its JVM stack).
fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

fn cell(v: &Value) -> Cell {
    match v {
        Value::Null => Cell::Null,
        Value::Bool(b) => Cell::Text(b.to_string()),
        Value::Byte(i) => Cell::Int(i64::from(*i)),
        Value::Short(i) => Cell::Int(i64::from(*i)),
        Value::Integer(i) => Cell::Int(i64::from(*i)),
        Value::Long(i) => Cell::Int(*i),
        Value::Float(x) => Cell::Float(f64::from(*x)),
        Value::Double(x) => Cell::Float(*x),
        Value::String(s) => Cell::Text(s.clone()),
        Value::Decimal { value, .. } => Cell::Text(value.clone()),
        other => Cell::Text(format!("{other:?}")),
    }
}

impl Backend for Spark {
    fn dialect(&self) -> Dialect {
        Dialect::Spark
    }

    fn query(&mut self, sql: &str) -> Result<Vec<Vec<Cell>>> {
        let rows = self
            .session
            .sql(sql)
            .and_then(|df| df.collect())
            .map_err(|e| self.error(e))?;
        Ok(rows
            .iter()
            .map(|r| r.values().iter().map(cell).collect())
            .collect())
    }

    fn columns(&mut self, sql: &str) -> Result<Vec<String>> {
        self.session
            .sql(sql)
            .and_then(|df| df.columns())
            .map_err(|e| self.error(e))
    }
}
