//! The Pareto pass on an engine: one `GROUP BY` over the churned accounts
//! by reason and every segment column, counting rows and summing the
//! revenue weight. Every tally the Pareto stage ranks (overall and per
//! segment level) is a sum of its rows.

use super::accounts::EngineAccounts;
use super::{Cell, Engine};
use crate::config::StudyConfig;
use crate::data::aggregates::{LabelTally, TallyRow};
use crate::error::Result;

/// The churned accounts' reasons, tallied overall and per segment level.
#[derive(Debug, Clone)]
pub struct ParetoTallies {
    pub overall: LabelTally,
    /// Per segment column, per level (in the in-memory order): its tally.
    pub segments: Vec<(String, Vec<(String, LabelTally)>)>,
}

/// Runs the pass; `None` without a reason column.
///
/// # Errors
/// The engine's, naming the table.
pub fn tallies(
    engine: &mut Engine,
    cfg: &StudyConfig,
    acc: &EngineAccounts,
) -> Result<Option<ParetoTallies>> {
    let a = &cfg.accounts;
    let Some(reason) = &a.reason else {
        return Ok(None);
    };
    let d = engine.dialect();
    let miss = &a.missing_values;
    let mut inner = vec![
        format!("{} AS r", d.cell(reason, miss)),
        format!("{} AS c", d.cell(&a.churned, miss)),
    ];
    let weighted = a.revenue.is_some();
    if let Some(rev) = &a.revenue {
        inner.push(format!("{} AS w", d.double(&d.cell(rev, miss))));
    }
    let segs: Vec<String> = (0..a.segments.len()).map(|j| format!("s{j}")).collect();
    for (j, col) in a.segments.iter().enumerate() {
        inner.push(format!("{} AS {}", d.cell(col, miss), segs[j]));
    }
    let churned = if acc.churned_cells.is_empty() {
        "FALSE".to_string()
    } else {
        let list: Vec<String> = acc.churned_cells.iter().map(|c| d.literal(c)).collect();
        format!("c IN ({})", list.join(", "))
    };
    let mut group = vec!["r".to_string()];
    group.extend(segs.iter().cloned());
    // NaN equals itself in both dialects' comparisons.
    let w = if weighted {
        format!(
            "SUM(CASE WHEN w IS NULL OR w = {} THEN 0 ELSE w END)",
            d.double(&d.literal("NaN"))
        )
    } else {
        "0".to_string()
    };
    let q = format!(
        "SELECT {g}, COUNT(*), {w} FROM (SELECT {inner} FROM {from}) AS p WHERE {churned} GROUP BY {g} ORDER BY {g}",
        g = group.join(", "),
        inner = inner.join(", "),
        from = acc.from,
    );
    let rows = engine.query(&q, &[&acc.name])?;
    let k = group.len();
    let mut overall = LabelTally {
        rows: Vec::new(),
        weighted,
    };
    let mut segments: Vec<(String, Vec<(String, LabelTally)>)> = acc
        .segments
        .iter()
        .map(|(col, levels)| {
            let per = levels
                .iter()
                .map(|l| {
                    (
                        l.clone(),
                        LabelTally {
                            rows: Vec::new(),
                            weighted,
                        },
                    )
                })
                .collect();
            (col.clone(), per)
        })
        .collect();
    for r in &rows {
        let label = r.first().and_then(Cell::text);
        let count = r.get(k).and_then(Cell::count).unwrap_or(0);
        let weight = r.get(k + 1).and_then(Cell::number).unwrap_or(0.0);
        add(&mut overall, &label, count, weight);
        for (j, (_, per)) in segments.iter_mut().enumerate() {
            let Some(level) = r.get(1 + j).and_then(Cell::text) else {
                continue;
            };
            if let Some((_, t)) = per.iter_mut().find(|(l, _)| *l == level) {
                add(t, &label, count, weight);
            }
        }
    }
    Ok(Some(ParetoTallies { overall, segments }))
}

/// Adds one group's count and weight to the tally row of its label.
fn add(t: &mut LabelTally, label: &Option<String>, count: usize, weight: f64) {
    match t.rows.iter_mut().find(|r| r.label == *label) {
        Some(r) => {
            r.count += count;
            r.weight += weight;
        }
        None => t.rows.push(TallyRow {
            label: label.clone(),
            count,
            weight,
        }),
    }
}
