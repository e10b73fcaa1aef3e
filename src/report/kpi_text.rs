//! The KPIs for a terminal as `churnlab kpis` prints them from files or an
//! engine: one grain's period rows, then the latest TTM and YTD; the
//! account KPIs per group; the owners outside their funnel limits.

use std::fmt::Write;

use crate::format::{money, percent, sig, thousands};
use crate::kpis::{Efficiency, Grain, GroupKpis, PeriodKpis};

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

/// Writes the account KPIs of every group (as of `as_of`) and the owners
/// whose churn rate is outside their funnel limits.
pub fn accounts(
    o: &mut String,
    as_of: &str,
    groups: &[GroupKpis],
    efficiency: Option<&Efficiency>,
) {
    let has_account = groups
        .iter()
        .any(|g| g.nps.is_some() || g.time_to_value.is_some() || !g.means.is_empty());
    if has_account {
        let _ = writeln!(o, "Account KPIs (as of {})", as_of);
        for g in groups {
            let mut parts = vec![format!("{} accounts", thousands(g.accounts))];
            if let Some(n) = &g.nps {
                parts.push(format!(
                    "NPS {:+.1} [{:+.1}, {:+.1}], {} answered",
                    n.nps,
                    n.ci_low,
                    n.ci_high,
                    percent(n.response_rate, 0)
                ));
            }
            if let Some(t) = &g.time_to_value {
                parts.push(format!(
                    "time to value median {} d, p75 {} d",
                    sig(t.median),
                    sig(t.p75)
                ));
            }
            for m in &g.means {
                parts.push(format!("mean {} {}", m.column, sig(m.mean)));
            }
            let _ = writeln!(o, "  {:28}  {}", g.key(), parts.join("; "));
        }
        let _ = writeln!(o);
    }
    if let Some(e) = efficiency {
        let _ = writeln!(o, "{}", super::words::funnel_sentence(e));
        for w in e.owners.iter().filter(|w| w.signal.is_some()) {
            let _ = writeln!(
                o,
                "  {:14} {:>5} accounts  churn {:>7}  limits [{}, {}]  {}",
                w.owner,
                thousands(w.accounts),
                percent(w.logo_churn_rate, 1),
                percent(w.lcl, 1),
                percent(w.ucl, 1),
                w.signal.unwrap_or("")
            );
        }
        let _ = writeln!(o);
    }
}
