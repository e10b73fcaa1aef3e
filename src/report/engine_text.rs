//! The terminal summary of a study's tables checked on an engine.

use std::fmt::Write;

use crate::engine::{EngineModel, EngineSummary, EngineUse};
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
    let _ = writeln!(o, "checked in {}", usage(&s.usage));
    o.push_str("The data contract's checks that run on an engine so far passed: the columns, ids, outcome, labels, drivers and revenue weight; the revenue rows' accounts, months and MRR.\n");
    o
}

/// Queries and table reads, for people: `12 queries (table reads: …)`.
fn usage(u: &EngineUse) -> String {
    let scans: Vec<String> = u.scans.iter().map(|(t, k)| format!("{t} {k}×")).collect();
    format!("{} queries (table reads: {})", u.queries, scans.join(", "))
}

/// `churnlab drivers` on an engine: the model as the in-memory path
/// prints it, the drivers' LR tests, and what was asked of the engine.
pub fn model(m: &EngineModel) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "engine: {}   accounts: {}", m.usage.engine, m.table);
    crate::report::text::model(&mut o, &m.model);
    let _ = writeln!(o);
    let _ = writeln!(o, "Likelihood-ratio test of dropping each driver");
    let w = m
        .lr_tests
        .iter()
        .map(|t| t.driver.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    let _ = writeln!(
        o,
        "  {:w$}  {:>9}  {:>3}  {:>8}",
        "driver", "LR chi²", "df", "p"
    );
    for t in &m.lr_tests {
        let _ = writeln!(
            o,
            "  {:w$}  {:>9.2}  {:>3}  {:>8}",
            t.driver,
            t.statistic,
            t.df,
            crate::format::pvalue(t.p_value)
        );
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "fitted in {}", usage(&m.usage));
    o.push_str("On an engine, `drivers` fits the multivariable model and its LR tests; the univariate screen and the verdicts run on files so far.\n");
    o
}
