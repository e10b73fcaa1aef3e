//! `churnlab validate`: load a study and report what was loaded.

use std::path::PathBuf;

use super::{load_config, print, Format};
use crate::data::{load_study, LoadSummary};
use crate::report::text;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The study config (TOML).
    #[arg(long, short)]
    pub config: PathBuf,
    /// Print a table for people or JSON for programs.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// The SQL engine the config's tables live in (`postgres://…`,
    /// `sc://host:15002`), over `[engine] url`.
    #[arg(long, value_name = "URL")]
    pub engine: Option<String>,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let mut cfg = load_config(&a.config)?;
    super::engine_override(&mut cfg, &a.engine);
    if super::on_engine(&cfg) {
        let s = crate::pipeline::engine::validate(&cfg)?;
        return match a.format {
            Format::Table => print(&crate::report::engine_text::summary(&s)),
            Format::Json => print(&(serde_json::to_string_pretty(&s)? + "\n")),
        };
    }
    let study = load_study(&cfg)?;
    let summary = LoadSummary::of(&study);
    match a.format {
        Format::Table => print(&text::load_summary(&summary)),
        Format::Json => print(&(serde_json::to_string_pretty(&summary)? + "\n")),
    }
}
