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
        "  {:w$}  {:11}  {:>9}  {:>9}  {:>12}  flags",
        "column", "kind", "n", "missing", "mean/levels"
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

/// A Pareto ranking as an aligned table.
pub fn pareto_ranking(
    title: &str,
    rows: &[crate::pareto::ParetoRow],
    by: crate::pareto::Measure,
) -> String {
    use crate::pareto::Measure;
    let mut o = String::new();
    let _ = writeln!(o, "{title}");
    let w = rows
        .iter()
        .map(|r| r.reason.chars().count())
        .max()
        .unwrap_or(6)
        .clamp(6, 44);
    let other = match by {
        Measure::Frequency => "rank by revenue",
        Measure::Revenue => "rank by count",
    };
    let _ = writeln!(
        o,
        "  {:>3}  {:w$}  {:>8}  {:>14}  {:>7}  {:>7}  {:>15}  vital few",
        "#", "reason", "count", "revenue", "share", "cum.", other
    );
    for r in rows {
        let name: String = if r.reason.chars().count() > w {
            format!("{}…", r.reason.chars().take(w - 1).collect::<String>())
        } else {
            r.reason.clone()
        };
        let _ = writeln!(
            o,
            "  {:>3}  {:w$}  {:>8}  {:>14.2}  {:>7}  {:>7}  {:>15}  {}",
            r.rank,
            name,
            thousands(r.count),
            r.revenue,
            percent(r.share, 1),
            percent(r.cumulative_share, 1),
            r.rank_other,
            if r.vital_few { "yes" } else { "" }
        );
    }
    o
}
