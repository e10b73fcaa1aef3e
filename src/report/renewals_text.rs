//! What `churnlab renewals --format table` prints: where the renewals come
//! from, and the renewal KPIs of everyone per period of one grain.

use std::fmt::Write;

use crate::config::Grain;
use crate::format::{money, percent, thousands};
use crate::renewals::RenewalReport;

/// The renewal KPIs of everyone at `grain`, one line per period.
pub fn renewals(r: &RenewalReport, grain: Grain) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "renewals: {} ({} renewed, {} churned, {} open, {} late) from {}; as of {}, term {} months",
        thousands(r.renewals),
        thousands(r.renewed),
        thousands(r.churned),
        thousands(r.open),
        thousands(r.late),
        r.source,
        r.as_of,
        r.term_months
    );
    let _ = writeln!(
        o,
        "\n  {:8}  {:>6}  {:>14}  {:>14}  {:>7}  {:>7}  {:>7}  {:>7}  {:>7}  {:>6}  {:>5}",
        grain.as_str(),
        "due",
        "quota",
        "closed",
        "closed%",
        "gross$",
        "net$",
        "logo",
        "attain",
        "open",
        "late"
    );
    let pc = |x: Option<f64>| x.map_or("–".into(), |v| percent(v, 1));
    for x in r.of(grain, "all") {
        let s = &x.sums;
        let _ = writeln!(
            o,
            "  {:8}  {:>6}  {:>14}  {:>14}  {:>7}  {:>7}  {:>7}  {:>7}  {:>7}  {:>6}  {:>5}",
            x.period,
            thousands(s.due),
            money(s.quota),
            money(s.closed),
            pc(x.closed_share),
            pc(x.gross_dollar_renewal_rate),
            pc(x.net_dollar_renewal_rate),
            pc(x.logo_renewal_rate),
            pc(x.quota_attainment),
            thousands(s.open),
            thousands(s.late)
        );
    }
    let _ = writeln!(
        o,
        "\nEvery grain (month, quarter, YTD), segment and owner: --format csv or json."
    );
    o
}

/// `validate`'s line on the renewals loaded, when the study has them.
pub fn renewals_line(s: &crate::data::LoadSummary) -> Option<String> {
    let r = s.renewals.as_ref()?;
    Some(format!(
        "renewals: {} rows ({} open), due {} to {}, as of {}, from {}",
        thousands(r.rows),
        thousands(r.open),
        r.first_due.as_deref().unwrap_or("–"),
        r.last_due.as_deref().unwrap_or("–"),
        r.as_of,
        r.source
    ))
}
