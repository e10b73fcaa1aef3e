//! The terminal summary of a study's tables checked on an engine.

use std::fmt::Write;

use crate::engine::EngineSummary;
use crate::format::thousands;

/// `churnlab validate` on an engine, for people.
pub fn summary(s: &EngineSummary) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "engine: {}", s.usage.engine);
    let _ = writeln!(
        o,
        "accounts: {} ({} rows, {} churned)",
        s.table,
        thousands(s.rows),
        thousands(s.churned)
    );
    for (col, levels) in &s.segments {
        let _ = writeln!(o, "  segment {col}: {levels} levels");
    }
    if let Some((table, rows, months)) = &s.revenue {
        let _ = writeln!(
            o,
            "revenue: {table} ({} rows, {months} months)",
            thousands(*rows)
        );
    }
    let scans: Vec<String> = s
        .usage
        .scans
        .iter()
        .map(|(t, k)| format!("{t} {k}×"))
        .collect();
    let _ = writeln!(
        o,
        "checked in {} queries (table reads: {})",
        s.usage.queries,
        scans.join(", ")
    );
    o.push_str("The data contract's checks that run on an engine so far passed: the columns, ids, outcome, labels, drivers and revenue weight; the revenue rows' accounts, months and MRR.\n");
    o
}
