//! The period KPIs for a terminal: one grain's rows, then the latest TTM
//! and YTD, as `churnlab kpis` prints them from files or an engine.

use std::fmt::Write;

use crate::format::{money, percent, thousands};
use crate::kpis::{Grain, PeriodKpis};

/// Writes the period table of `grain` and the latest TTM and YTD rows.
pub fn periods(o: &mut String, p: &PeriodKpis, grain: Grain) {
    let pct = |x: Option<f64>| x.map_or("–".to_string(), |v| percent(v, 1));
    let pp = |x: Option<f64>| x.map_or(String::new(), |v| format!("{:+.1} pp", 100.0 * v));
    let _ = writeln!(
        o,
        "Period KPIs by {} ({} to {}); * = partial period",
        grain.as_str(),
        p.first_month,
        p.last_month
    );
    let _ = writeln!(
        o,
        "  {:9}  {:>8}  {:>7}  {:>6}  {:>10}  {:>7}  {:>7}  {:>10}  {:>9}",
        "period", "cohort", "churned", "new", "logo churn", "GRR", "NRR", "ARPA", "GRR chg"
    );
    let rows: Vec<_> = p.of(grain).collect();
    for (i, row) in rows.iter().enumerate() {
        let prev = i
            .checked_sub(1)
            .map(|j| rows[j])
            .filter(|q| !q.partial && !row.partial);
        let chg = prev.and_then(|q| row.grr.zip(q.grr).map(|(a, b)| a - b));
        let _ = writeln!(
            o,
            "  {:9}  {:>8}  {:>7}  {:>6}  {:>10}  {:>7}  {:>7}  {:>10}  {:>9}",
            format!("{}{}", row.period, if row.partial { "*" } else { "" }),
            thousands(row.counts.cohort),
            thousands(row.counts.churned),
            thousands(row.counts.new),
            pct(row.logo_churn_rate),
            pct(row.grr),
            pct(row.nrr),
            row.arpa.map_or("–".into(), money),
            pp(chg)
        );
    }
    for g in [Grain::Ttm, Grain::Ytd] {
        if let Some(row) = p.of(g).last() {
            let _ = writeln!(
                o,
                "  {} at {}: GRR {}, NRR {}, logo churn {} of {} accounts ({} → {})",
                g.as_str().to_uppercase(),
                row.period,
                pct(row.grr),
                pct(row.nrr),
                pct(row.logo_churn_rate),
                thousands(row.counts.cohort),
                row.start_month,
                row.end_month
            );
        }
    }
    let _ = writeln!(o);
}
