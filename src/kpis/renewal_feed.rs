//! The renewal KPIs in the KPI feed: their definitions, one feed row per
//! KPI × period × group (everyone and each segment level), the renewal
//! rates' control charts and the status they give the monthly rows.

use rustc_hash::FxHashMap;

use crate::config::Grain;
use crate::data::Month;
use crate::renewals::{RenewalReport, RenewalRow, PERIOD_RULE, RENEWAL_KPIS};

use super::control::{fill_status, renewal_charts};
use super::definitions::{grain_rule, Definition, Direction, KpiKey};
use super::feed::{blank, steps};
use super::KpiReport;

/// Adds the renewal KPIs of `r` to the definitions, the feed and the
/// control charts of `k`.
pub fn add_renewals(k: &mut KpiReport, r: &RenewalReport) {
    let defs: Vec<Definition> = RENEWAL_KPIS
        .iter()
        .map(|x| Definition {
            kpi: KpiKey::Named(x.key),
            label: x.label.to_string(),
            unit: x.unit,
            direction: Direction::of_higher_is_better(x.higher_is_better),
            definition: format!("{} {PERIOD_RULE}", x.definition),
        })
        .collect();
    let mut feed = Vec::new();
    // Owners stay out of the feed (their quarters are in renewal_kpis.csv),
    // as the CSM efficiency KPIs do: a book of thousands of owners would
    // multiply the feed's rows a hundredfold.
    let in_feed = |row: &RenewalRow| !row.by_owner;
    let at: FxHashMap<(Grain, &str, Month), &RenewalRow> = r
        .rows
        .iter()
        .map(|o| ((o.grain, o.group.as_str(), o.end_month), o))
        .collect();
    for (x, d) in RENEWAL_KPIS.iter().zip(&defs) {
        for row in r.rows.iter().filter(|row| in_feed(row)) {
            let earlier = |months: i32| {
                at.get(&(row.grain, row.group.as_str(), row.end_month.plus(-months)))
                    .and_then(|o| (x.pick)(o))
            };
            let v = (x.pick)(row);
            let (prev, yoy) = steps(row.grain);
            let mut f = blank(d.kpi.clone(), &row.period, row.grain, d);
            f.segment = row.group.clone();
            f.definition = format!("{} {}", d.definition, grain_rule(row.grain));
            f.value = v;
            if !(row.grain == Grain::Ytd && row.end_month.month() == 1) {
                f.change_prev = v.zip(earlier(prev)).map(|(a, b)| a - b);
            }
            f.change_yoy = v.zip(earlier(yoy)).map(|(a, b)| a - b);
            feed.push(f);
        }
    }
    let monthly: Vec<&RenewalRow> = r.of(Grain::Month, "all").collect();
    let mut charts = renewal_charts(&monthly, Month::of(r.as_of));
    fill_status(&mut feed, &charts);
    for c in &mut charts {
        c.judge(&feed);
    }
    k.definitions.extend(defs);
    k.feed.extend(feed);
    k.control.extend(charts);
}
