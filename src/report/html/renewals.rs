//! The renewals section of `report.html`: where the renewals come from, the
//! quarter-by-quarter renewal KPIs of everyone, and the latest quarter per
//! segment (owners are in `renewal_kpis.csv` and the feed); then the open
//! renewals at risk with their levers, and whether the model is fit to rank them.

use serde::Serialize;

use super::{heads, Cell, Table};
use crate::format::{currency_unit, money, percent, thousands};
use crate::forward::{ForwardReport, FIT_RULE};
use crate::kpis::Grain;
use crate::renewals::{RenewalReport, RenewalRow};
use crate::results::Results;

#[derive(Debug, Clone, Serialize)]
pub(super) struct RenewalsView {
    intro: String,
    quarters: Table,
    segments: Option<Table>,
    at_risk: Option<AtRiskView>,
}

/// The renewals at risk: what P is, whether the model is fit to rank, the
/// short list, and the backtest's measures.
#[derive(Debug, Clone, Serialize)]
pub(super) struct AtRiskView {
    intro: String,
    model: String,
    verdict: String,
    fit: bool,
    top: Option<Table>,
    validation: Option<Table>,
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
        at_risk: r.forward.as_ref().map(|f| at_risk_view(f, &unit)),
    })
}

fn at_risk_view(f: &ForwardReport, unit: &str) -> AtRiskView {
    let unscored: Vec<String> = f
        .unscored
        .iter()
        .map(|(why, n)| format!("{} not scored: {why}", thousands(*n)))
        .collect();
    let intro = format!(
        "{} open renewals are due from {} to {} ({} ARR due); the model expects {} of it to be lost. They are ranked by expected ARR lost = ARR due × P(churn before the renewal is decided, by the end of its month); the whole list is in renewals_at_risk.csv.{}",
        thousands(f.open_renewals),
        f.window.0,
        f.window.1,
        money(f.arr_due),
        money(f.expected_arr_lost),
        if unscored.is_empty() { String::new() } else { format!(" {}.", unscored.join("; ")) }
    );
    let lost = format!("expected loss{unit}");
    let arr = format!("ARR due{unit}");
    let top = (!f.at_risk.is_empty()).then(|| Table {
        caption: format!("The top {} renewals at risk", f.top.min(f.at_risk.len())),
        heads: heads(&[
            ("rank", true),
            ("account", false),
            ("owner", false),
            ("due", false),
            (arr.as_str(), true),
            ("risk (95 % CI)", true),
            (lost.as_str(), true),
            ("levers", false),
        ]),
        rows: f
            .at_risk
            .iter()
            .take(f.top)
            .map(|x| {
                vec![
                    Cell::num(x.rank.to_string(), x.rank as f64),
                    Cell::text(x.account.clone()),
                    Cell::text(x.owner.clone().unwrap_or_default()),
                    Cell::text(format!(
                        "{}{}",
                        x.risk.due,
                        if x.risk.late { " (late)" } else { "" }
                    )),
                    Cell::num(money(x.risk.arr_due), x.risk.arr_due),
                    Cell::num(
                        format!(
                            "{} ({}–{})",
                            percent(x.risk.probability, 1),
                            percent(x.risk.probability_low, 1),
                            percent(x.risk.probability_high, 1)
                        ),
                        x.risk.probability,
                    ),
                    Cell::num(money(x.risk.expected_arr_lost), x.risk.expected_arr_lost),
                    Cell::text(if x.levers.is_empty() {
                        "no recommended driver is worse than typical".to_string()
                    } else {
                        x.levers
                            .iter()
                            .map(|l| l.text.as_str())
                            .collect::<Vec<_>>()
                            .join("; ")
                    }),
                ]
            })
            .collect(),
    });
    let validation = f.backtest.as_ref().map(|b| {
        let rows = [
            ("out of time", &b.out_of_time),
            ("in sample", &b.in_sample),
            ("out of time, every renewal due", &b.out_of_time_all_due),
        ];
        Table {
            caption: format!(
                "Is the model fit to rank renewals? The renewals due {} to {} and still open on {}, scored as of then (out of time: the model refitted on what was known then, {} accounts, {} churns; in sample: the full model); the last row adds the renewals of those months that were renewed before the cut-off, so it reads the model without the selection of the still-open ones",
                b.window.0, b.window.1, b.cutoff, thousands(b.model_n), thousands(b.model_events)
            ),
            heads: heads(&[
                ("scores", false),
                ("renewals", true),
                ("churned", true),
                ("mean risk", true),
                ("AUC (DeLong 95 % CI)", true),
                ("Brier", true),
                ("calibration intercept", true),
                ("calibration slope (95 % CI)", true),
                ("top-decile lift", true),
            ]),
            rows: rows
                .iter()
                .map(|(name, m)| {
                    vec![
                        Cell::text(name.to_string()),
                        Cell::num(thousands(m.n), m.n as f64),
                        Cell::num(thousands(m.events), m.events as f64),
                        Cell::num(percent(m.mean_predicted, 2), m.mean_predicted),
                        match m.discrimination {
                            Some(d) => Cell::num(
                                format!("{:.3} ({:.3}–{:.3})", d.auc, d.ci_low, d.ci_high),
                                d.auc,
                            ),
                            None => Cell::opt(None, |v| v.to_string()),
                        },
                        Cell::num(format!("{:.4}", m.brier), m.brier),
                        Cell::opt(m.calibration.map(|c| c.intercept), |v| format!("{v:+.2}")),
                        match m.calibration {
                            Some(c) => Cell::num(
                                format!("{:.2} ({:.2}–{:.2})", c.slope, c.slope_ci_low, c.slope_ci_high),
                                c.slope,
                            ),
                            None => Cell::opt(None, |v| v.to_string()),
                        },
                        Cell::opt(m.top_decile_lift, |v| format!("{v:.2}×")),
                    ]
                })
                .collect(),
        }
    });
    AtRiskView {
        intro,
        model: f.model.clone(),
        verdict: format!("{} {}", f.verdict, FIT_RULE),
        fit: f.fit_to_rank,
        top,
        validation,
    }
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
