//! The renewals section of `report.html`: where the renewals come from, the
//! quarter-by-quarter renewal KPIs of everyone, and the latest quarter per
//! segment (owners are in `renewal_kpis.csv` and the feed).

use serde::Serialize;

use super::{heads, Cell, Table};
use crate::format::{currency_unit, money, percent, thousands};
use crate::kpis::Grain;
use crate::renewals::{RenewalReport, RenewalRow};
use crate::results::Results;

#[derive(Debug, Clone, Serialize)]
pub(super) struct RenewalsView {
    intro: String,
    quarters: Table,
    segments: Option<Table>,
}

pub(super) fn renewals_view(r: &Results) -> Option<RenewalsView> {
    let rr = r.renewals.as_ref()?;
    let unit = currency_unit(r.currency.as_deref());
    let quarters: Vec<&RenewalRow> = rr.of(Grain::Quarter, "all").collect();
    // The quarter of the as-of date, else the last one with a renewal.
    let current = crate::data::Month::of(rr.as_of).quarter_label();
    let current = quarters
        .iter()
        .find(|q| q.period == current)
        .or(quarters.last())
        .map(|q| q.period.clone());
    let segments = current.and_then(|cq| {
        let rows: Vec<&RenewalRow> = rr
            .rows
            .iter()
            .filter(|x| {
                x.grain == Grain::Quarter && x.period == cq && x.group != "all" && !x.by_owner
            })
            .collect();
        (!rows.is_empty()).then(|| {
            table(
                &format!("Renewals due in {cq}, by segment"),
                "segment",
                &rows,
                &unit,
                |x| x.group.clone(),
            )
        })
    });
    Some(RenewalsView {
        intro: intro(rr),
        quarters: table(
            "Renewals by quarter of the renewal date",
            "quarter",
            &quarters,
            &unit,
            |x| x.period.clone(),
        ),
        segments,
    })
}

fn intro(rr: &RenewalReport) -> String {
    format!(
        "{} renewals ({} renewed, {} churned, {} open, of which {} late) from {}; as of {}, term {} months. The definitions are the data contract's, word for word (see the appendix).",
        thousands(rr.renewals),
        thousands(rr.renewed),
        thousands(rr.churned),
        thousands(rr.open),
        thousands(rr.late),
        rr.source,
        rr.as_of,
        rr.term_months
    )
}

fn table(
    caption: &str,
    first: &str,
    rows: &[&RenewalRow],
    unit: &str,
    label: impl Fn(&RenewalRow) -> String,
) -> Table {
    let quota = format!("quota{unit}");
    let closed = format!("closed{unit}");
    Table {
        caption: caption.to_string(),
        heads: heads(&[
            (first, false),
            ("due", true),
            (quota.as_str(), true),
            (closed.as_str(), true),
            ("closed share", true),
            ("gross $ renewal", true),
            ("net $ renewal", true),
            ("logo renewal", true),
            ("attainment", true),
            ("open", true),
            ("late", true),
        ]),
        rows: rows
            .iter()
            .map(|x| {
                let s = &x.sums;
                vec![
                    Cell::text(label(x)),
                    Cell::num(thousands(s.due), s.due as f64),
                    Cell::num(money(s.quota), s.quota),
                    Cell::num(money(s.closed), s.closed),
                    Cell::opt(x.closed_share, |v| percent(v, 1)),
                    Cell::opt(x.gross_dollar_renewal_rate, |v| percent(v, 1)),
                    Cell::opt(x.net_dollar_renewal_rate, |v| percent(v, 1)),
                    Cell::opt(x.logo_renewal_rate, |v| percent(v, 1)),
                    Cell::opt(x.quota_attainment, |v| percent(v, 1)),
                    Cell::num(thousands(s.open), s.open as f64),
                    Cell::num(thousands(s.late), s.late as f64),
                ]
            })
            .collect(),
    }
}
