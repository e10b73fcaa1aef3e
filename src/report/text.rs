//! Plain-text renderings for the terminal.

use std::fmt::Write;

use super::format::{percent, sig, thousands};
use crate::data::LoadSummary;

/// What `churnlab validate` prints.
pub fn load_summary(s: &LoadSummary) -> String {
    let mut o = String::new();
    let a = &s.accounts;
    let _ = writeln!(o, "study: {}", s.study);
    let _ = writeln!(o, "accounts: {} ({} rows)", a.path, thousands(a.rows));
    let _ = writeln!(
        o,
        "  churned: {} of {} ({})",
        thousands(a.churned),
        thousands(a.rows),
        percent(a.churn_rate, 2)
    );
    let _ = writeln!(o, "  ids: {}", a.ids);
    if let Some(r) = &a.reason_column {
        let _ = writeln!(o, "  reason: {r}");
    }
    if let (Some(c), Some(t)) = (&a.revenue_column, a.total_revenue) {
        let _ = writeln!(o, "  revenue: {c} (total {t:.2})");
    }
    for seg in &s.segments {
        let levels: Vec<String> = seg
            .levels
            .iter()
            .take(8)
            .map(|(l, n)| format!("{l} {}", thousands(*n)))
            .collect();
        let more = if seg.levels.len() > 8 {
            format!(", … ({} levels)", seg.levels.len())
        } else {
            String::new()
        };
        let _ = writeln!(o, "  segment {}: {}{more}", seg.column, levels.join(", "));
    }
    let _ = writeln!(o, "drivers:");
    let w = s
        .drivers
        .iter()
        .map(|d| d.column.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let _ = writeln!(
        o,
        "  {:w$}  {:11}  {:>9}  {:>9}  {:>12}  {}",
        "column", "kind", "n", "missing", "mean/levels", "flags"
    );
    for d in &s.drivers {
        let spread = match (d.mean, d.levels) {
            (Some(m), _) => sig(m),
            (None, Some(l)) => format!("{l} levels"),
            _ => "–".into(),
        };
        let mut flags = vec![
            if d.controllable {
                "controllable"
            } else {
                "not controllable"
            }
            .to_string(),
            format!("{:?}", d.indicator).to_lowercase(),
        ];
        if d.constant {
            flags.push("CONSTANT".into());
        }
        let _ = writeln!(
            o,
            "  {:w$}  {:11}  {:>9}  {:>9}  {:>12}  {}",
            d.column,
            d.kind.as_str(),
            thousands(d.n),
            thousands(d.missing),
            spread,
            flags.join(", ")
        );
    }
    if let Some(r) = &s.revenue {
        let _ = writeln!(
            o,
            "revenue: {} ({} rows, {} to {}, {} months)",
            r.path,
            thousands(r.rows),
            r.first_month,
            r.last_month,
            r.months
        );
    }
    if s.warnings.is_empty() {
        let _ = writeln!(o, "warnings: none");
    } else {
        let _ = writeln!(o, "warnings ({}):", s.warnings.len());
        for w in &s.warnings {
            let _ = writeln!(o, "  - {}", w.message);
        }
    }
    o
}
