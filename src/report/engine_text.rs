//! The terminal summary of a study's tables checked on an engine.

use std::fmt::Write;

use crate::engine::{
    EngineDrivers, EngineKpis, EngineRenewalKpis, EngineSummary, EngineSurvival, EngineUse,
};

/// `churnlab validate` on an engine, for people.
pub fn summary(s: &EngineSummary) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "engine: {}", s.usage.engine);
    o.push_str(&crate::report::text::load_summary(&s.summary));
    let _ = writeln!(o, "checked in {}", usage(&s.usage));
    o
}

/// Queries and table reads, for people: `12 queries (table reads: …)`,
/// then one line per stage with its queries, reads and seconds.
pub fn usage(u: &EngineUse) -> String {
    let reads = |scans: &[(String, usize)]| -> String {
        let s: Vec<String> = scans.iter().map(|(t, k)| format!("{t} {k}×")).collect();
        s.join(", ")
    };
    let mut o = format!("{} queries (table reads: {})", u.queries, reads(&u.scans));
    for s in &u.stages {
        let _ = write!(
            o,
            "\n  {}: {} queries ({}), {:.2} s",
            s.stage,
            s.queries,
            if s.scans.is_empty() {
                "no table reads".to_string()
            } else {
                reads(&s.scans)
            },
            s.seconds
        );
    }
    o
}

/// `churnlab drivers` on an engine: the report as the in-memory path
/// prints it, and what was asked of the engine.
pub fn drivers(e: &EngineDrivers) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "engine: {}   accounts: {}", e.usage.engine, e.table);
    o.push_str(&crate::report::text::drivers(&e.report));
    let _ = writeln!(o);
    let _ = writeln!(o, "computed in {}", usage(&e.usage));
    o
}

/// `churnlab kpis` on an engine: the report as the in-memory path prints
/// it, and what was asked of the engine.
pub fn kpis(e: &EngineKpis, grain: crate::kpis::Grain) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "engine: {}   accounts: {}", e.usage.engine, e.table);
    o.push_str(&crate::report::text::kpis(&e.report, grain));
    let _ = writeln!(o, "computed in {}", usage(&e.usage));
    o
}

/// `churnlab survival` on an engine: the report as the in-memory path
/// prints it, and what was asked of the engine.
pub fn survival(e: &EngineSurvival) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "engine: {}   accounts: {}", e.usage.engine, e.table);
    o.push_str(&crate::report::survival_text::survival(&e.report));
    if e.n_before_window > 0 {
        let _ = writeln!(
            o,
            "Note: {} accounts ended before the study window began; the survival analysis leaves them out.",
            crate::format::thousands(e.n_before_window)
        );
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "computed in {}", usage(&e.usage));
    o
}

/// `churnlab renewals` on an engine: the renewal KPIs as the in-memory path
/// prints them, and what was asked of the engine.
pub fn renewals(e: &EngineRenewalKpis, grain: crate::kpis::Grain) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "engine: {}   accounts: {}", e.usage.engine, e.table);
    o.push_str(&crate::report::renewals_text::renewals(&e.report, grain));
    let _ = writeln!(o);
    let _ = writeln!(o, "computed in {}", usage(&e.usage));
    o
}
