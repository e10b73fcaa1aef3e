//! The retention-KPI section of `report.html`: quarterly and monthly
//! retention, the trailing figures, account KPIs, every candidate driver's
//! recommendation verdict and the CSM books outside the funnel limits.

use serde::Serialize;

use super::{heads, Cell, Figure, Table};
use crate::format::{currency_unit, money, percent, pvalue, sig, thousands};
use crate::kpis::{Efficiency, Grain, KpiReport, Recommendation, Verdict};
use crate::report::charts::funnel::FunnelChart;
use crate::report::words::funnel_sentence;
use crate::results::Results;

#[derive(Debug, Clone, Serialize)]
pub(super) struct KpisView {
    intro: String,
    quarters: Option<Table>,
    months: Option<Table>,
    trailing: Vec<String>,
    accounts: Option<Table>,
    recommendation: Option<Table>,
    recommendation_method: Option<String>,
    efficiency: Option<String>,
    owners: Option<Table>,
    funnel: Option<Figure>,
    notes: Vec<String>,
}

pub(super) fn kpis_view(r: &Results, figure: &dyn Fn(&str, String) -> Option<Figure>) -> KpisView {
    let k = &r.kpis;
    let unit = currency_unit(r.currency.as_deref());
    KpisView {
        intro: "Retention KPIs follow the data contract's definitions word for word (see the appendix). A period compares the accounts billed in its start month with the same accounts in its end month; new accounts never count toward retention.".into(),
        quarters: period_table(k, Grain::Quarter, "Quarterly retention", &unit),
        months: period_table(k, Grain::Month, "Monthly retention", &unit),
        trailing: trailing(k),
        accounts: accounts_table(k),
        recommendation: k
            .recommendation
            .as_ref()
            .map(|rec| recommendation_table(rec, &unit)),
        recommendation_method: k.recommendation.as_ref().map(|r| r.method.clone()),
        efficiency: k.efficiency.as_ref().map(funnel_sentence),
        owners: k.efficiency.as_ref().and_then(owners_table),
        funnel: figure(
            FunnelChart::STEM,
            "Logo churn per CSM book against book size, with 2- and 3-sigma funnel limits".into(),
        ),
        notes: k.notes.clone(),
    }
}

/// One row per period of grain `g`; money heads carry the currency `unit`.
fn period_table(k: &KpiReport, g: Grain, caption: &str, unit: &str) -> Option<Table> {
    let p = k.periods.as_ref()?;
    let rows: Vec<_> = p.of(g).collect();
    if rows.is_empty() {
        return None;
    }
    let money_head = |h: &str| format!("{h}{unit}");
    let (arpa, starting, churned_mrr, contraction, expansion) = (
        money_head("ARPA"),
        money_head("starting MRR"),
        money_head("churned MRR"),
        money_head("contraction"),
        money_head("expansion"),
    );
    Some(Table {
        caption: caption.to_string(),
        heads: heads(&[
            ("period", false),
            ("cohort", true),
            ("churned", true),
            ("new", true),
            ("logo churn", true),
            ("GRR", true),
            ("NRR", true),
            (arpa.as_str(), true),
            (starting.as_str(), true),
            (churned_mrr.as_str(), true),
            (contraction.as_str(), true),
            (expansion.as_str(), true),
        ]),
        rows: rows
            .iter()
            .map(|row| {
                let c = &row.counts;
                let period = Cell::text(format!(
                    "{}{}",
                    row.period,
                    if row.partial { " (partial)" } else { "" }
                ));
                vec![
                    period,
                    Cell::num(thousands(c.cohort), c.cohort as f64),
                    Cell::num(thousands(c.churned), c.churned as f64),
                    Cell::num(thousands(c.new), c.new as f64),
                    Cell::opt(row.logo_churn_rate, |x| percent(x, 2)),
                    Cell::opt(row.grr, |x| percent(x, 1)),
                    Cell::opt(row.nrr, |x| percent(x, 1)),
                    Cell::opt(row.arpa, money),
                    Cell::num(money(c.starting_mrr), c.starting_mrr),
                    Cell::num(money(c.churned_mrr), c.churned_mrr),
                    Cell::num(money(c.contraction_mrr), c.contraction_mrr),
                    Cell::num(money(c.expansion_mrr), c.expansion_mrr),
                ]
            })
            .collect(),
    })
}

/// The latest trailing-twelve-month and year-to-date figures, in sentences.
fn trailing(k: &KpiReport) -> Vec<String> {
    let mut trailing = Vec::new();
    if let Some(p) = &k.periods {
        for g in [Grain::Ttm, Grain::Ytd] {
            if let Some(row) = p.of(g).last() {
                trailing.push(format!(
                    "{} at {}: GRR {}, NRR {}, logo churn {} of {} accounts ({} → {}).",
                    g.as_str().to_uppercase(),
                    row.period,
                    row.grr.map_or("–".into(), |x| percent(x, 1)),
                    row.nrr.map_or("–".into(), |x| percent(x, 1)),
                    row.logo_churn_rate.map_or("–".into(), |x| percent(x, 1)),
                    thousands(row.counts.cohort),
                    row.start_month,
                    row.end_month
                ));
            }
        }
    }
    trailing
}

