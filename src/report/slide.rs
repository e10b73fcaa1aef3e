//! What the one-slide KPI dashboard shows, read off the result model: 5–7
//! KPI tiles (the recommended effectiveness KPIs and the chosen retention
//! and renewal KPIs, or `[kpis] slide`), each with its month, quarter and
//! year-to-date values, its change, the points of the control chart that
//! judges it, its status light and whether it leads or lags; and the top
//! renewals at risk.

use serde::Serialize;

use super::cards::{change as change_of, Light};
use crate::format::{money_in, percent, thousands};
use crate::kpis::{FeedRow, Grain};
use crate::results::Results;

/// One KPI tile.
#[derive(Debug, Clone, Serialize)]
pub struct Tile {
    pub key: String,
    pub label: String,
    /// `leading` or `lagging`.
    pub indicator: &'static str,
    /// (what, value): month, quarter and YTD (a driver: its latest start
    /// cohort and all accounts).
    pub values: Vec<(String, String)>,
    pub change: String,
    /// `good`, `bad` or `flat`.
    pub change_class: &'static str,
    /// The judging control chart's points: (value, centre, lcl, ucl).
    pub spark: Vec<(f64, f64, f64, f64)>,
    pub light: Light,
}

/// One renewal at risk, as the slide's table shows it.
#[derive(Debug, Clone, Serialize)]
pub struct SlideRenewal {
    pub account: String,
    pub owner: String,
    pub arr: String,
    pub due: String,
    pub risk: String,
    pub lever: String,
}

/// The whole slide.
#[derive(Debug, Clone, Serialize)]
pub struct Slide {
    pub title: String,
    pub subtitle: String,
    pub tiles: Vec<Tile>,
    pub at_risk: Vec<SlideRenewal>,
    /// The model's verdict, shortened: fit to rank or not.
    pub at_risk_note: String,
}

/// The default tiles: up to three recommended effectiveness KPIs, GRR, NRR
/// and logo churn, the gross dollar renewal rate with renewals; topped up
/// to five with the logo renewal rate and ARPA.
pub fn default_keys(r: &Results) -> Vec<String> {
    let mut keys: Vec<String> = r
        .kpis
        .recommendation
        .iter()
        .flat_map(|x| x.recommended())
        .take(3)
        .map(|c| format!("driver:{}", c.driver))
        .collect();
    keys.extend(["grr", "nrr", "logo_churn_rate"].map(String::from));
    if r.renewals.is_some() {
        keys.push("gross_dollar_renewal_rate".into());
    }
    for extra in ["logo_renewal_rate", "arpa"] {
        if keys.len() < 5 && (r.renewals.is_some() || extra == "arpa") {
            keys.push(extra.into());
        }
    }
    keys
}

fn shown(unit: &str, v: f64, currency: Option<&str>) -> String {
    match unit {
        "fraction" => percent(v, 1),
        "currency" => money_in(v, currency),
        "accounts" => thousands(v.round().max(0.0) as usize),
        _ => format!("{v:.2}"),
    }
}

/// The feed's overall rows of `key` at `grain` with a value, in time
/// order, up to the period `last` when given.
fn rows<'a>(r: &'a Results, key: &str, grain: Grain, last: Option<&str>) -> Vec<&'a FeedRow> {
    r.kpis
        .feed
        .iter()
        .filter(|x| {
            x.grain == grain
                && x.segment == "all"
                && !x.partial
                && x.value.is_some()
                && x.kpi.to_string() == key
                && last.map_or(true, |l| x.period.as_str() <= l)
        })
        .collect()
}

