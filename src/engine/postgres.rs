//! The PostgreSQL engine, through the synchronous `postgres` client (the
//! one the KPI feed uses). Answers come as text (the simple query
//! protocol): PostgreSQL writes floats as their shortest round-trip digits,
//! so a number reads back exactly.

use postgres::{Client, NoTls, SimpleQueryMessage};

use super::{Backend, Cell, Dialect};
use crate::error::{Error, Result};

pub(super) struct Pg {
    client: Client,
    target: String,
}

impl Pg {
    /// Connects; a password or user the URL leaves out comes from
    /// `PGPASSWORD` / `PGUSER`, as libpq's clients do.
    pub(super) fn connect(url: &str, target: &str) -> Result<Self> {
        let fail = |why: String| Error::Engine {
            target: target.to_string(),
            message: why,
        };
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e| fail(format!("not a PostgreSQL URL ({e})")))?;
        if config.get_password().is_none() {
            if let Ok(pw) = std::env::var("PGPASSWORD") {
                config.password(pw);
            }
        }
        if config.get_user().is_none() {
            if let Ok(u) = std::env::var("PGUSER") {
                config.user(&u);
            }
        }
        let mut client = config.connect(NoTls).map_err(|e| {
            fail(format!(
                "cannot connect to host {} database {} ({})",
                hosts(&config),
                config.get_dbname().unwrap_or("(default)"),
                scrub(&e.to_string())
            ))
        })?;
        // The passes are wide generated expressions over many rows, whose
        // LLVM compilation (PostgreSQL's JIT, on by default from version
        // 12) costs far more than it saves: on the period pass over 945k
        // revenue rows the JIT took 23 s of a 17 s query (its workers
        // compiling in parallel), the query without it 1–2 s. A server
        // without the setting (before version 11) has no JIT to turn off.
        let _ = client.batch_execute("SET jit = off");
        Ok(Pg {
            client,
            target: target.to_string(),
        })
    }

    fn error(&self, e: postgres::Error) -> Error {
        let message = match e.as_db_error() {
            Some(db) => db.message().to_string(),
            None => e.to_string(),
        };
        super::backend_error(
            e.code().map(|c| c.code()),
            false,
            scrub(&message),
            &self.target,
        )
    }
}

/// The hosts of a config, for messages.
fn hosts(c: &postgres::Config) -> String {
    let ports = c.get_ports();
    c.get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let name = match h {
                postgres::config::Host::Tcp(s) => s.clone(),
                postgres::config::Host::Unix(p) => p.display().to_string(),
            };
            match ports.get(i).or(ports.first()) {
                Some(p) => format!("{name}:{p}"),
                None => name,
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A driver message with any `password=…` it might quote removed.
fn scrub(s: &str) -> String {
    match s.find("password") {
        Some(i) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

impl Backend for Pg {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn query(&mut self, sql: &str) -> Result<Vec<Vec<Cell>>> {
        let messages = match self.client.simple_query(sql) {
            Ok(m) => m,
            Err(e) => return Err(self.error(e)),
        };
        let mut rows = Vec::new();
        for m in messages {
            if let SimpleQueryMessage::Row(r) = m {
                rows.push(
                    (0..r.len())
                        .map(|i| r.get(i).map_or(Cell::Null, |t| Cell::Text(t.to_string())))
                        .collect(),
                );
            }
        }
        Ok(rows)
    }

    fn columns(&mut self, sql: &str) -> Result<Vec<String>> {
        match self.client.prepare(sql) {
            Ok(st) => Ok(st.columns().iter().map(|c| c.name().to_string()).collect()),
            Err(e) => Err(self.error(e)),
        }
    }
}
