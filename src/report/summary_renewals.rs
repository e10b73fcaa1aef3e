//! The renewals cards of the executive summary: the dollar and logo renewal
//! rates of the last quarter that ended before the as-of date (with the
//! change from the quarter before and the monthly chart's light), and how
//! much of the current quarter's renewal quota is closed and attained.

use super::cards::{Headline, Light};
use crate::data::Month;
use crate::format::{money_in, percent};
use crate::kpis::{Grain, KpiKey, Status};
use crate::renewals::{RenewalRow, RENEWAL_KPIS};
use crate::results::Results;

/// The renewal cards, or none without renewals.
pub(super) fn renewal_headlines(r: &Results) -> Vec<Headline> {
    let Some(rr) = &r.renewals else {
        return Vec::new();
    };
    let now = Month::of(rr.as_of);
    let quarters: Vec<&RenewalRow> = rr.of(Grain::Quarter, "all").collect();
    let done: Vec<&&RenewalRow> = quarters.iter().filter(|q| q.end_month < now).collect();
    let mut out = Vec::new();
    if let Some(cur) = done.last() {
        let prev = done.len().checked_sub(2).map(|i| done[i]);
        for key in ["gross_dollar_renewal_rate", "logo_renewal_rate"] {
            let Some(k) = RENEWAL_KPIS.iter().find(|k| k.key == key) else {
                continue;
            };
            let Some(v) = (k.pick)(cur) else { continue };
            let (change, class) = match prev.and_then(|p| (k.pick)(p).map(|b| (p, b))) {
                Some((p, b)) => super::cards::change(v, b, true, true, &p.period),
                None => ("no earlier quarter".to_string(), "flat"),
            };
            let light = r
                .kpis
                .control
                .iter()
                .find(|c| c.kpi == KpiKey::Named(k.key) && c.judges)
                .map_or(Light::of(&Status::NoChart), |c| Light::of(&c.status));
            out.push(Headline {
                label: k.label.to_string(),
                period: cur.period.clone(),
                value: percent(v, 1),
                change,
                change_class: class,
                light,
            });
        }
    }
    let label = now.quarter_label();
    if let Some(q) = quarters.iter().find(|q| q.period == label) {
        let quota = money_in(q.sums.quota, r.currency.as_deref());
        for (what, v) in [
            ("Renewal quota closed", q.closed_share),
            ("Quota attainment", q.quota_attainment),
        ] {
            let Some(v) = v else { continue };
            out.push(Headline {
                label: what.to_string(),
                period: q.period.clone(),
                value: percent(v, 1),
                change: format!("of {quota} due, quarter in progress"),
                change_class: "flat",
                light: Light::of(&Status::NoChart),
            });
        }
    }
    out
}