fn accounts_table(k: &KpiReport) -> Option<Table> {
    let has_account = k
        .accounts
        .iter()
        .any(|g| g.nps.is_some() || g.time_to_value.is_some() || !g.means.is_empty());
    has_account.then(|| Table {
        caption: format!("Account KPIs as of {}", k.as_of),
        heads: heads(&[
            ("group", false),
            ("accounts", true),
            ("churned", true),
            ("NPS", true),
            ("NPS 95 % CI", true),
            ("NPS answered", true),
            ("time to value, median (days)", true),
            ("time to value, p75 (days)", true),
            ("means", false),
        ]),
        rows: k
            .accounts
            .iter()
            .map(|g| {
                vec![
                    Cell::text(g.key()),
                    Cell::num(thousands(g.accounts), g.accounts as f64),
                    Cell::num(thousands(g.churned), g.churned as f64),
                    Cell::opt(g.nps.as_ref().map(|n| n.nps), |x| format!("{x:+.1}")),
                    Cell::text(g.nps.as_ref().map_or("–".into(), |n| {
                        format!("[{:+.1}, {:+.1}]", n.ci_low, n.ci_high)
                    }))
                    .with_class("num"),
                    Cell::opt(g.nps.as_ref().map(|n| n.response_rate), |x| percent(x, 0)),
                    Cell::opt(g.time_to_value.as_ref().map(|t| t.median), sig),
                    Cell::opt(g.time_to_value.as_ref().map(|t| t.p75), sig),
                    Cell::text(
                        g.means
                            .iter()
                            .map(|m| format!("{} {}", m.column, sig(m.mean)))
                            .collect::<Vec<_>>()
                            .join("; "),
                    ),
                ]
            })
            .collect(),
    })
}

/// Every candidate driver's verdict, recommended first.
fn recommendation_table(rec: &Recommendation, unit: &str) -> Table {
    let stake = format!("ARR at stake{unit}");
    Table {
        caption: format!(
            "Every candidate driver's verdict (recommended: model q < {}, effect at least {} pp, controllable; at most {})",
            rec.alpha,
            100.0 * rec.effect_floor,
            rec.max_recommended
        ),
        heads: heads(&[
            ("rank", true),
            ("driver", false),
            ("verdict", false),
            ("model q", true),
            ("univariate q", true),
            ("effect", true),
            (stake.as_str(), true),
            ("indicator", false),
            ("why", false),
        ]),
        rows: rec
            .candidates
            .iter()
            .map(|c| {
                let verdict = Cell::text(c.verdict.as_str());
                vec![
                    Cell::opt(c.rank.map(|x| x as f64), |x| format!("{x:.0}")),
                    Cell::text(c.label.clone()).with_tip(c.driver.clone()),
                    if c.verdict == Verdict::Recommended {
                        verdict.with_class("strong")
                    } else {
                        verdict
                    },
                    Cell::opt(c.q_value, pvalue),
                    Cell::num(pvalue(c.univariate_q), c.univariate_q),
                    Cell::opt(c.ame, |x| format!("{:+.1} pp", 100.0 * x)).with_tip(c.ame_basis),
                    Cell::opt(c.arr_at_stake, money)
                        .with_tip(c.counterfactual.clone().unwrap_or_default()),
                    Cell::text(c.indicator.as_str()),
                    Cell::text(c.reason.clone()),
                ]
            })
            .collect(),
    }
}

/// The CSM books outside the funnel limits, if any.
fn owners_table(e: &Efficiency) -> Option<Table> {
    let flagged: Vec<_> = e.owners.iter().filter(|w| w.signal.is_some()).collect();
    (!flagged.is_empty()).then(|| Table {
        caption: "Books outside the funnel limits".into(),
        heads: heads(&[
            ("owner", false),
            ("accounts", true),
            ("churned", true),
            ("logo churn", true),
            ("lower limit", true),
            ("upper limit", true),
            ("z", true),
            ("signal", false),
        ]),
        rows: flagged
            .iter()
            .map(|w| {
                vec![
                    Cell::text(w.owner.clone()),
                    Cell::num(thousands(w.accounts), w.accounts as f64),
                    Cell::num(thousands(w.churned), w.churned as f64),
                    Cell::num(percent(w.logo_churn_rate, 1), w.logo_churn_rate),
                    Cell::num(percent(w.lcl, 1), w.lcl),
                    Cell::num(percent(w.ucl, 1), w.ucl),
                    Cell::num(format!("{:+.2}", w.z), w.z),
                    Cell::text(w.signal.unwrap_or("")),
                ]
            })
            .collect(),
    })
}