/// The tile of one KPI; `None` when the feed has no value for it.
fn tile(r: &Results, key: &str) -> Option<Tile> {
    let k = &r.kpis;
    let cur = r.currency.as_deref();
    // Label, unit and direction: the definitions, or a driver KPI's feed row
    // and candidate.
    let cand = key.strip_prefix("driver:").and_then(|col| {
        k.recommendation
            .as_ref()
            .and_then(|x| x.candidates.iter().find(|c| c.driver == col))
    });
    let def = match k.definitions.iter().find(|d| d.kpi.to_string() == key) {
        Some(d) => d.clone(),
        None => {
            let row = k.feed.iter().find(|x| x.kpi.to_string() == key)?;
            crate::kpis::Definition {
                kpi: row.kpi.clone(),
                label: cand.map_or_else(|| key.to_string(), |c| c.label.clone()),
                unit: row.unit,
                direction: row.direction,
                definition: String::new(),
            }
        }
    };
    let chart = k
        .control
        .iter()
        .find(|c| c.judges && c.kpi.to_string() == key);
    let light = chart.map_or_else(|| Light::grey("no chart"), |c| Light::of(&c.status));
    let spark: Vec<(f64, f64, f64, f64)> = chart.map_or_else(Vec::new, |c| {
        let p = &c.chart.points;
        p[p.len().saturating_sub(24)..]
            .iter()
            .map(|x| (x.value, x.center, x.lcl, x.ucl))
            .collect()
    });
    let better_up = def.direction == crate::kpis::Direction::HigherIsBetter;
    let rate = def.unit == "fraction";
    if key.starts_with("driver:") {
        let snap = k.feed.iter().find(|x| x.kpi.to_string() == key)?;
        let pts = chart.map(|c| &c.chart.points);
        let mut values = Vec::new();
        let (mut change, mut cc) = ("no earlier cohort".to_string(), "flat");
        if let Some(p) = pts.filter(|p| !p.is_empty()) {
            let last = &p[p.len() - 1];
            values.push((
                format!("cohort {}", last.label),
                shown(def.unit, last.value, cur),
            ));
            if p.len() > 1 {
                let prev = &p[p.len() - 2];
                (change, cc) = change_of(
                    last.value,
                    prev.value,
                    rate,
                    better_up,
                    &format!("cohort {}", prev.label),
                );
            }
        }
        values.push(("all accounts".into(), shown(def.unit, snap.value?, cur)));
        let indicator = match cand.map(|c| c.indicator) {
            Some(crate::config::Indicator::Lagging) => "lagging",
            _ => "leading",
        };
        return Some(Tile {
            key: key.to_string(),
            label: def.label.clone(),
            indicator,
            values,
            change,
            change_class: cc,
            spark,
            light,
        });
    }
    // The last full month: the month before the renewals' as-of date, else
    // the latest complete month in the feed.
    let renewal = crate::renewals::RENEWAL_KPIS.iter().any(|x| x.key == key);
    let last_month = match (&r.renewals, renewal) {
        (Some(rr), true) => crate::data::Month::of(rr.as_of).plus(-1),
        _ => rows(r, key, Grain::Month, None)
            .last()
            .map(|x| x.period.clone())
            .and_then(|p| crate::data::parse::parse_month(&p))?,
    };
    let (m, q) = (last_month.to_string(), last_month.quarter_label());
    let months = rows(r, key, Grain::Month, Some(&m));
    let quarters = rows(r, key, Grain::Quarter, Some(&q));
    let ytd = rows(r, key, Grain::Ytd, Some(&m));
    let mut values = Vec::new();
    for (what, list) in [("month", &months), ("quarter", &quarters), ("YTD", &ytd)] {
        if let Some(x) = list.last() {
            values.push((
                format!("{what} {}", x.period),
                shown(def.unit, x.value?, cur),
            ));
        }
    }
    if values.is_empty() {
        return None;
    }
    let (change, change_class) = match quarters.len() {
        n if n >= 2 => change_of(
            quarters[n - 1].value?,
            quarters[n - 2].value?,
            rate,
            better_up,
            &quarters[n - 2].period,
        ),
        _ => ("no earlier quarter".to_string(), "flat"),
    };
    Some(Tile {
        key: key.to_string(),
        label: def.label.clone(),
        indicator: if key == "renewal_closed_share" {
            "leading"
        } else {
            "lagging"
        },
        values,
        change,
        change_class,
        spark,
        light,
    })
}

/// The slide of a run: the tiles of `keys` (default: [`default_keys`]).
pub fn slide(r: &Results, keys: Option<&[String]>) -> Slide {
    let keys = keys.map_or_else(|| default_keys(r), <[String]>::to_vec);
    let tiles: Vec<Tile> = keys
        .iter()
        .filter_map(|k| tile(r, k))
        .take(crate::config::SLIDE_MAX)
        .collect();
    let (at_risk, at_risk_note) = match &r.forward {
        Some(f) => (
            f.at_risk
                .iter()
                .take(f.top.min(5))
                .map(|x| SlideRenewal {
                    account: x.account.clone(),
                    owner: x.owner.clone().unwrap_or_default(),
                    arr: money_in(x.risk.arr_due, r.currency.as_deref()),
                    due: x.risk.due.to_string(),
                    risk: percent(x.risk.probability, 0),
                    lever: x.levers.first().map_or("—".into(), |l| l.text.clone()),
                })
                .collect(),
            if f.fit_to_rank {
                "Risk from the Cox model; backtest: fit to rank renewals.".to_string()
            } else {
                "Not shown to be fit to rank renewals: see the report before acting on this list."
                    .to_string()
            },
        ),
        None => (Vec::new(), String::new()),
    };
    let as_of = r
        .renewals
        .as_ref()
        .map_or(String::new(), |x| format!(" · as of {}", x.as_of));
    Slide {
        title: format!("{} — KPIs on one slide", r.study),
        subtitle: format!(
            "Month, quarter and year to date; light = the KPI's control chart (green in control, amber a signal or shift to look at, red a worse-than-usual signal){as_of}"
        ),
        tiles,
        at_risk,
        at_risk_note,
    }
}
