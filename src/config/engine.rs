//! `[engine]`: where the tables live when they are not files.

use serde::{Deserialize, Serialize};

/// `[engine]`: the SQL engine the tables live in (`table` / `query` in
/// place of `path` under `[accounts]`, `[revenue]`, `[renewals]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EngineConfig {
    /// `postgres://user@host:port/database` or `sc://host:15002`; a
    /// password comes from the URL or the environment (`PGPASSWORD`).
    pub url: String,
}
