//! The Pareto stage of a study: the overall ranking of the churned accounts'
//! reasons, a Pareto per segment level, the category drill-down and the
//! reason-mix shift between the two latest periods.

use serde::Serialize;

use super::mix_shift::{mix_shift, MixShift};
use super::*;
use crate::config::ParetoConfig;
use crate::data::Accounts;

/// A Pareto for one subset of churned accounts (a segment level or a category).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SubsetPareto {
    /// The column that defines the subset.
    pub column: String,
    /// Its level.
    pub level: String,
    pub pareto: Pareto,
}

/// Two-level drill-down: categories first, then the reasons inside each.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CategoryDrill {
    pub column: String,
    pub categories: Pareto,
    pub within: Vec<SubsetPareto>,
}

/// Everything the Pareto stage reports for a study.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ParetoReport {
    pub reason_column: String,
    pub revenue_column: Option<String>,
    pub n_churned: usize,
    #[serde(flatten)]
    pub overall: Pareto,
    pub categories: Option<CategoryDrill>,
    pub segments: Vec<SubsetPareto>,
    pub mix_shift: Option<MixShift>,
    /// Plain-language notes: skipped parts and why, merged spellings, folds.
    pub notes: Vec<String>,
}

/// Runs the Pareto stage on a study's churned accounts; `None` (with the
/// reason in `notes`) when the study has no reason column.
///
/// # Errors
/// Bad parameters, or no churned accounts at all (an input error, as
/// [`Accounts::one_class_error`] words it).
pub fn study_pareto(acc: &Accounts, cfg: &ParetoConfig) -> Result<Option<ParetoReport>> {
    let Some(reason) = &acc.reason else {
        return Ok(None);
    };
    let params = ParetoParams::new(cfg.cutoff, cfg.other_below)?;
    let churned: Vec<usize> = (0..acc.len()).filter(|&i| acc.churned[i]).collect();
    if churned.is_empty() {
        if let Some(e) = acc.one_class_error() {
            return Err(e);
        }
    }
    let pick_labels = |rows: &[usize]| -> Vec<Option<&str>> {
        rows.iter().map(|&i| reason.values[i].as_deref()).collect()
    };
    let pick_weights = |rows: &[usize]| -> Option<Vec<f64>> {
        acc.revenue
            .as_ref()
            .map(|r| rows.iter().map(|&i| r.values[i]).collect())
    };
    let run = |rows: &[usize]| pareto(&pick_labels(rows), pick_weights(rows).as_deref(), &params);
    let overall = run(&churned)?;
    let mut notes = overall_notes(&overall, cfg, acc.revenue.is_some());

    let categories = match &acc.reason_category {
        Some(cat) => {
            let labels: Vec<Option<&str>> =
                churned.iter().map(|&i| cat.values[i].as_deref()).collect();
            let weights = pick_weights(&churned);
            let categories = pareto(&labels, weights.as_deref(), &params)?;
            let mut within = Vec::new();
            for row in &categories.by_frequency {
                let rows: Vec<usize> = churned
                    .iter()
                    .copied()
                    .filter(|&i| match cat.values[i].as_deref() {
                        None => row.kind == RowKind::NotGiven,
                        Some(c) => key(c) == key(&row.reason),
                    })
                    .collect();
                if !rows.is_empty() {
                    within.push(SubsetPareto {
                        column: cat.column.clone(),
                        level: row.reason.clone(),
                        pareto: run(&rows)?,
                    });
                }
            }
            Some(CategoryDrill {
                column: cat.column.clone(),
                categories,
                within,
            })
        }
        None => None,
    };

    let split: Vec<&crate::data::Categorical> = acc
        .segments
        .iter()
        .filter(|s| {
            cfg.split_by
                .as_ref()
                .map_or(true, |l| l.contains(&s.column))
        })
        .collect();
    let mut segments = Vec::new();
    for seg in split {
        for (k, level) in seg.levels.iter().enumerate() {
            let rows: Vec<usize> = churned
                .iter()
                .copied()
                .filter(|&i| seg.codes[i] == k as u32)
                .collect();
            if rows.is_empty() {
                notes.push(format!("no churned accounts in {} = {level}", seg.column));
                continue;
            }
            segments.push(SubsetPareto {
                column: seg.column.clone(),
                level: level.clone(),
                pareto: run(&rows)?,
            });
        }
    }

    let mix_shift = mix_shift(acc, &churned, cfg, &mut notes)?;
    Ok(Some(ParetoReport {
        reason_column: reason.column.clone(),
        revenue_column: acc.revenue.as_ref().map(|r| r.column.clone()),
        n_churned: churned.len(),
        overall,
        categories,
        segments,
        mix_shift,
        notes,
    }))
}

/// The notes on the overall ranking: merged spellings, folded reasons, and
/// the revenue ranking left out for want of a revenue column.
fn overall_notes(overall: &Pareto, cfg: &ParetoConfig, has_revenue: bool) -> Vec<String> {
    let mut notes = Vec::new();
    for (kept, merged) in &overall.merged_variants {
        notes.push(format!(
            "reason labels {} were merged into `{kept}` (they differ only in case or spacing)",
            merged
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !overall.folded.is_empty() {
        notes.push(format!(
            "{} reasons below {:.1} % of churned accounts were folded into \"Other\": {}",
            overall.folded.len(),
            100.0 * cfg.other_below,
            overall.folded.join(", ")
        ));
    }
    if !has_revenue {
        notes.push("no revenue column: only the frequency ranking is shown".into());
    }
    notes
}

/// The Pareto stage from tallies an engine summed: overall and per segment
/// level, ranked by the same code as [`study_pareto`]'s (the reason-category
/// drill and the mix shift are not yet passes of their own, and say so).
///
/// # Errors
/// Bad parameters, or no churned accounts.
pub fn tallied_pareto(
    reason_column: &str,
    revenue_column: Option<&str>,
    overall: &LabelTally,
    segments: &[(String, Vec<(String, LabelTally)>)],
    cfg: &ParetoConfig,
) -> Result<ParetoReport> {
    let params = ParetoParams::new(cfg.cutoff, cfg.other_below)?;
    let ranked = rank(overall, &params)?;
    let mut notes = overall_notes(&ranked, cfg, revenue_column.is_some());
    let mut subsets = Vec::new();
    for (column, levels) in segments {
        if cfg.split_by.as_ref().is_some_and(|l| !l.contains(column)) {
            continue;
        }
        for (level, t) in levels {
            if t.rows.iter().all(|r| r.count == 0) {
                notes.push(format!("no churned accounts in {column} = {level}"));
                continue;
            }
            subsets.push(SubsetPareto {
                column: column.clone(),
                level: level.clone(),
                pareto: rank(t, &params)?,
            });
        }
    }
    notes.push(
        "on an engine the reason-category drill and the reason-mix shift are not computed yet"
            .into(),
    );
    Ok(ParetoReport {
        reason_column: reason_column.to_string(),
        revenue_column: revenue_column.map(str::to_string),
        n_churned: ranked.total_count,
        overall: ranked,
        categories: None,
        segments: subsets,
        mix_shift: None,
        notes,
    })
}
