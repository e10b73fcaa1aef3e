//! The period KPIs on an engine: the same plan of month, quarter, TTM and
//! YTD comparisons as the in-memory path ([`crate::kpis::period::plan`]),
//! counted in one pass over the revenue table; the KPIs and their control
//! charts are then made at home from those counts.

use super::revenue::EngineRevenue;
use super::sql::periods::{period_counts, RevenueColumns};
use super::{Cell, Engine};
use crate::config::RevenueConfig;
use crate::error::{Error, Result};
use crate::kpis::period::{assemble, plan, Counts};
use crate::kpis::PeriodKpis;

/// Counts every planned comparison of the checked revenue table `rev`.
///
/// # Errors
/// The engine's, naming the table; an answer that does not match the plan.
pub fn period_kpis(
    engine: &mut Engine,
    rc: &RevenueConfig,
    rev: &EngineRevenue,
) -> Result<PeriodKpis> {
    let Some((first, last)) = rev.span() else {
        return Err(Error::Table {
            table: rev.name.clone(),
            message: "has no rows, so there are no period KPIs".into(),
        });
    };
    let n = (last.0 - first.0 + 1) as usize;
    let (planned, skipped) = plan(first, n);
    let index: Vec<(String, usize)> = rev
        .months
        .iter()
        .map(|(c, m)| (c.clone(), (m.0 - first.0) as usize))
        .collect();
    let pairs: Vec<(usize, usize)> = planned.iter().map(|p| (p.start, p.end)).collect();
    let mut counts = vec![Counts::default(); pairs.len()];
    if !pairs.is_empty() {
        let cols = RevenueColumns {
            from: &rev.from,
            id: &rc.id,
            period: &rc.period,
            mrr: &rc.mrr,
        };
        let q = period_counts(engine.dialect(), &cols, &index, n, &pairs);
        for row in engine.query(&q, &[&rev.name])? {
            let k = row.first().and_then(Cell::count);
            let Some(slot) = k.and_then(|k| counts.get_mut(k)) else {
                return Err(Error::Table {
                    table: rev.name.clone(),
                    message: format!(
                        "the period pass answered a comparison {k:?} it was not asked for"
                    ),
                });
            };
            *slot = counts_of(&row[1..]);
        }
    }
    Ok(assemble(first, n, planned, counts, skipped))
}

/// One comparison's counts from its answer's cells, in the query's order.
fn counts_of(c: &[Cell]) -> Counts {
    let n = |j: usize| c.get(j).and_then(Cell::count).unwrap_or(0);
    let x = |j: usize| c.get(j).and_then(Cell::number).unwrap_or(0.0);
    Counts {
        cohort: n(0),
        churned: n(1),
        new: n(2),
        reactivated: n(3),
        billed_end: n(4),
        starting_mrr: x(5),
        churned_mrr: x(6),
        contraction_mrr: x(7),
        expansion_mrr: x(8),
        new_mrr: x(9),
        reactivation_mrr: x(10),
        ending_mrr: x(11),
    }
}
