//! Where a study's tables live, as the user writes it: `[engine] url` or
//! `--engine`. Messages name the server by host and database, never with
//! its password or token.

use crate::error::{Error, Result};

/// A SQL engine the study's passes can run on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineUrl {
    /// `postgres://user[:password]@host[:port]/database` (or `postgresql://`).
    Postgres(String),
    /// `sc://host:port[/;token=…]`: a Spark Connect server.
    Spark(String),
}

impl EngineUrl {
    /// Reads an engine URL; `in-memory` (or `memory`) means none: the
    /// tables are files read into memory.
    ///
    /// # Errors
    /// [`Error::Usage`] naming `flag` for any other scheme.
    pub fn parse(spec: &str, flag: &str) -> Result<Option<Self>> {
        let s = spec.trim();
        if s.eq_ignore_ascii_case("in-memory") || s.eq_ignore_ascii_case("memory") {
            return Ok(None);
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(Some(EngineUrl::Postgres(s.to_string())));
        }
        if s.starts_with("sc://") {
            return Ok(Some(EngineUrl::Spark(s.to_string())));
        }
        Err(Error::Usage {
            flag: flag.to_string(),
            message: format!(
                "`{}` is not an engine: use postgres://user@host:port/database (PostgreSQL), sc://host:15002 (Spark Connect) or in-memory",
                redact(s)
            ),
        })
    }

    /// The engine for messages: its kind, host and database, no secrets.
    pub fn describe(&self) -> String {
        match self {
            EngineUrl::Postgres(u) => format!("PostgreSQL {}", redact(u)),
            EngineUrl::Spark(u) => format!("Spark Connect {}", redact(u)),
        }
    }
}

/// `scheme://user:secret@host/db` → `scheme://user:***@host/db`, and a
/// Spark Connect `;token=…` parameter → `;token=***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (rest, params) = match rest.split_once(';') {
        Some((r, p)) => (r, Some(p)),
        None => (rest, None),
    };
    let mut out = match rest.rsplit_once('@') {
        Some((cred, host)) => match cred.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => format!("{scheme}://{rest}"),
        },
        None => format!("{scheme}://{rest}"),
    };
    if let Some(p) = params {
        for kv in p.split(';') {
            let (k, _) = kv.split_once('=').unwrap_or((kv, ""));
            if k.eq_ignore_ascii_case("token") {
                out.push_str(&format!(";{k}=***"));
            } else {
                out.push(';');
                out.push_str(kv);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_are_read_and_others_refused() {
        assert_eq!(
            EngineUrl::parse("postgres://u@h/db", "--engine").unwrap(),
            Some(EngineUrl::Postgres("postgres://u@h/db".into()))
        );
        assert_eq!(
            EngineUrl::parse(" sc://127.0.0.1:15002 ", "--engine").unwrap(),
            Some(EngineUrl::Spark("sc://127.0.0.1:15002".into()))
        );
        assert_eq!(EngineUrl::parse("in-memory", "--engine").unwrap(), None);
        let e = EngineUrl::parse("mysql://u:pw@h/db", "--engine").unwrap_err();
        let text = e.to_string();
        assert!(text.contains("mysql://u:***@h/db"), "{text}");
        assert!(!text.contains("pw"), "{text}");
    }

    #[test]
    fn secrets_never_reach_a_message() {
        assert_eq!(
            redact("postgres://me:secret@db:5432/kpis"),
            "postgres://me:***@db:5432/kpis"
        );
        assert_eq!(redact("postgres://me@db/kpis"), "postgres://me@db/kpis");
        assert_eq!(
            redact("sc://spark:15002/;token=abc;user_id=me"),
            "sc://spark:15002/;token=***;user_id=me"
        );
        let d = EngineUrl::Postgres("postgres://a:b@h/d".into()).describe();
        assert!(!d.contains(":b@"), "{d}");
    }
}
