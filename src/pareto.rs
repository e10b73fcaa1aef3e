//! Pareto analysis of cancellation reasons (Juran's "vital few"), ranked by
//! frequency and by lost revenue, with the conventions of Minitab and R qcc's
//! `pareto.chart`: bars in descending order, cumulative share, a cut-off, and a
//! catch-all "Other" that always sorts last.

use serde::Serialize;

use crate::error::{Error, Result};

/// Label for churned accounts with a blank reason.
pub const NOT_GIVEN: &str = "(not given)";
/// Label of the catch-all bucket (a literal "Other" label joins it).
pub const OTHER: &str = "Other";

/// Settings of a Pareto analysis, checked on construction.
#[derive(Debug, Clone, Serialize)]
pub struct ParetoParams {
    /// Cumulative share that defines the vital few (default 0.8).
    pub cutoff: f64,
    /// Reasons whose count share is below this fold into "Other" (default 0: none).
    pub other_below: f64,
}

impl Default for ParetoParams {
    fn default() -> Self {
        ParetoParams {
            cutoff: 0.8,
            other_below: 0.0,
        }
    }
}

impl ParetoParams {
    /// # Errors
    /// [`Error::Usage`] when the cut-off is not in (0, 1] or the fold share not in [0, 1).
    pub fn new(cutoff: f64, other_below: f64) -> Result<Self> {
        if !(cutoff > 0.0 && cutoff <= 1.0) {
            return Err(Error::Usage {
                flag: "cutoff".into(),
                message: format!("{cutoff} must be a fraction in (0, 1], e.g. 0.8"),
            });
        }
        if !(0.0..1.0).contains(&other_below) {
            return Err(Error::Usage {
                flag: "other_below".into(),
                message: format!("{other_below} must be a fraction in [0, 1), e.g. 0.02"),
            });
        }
        Ok(ParetoParams {
            cutoff,
            other_below,
        })
    }
}

/// What a row stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    Reason,
    NotGiven,
    Other,
}

/// One bar of a Pareto chart.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ParetoRow {
    pub reason: String,
    pub count: usize,
    pub revenue: f64,
    /// This ranking's measure as a fraction of its total, in [0, 1].
    pub share: f64,
    /// Running sum of `share` in this ranking's order.
    pub cumulative_share: f64,
    /// 1-based position in this ranking.
    pub rank: usize,
    /// 1-based position of the same reason in the other ranking.
    pub rank_other: usize,
    /// Among the fewest top reasons that reach the cut-off of the accounts
    /// that gave a reason; "(not given)" and "Other" never are.
    pub vital_few: bool,
    pub kind: RowKind,
}

/// Both rankings of one set of churned accounts.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Pareto {
    pub by_frequency: Vec<ParetoRow>,
    /// Absent when there is no revenue weight.
    pub by_revenue: Option<Vec<ParetoRow>>,
    pub total_count: usize,
    pub total_revenue: f64,
    pub n_not_given: usize,
    pub cutoff: f64,
    /// Labels folded into "Other" because their share was below `other_below`.
    pub folded: Vec<String>,
    /// Case or spacing variants merged into one label: (kept, merged spellings).
    pub merged_variants: Vec<(String, Vec<String>)>,
}

impl Pareto {
    /// The ranking by the given measure.
    pub fn ranking(&self, by: Measure) -> Option<&[ParetoRow]> {
        match by {
            Measure::Frequency => Some(&self.by_frequency),
            Measure::Revenue => self.by_revenue.as_deref(),
        }
    }
}

/// The measure a ranking sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Frequency,
    Revenue,
}

/// Normalises a label for grouping: trimmed, inner whitespace collapsed, lower case.
fn key(label: &str) -> String {
    label
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Ranks `labels` (one per churned account; `None` = blank) by count and, when
/// `weights` is given, by summed weight (NaN counts as 0).
///
/// # Errors
/// [`Error::Analysis`] when there are no labels at all, or the weights do not
/// line up with the labels.
pub fn pareto(
    labels: &[Option<&str>],
    weights: Option<&[f64]>,
    params: &ParetoParams,
) -> Result<Pareto> {
    if labels.is_empty() {
        return Err(Error::Analysis {
            analysis: "pareto",
            message: "no churned accounts, so there are no cancellation reasons to rank".into(),
        });
    }
    if let Some(w) = weights {
        if w.len() != labels.len() {
            return Err(Error::Analysis {
                analysis: "pareto",
                message: format!("{} revenue weights for {} labels", w.len(), labels.len()),
            });
        }
    }
    // Group by normalised key; remember each spelling's count to pick the canonical one.
    #[derive(Default)]
    struct Group {
        count: usize,
        revenue: f64,
        spellings: Vec<(String, usize)>,
    }
    // Groups in key order (`index`), and each spelling's group and slot
    // remembered, so the key is worked out once per distinct spelling.
    let mut index: std::collections::BTreeMap<String, usize> = Default::default();
    let mut list: Vec<Group> = Vec::new();
    let mut seen: rustc_hash::FxHashMap<&str, (usize, usize)> = Default::default();
    let mut not_given = Group::default();
    for (i, l) in labels.iter().enumerate() {
        let w = weights.map_or(0.0, |w| if w[i].is_nan() { 0.0 } else { w[i] });
        let trimmed = l.map(str::trim).filter(|t| !t.is_empty());
        let g = match trimmed {
            None => &mut not_given,
            Some(t) => {
                let (gi, si) = match seen.get(t) {
                    Some(&slot) => slot,
                    None => {
                        let gi = *index.entry(key(t)).or_insert_with(|| {
                            list.push(Group::default());
                            list.len() - 1
                        });
                        let sp = &mut list[gi].spellings;
                        let si = match sp.iter().position(|(s, _)| s == t) {
                            Some(j) => j,
                            None => {
                                sp.push((t.to_string(), 0));
                                sp.len() - 1
                            }
                        };
                        seen.insert(t, (gi, si));
                        (gi, si)
                    }
                };
                let g = &mut list[gi];
                g.spellings[si].1 += 1;
                g
            }
        };
        g.count += 1;
        g.revenue += w;
    }
    let total_count = labels.len();
    let total_revenue: f64 =
        index.values().map(|&gi| list[gi].revenue).sum::<f64>() + not_given.revenue;

    let mut merged_variants = Vec::new();
    let mut items: Vec<(String, usize, f64, RowKind)> = Vec::new();
    let mut other = (0usize, 0f64, false);
    let mut folded = Vec::new();
    for (k, gi) in index {
        let g = std::mem::take(&mut list[gi]);
        let mut sp = g.spellings;
        sp.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let name = sp[0].0.clone();
        if sp.len() > 1 {
            merged_variants.push((name.clone(), sp[1..].iter().map(|s| s.0.clone()).collect()));
        }
        let share = g.count as f64 / total_count as f64;
        if k == key(OTHER) {
            other = (other.0 + g.count, other.1 + g.revenue, true);
        } else if share < params.other_below {
            other = (other.0 + g.count, other.1 + g.revenue, true);
            folded.push(name);
        } else {
            items.push((name, g.count, g.revenue, RowKind::Reason));
        }
    }
    if not_given.count > 0 {
        items.push((
            NOT_GIVEN.into(),
            not_given.count,
            not_given.revenue,
            RowKind::NotGiven,
        ));
    }
    if other.2 {
        items.push((OTHER.into(), other.0, other.1, RowKind::Other));
    }

    let freq_order = order(&items, Measure::Frequency);
    let rev_order = order(&items, Measure::Revenue);
    let by_frequency = rows(
        &items,
        &freq_order,
        &rev_order,
        Measure::Frequency,
        total_count as f64,
        params.cutoff,
    );
    let by_revenue = weights.map(|_| {
        rows(
            &items,
            &rev_order,
            &freq_order,
            Measure::Revenue,
            total_revenue,
            params.cutoff,
        )
    });
    Ok(Pareto {
        by_frequency,
        by_revenue,
        total_count,
        total_revenue,
        n_not_given: not_given.count,
        cutoff: params.cutoff,
        folded,
        merged_variants,
    })
}

/// Indices of `items` in ranking order: reasons by the measure (ties by the
/// other measure, then by name), then "(not given)", then "Other".
fn order(items: &[(String, usize, f64, RowKind)], by: Measure) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..items.len()).collect();
    let tier = |k: RowKind| match k {
        RowKind::Reason => 0,
        RowKind::NotGiven => 1,
        RowKind::Other => 2,
    };
    idx.sort_by(|&a, &b| {
        let (na, ca, ra, ka) = &items[a];
        let (nb, cb, rb, kb) = &items[b];
        let by_measure = match by {
            Measure::Frequency => cb.cmp(ca).then(rb.total_cmp(ra)),
            Measure::Revenue => rb.total_cmp(ra).then(cb.cmp(ca)),
        };
        tier(*ka)
            .cmp(&tier(*kb))
            .then(by_measure)
            .then_with(|| na.cmp(nb))
    });
    idx
}

fn rows(
    items: &[(String, usize, f64, RowKind)],
    ord: &[usize],
    other_ord: &[usize],
    by: Measure,
    total: f64,
    cutoff: f64,
) -> Vec<ParetoRow> {
    let measure = |i: usize| match by {
        Measure::Frequency => items[i].1 as f64,
        Measure::Revenue => items[i].2,
    };
    let given_total: f64 = ord
        .iter()
        .filter(|&&i| items[i].3 == RowKind::Reason)
        .map(|&i| measure(i))
        .sum();
    let mut out = Vec::with_capacity(ord.len());
    let mut cum = 0.0;
    let mut given_cum = 0.0;
    let mut reached = given_total <= 0.0;
    for (pos, &i) in ord.iter().enumerate() {
        let (name, count, revenue, kind) = &items[i];
        let share = if total > 0.0 { measure(i) / total } else { 0.0 };
        cum += share;
        let vital = *kind == RowKind::Reason && !reached;
        if *kind == RowKind::Reason {
            given_cum += measure(i);
            // a tiny tolerance so 80.00 % computed as 0.79999… still counts as reaching 80 %
            if given_cum / given_total >= cutoff - 1e-12 {
                reached = true;
            }
        }
        out.push(ParetoRow {
            reason: name.clone(),
            count: *count,
            revenue: *revenue,
            share,
            cumulative_share: cum.min(1.0),
            rank: pos + 1,
            rank_other: other_ord.iter().position(|&j| j == i).map_or(0, |p| p + 1),
            vital_few: vital,
            kind: *kind,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn labels(spec: &[(&str, usize)]) -> Vec<Option<&'static str>> {
        let mut v = Vec::new();
        for (l, n) in spec {
            let l: &'static str = Box::leak(l.to_string().into_boxed_str());
            for _ in 0..*n {
                v.push(if l.is_empty() { None } else { Some(l) });
            }
        }
        v
    }

    /// R qcc vignette, `pareto.chart(defect)`: contact num. 94, price code 80,
    /// supplier code 66, part num. 33, schedule date 27 → cumulative 31.33 %,
    /// 58.00 %, 80.00 %, 91.00 %, 100 %.
    #[test]
    fn qcc_textbook_example() {
        let l = labels(&[
            ("price code", 80),
            ("schedule date", 27),
            ("supplier code", 66),
            ("contact num.", 94),
            ("part num.", 33),
        ]);
        let p = pareto(&l, None, &ParetoParams::default()).unwrap();
        let names: Vec<&str> = p.by_frequency.iter().map(|r| r.reason.as_str()).collect();
        assert_eq!(
            names,
            [
                "contact num.",
                "price code",
                "supplier code",
                "part num.",
                "schedule date"
            ]
        );
        let cum: Vec<f64> = p.by_frequency.iter().map(|r| r.cumulative_share).collect();
        for (c, want) in cum.iter().zip([0.3133, 0.58, 0.80, 0.91, 1.0]) {
            assert_relative_eq!(*c, want, epsilon = 5e-5); // qcc prints two decimals of a percent
        }
        let vital: Vec<bool> = p.by_frequency.iter().map(|r| r.vital_few).collect();
        assert_eq!(vital, [true, true, true, false, false]);
        assert!(p.by_revenue.is_none());
    }

    #[test]
    fn rankings_differ_and_cross_reference() {
        let l = labels(&[("Budget", 5), ("Competitor", 2)]);
        let w: Vec<f64> = (0..7).map(|i| if i < 5 { 10.0 } else { 100.0 }).collect();
        let p = pareto(&l, Some(&w), &ParetoParams::default()).unwrap();
        assert_eq!(p.by_frequency[0].reason, "Budget");
        let r = p.by_revenue.as_ref().unwrap();
        assert_eq!(r[0].reason, "Competitor");
        assert_eq!(r[0].revenue, 200.0);
        assert_eq!(r[0].rank_other, 2);
        assert_relative_eq!(r[0].share, 200.0 / 250.0);
        assert_eq!(p.total_revenue, 250.0);
    }

    #[test]
    fn ties_break_by_other_measure_then_name() {
        let l = labels(&[("b", 2), ("a", 2), ("c", 2)]);
        let w = vec![1.0, 1.0, 1.0, 1.0, 5.0, 5.0];
        let p = pareto(&l, Some(&w), &ParetoParams::default()).unwrap();
        let names: Vec<&str> = p.by_frequency.iter().map(|r| r.reason.as_str()).collect();
        // c has the most revenue; a and b tie on both, so by name
        assert_eq!(names, ["c", "a", "b"]);
    }

    #[test]
    fn one_reason_only() {
        let l = labels(&[("Price", 4)]);
        let p = pareto(&l, None, &ParetoParams::default()).unwrap();
        assert_eq!(p.by_frequency.len(), 1);
        assert!(p.by_frequency[0].vital_few);
        assert_eq!(p.by_frequency[0].cumulative_share, 1.0);
    }

    #[test]
    fn all_blank_is_one_not_given_row_and_no_vital_few() {
        let l = labels(&[("", 3)]);
        let p = pareto(&l, Some(&[1.0, 2.0, 3.0]), &ParetoParams::default()).unwrap();
        assert_eq!(p.by_frequency.len(), 1);
        assert_eq!(p.by_frequency[0].reason, NOT_GIVEN);
        assert_eq!(p.by_frequency[0].kind, RowKind::NotGiven);
        assert!(!p.by_frequency[0].vital_few);
        assert_eq!(p.n_not_given, 3);
    }

    #[test]
    fn zero_revenue_reasons() {
        let l = labels(&[("a", 2), ("b", 1)]);
        let p = pareto(&l, Some(&[0.0, 0.0, 0.0]), &ParetoParams::default()).unwrap();
        let r = p.by_revenue.unwrap();
        assert!(r
            .iter()
            .all(|x| x.share == 0.0 && x.cumulative_share == 0.0));
        // with no revenue at all nothing is "vital" by revenue
        assert!(r.iter().all(|x| !x.vital_few));
        // order falls back to count
        assert_eq!(r[0].reason, "a");
    }

    #[test]
    fn not_given_and_other_sort_last_and_stay_out_of_vital_few() {
        let l = labels(&[("", 50), ("other", 40), ("x", 5), ("y", 3), ("z", 2)]);
        let p = pareto(&l, None, &ParetoParams::new(0.8, 0.04).unwrap()).unwrap();
        let names: Vec<&str> = p.by_frequency.iter().map(|r| r.reason.as_str()).collect();
        assert_eq!(names, ["x", NOT_GIVEN, OTHER]);
        assert_eq!(p.folded, ["y", "z"]);
        assert_eq!(p.by_frequency[2].count, 45);
        assert!(p.by_frequency[0].vital_few);
        assert!(!p.by_frequency[1].vital_few && !p.by_frequency[2].vital_few);
    }

    #[test]
    fn case_and_space_variants_merge() {
        let l = labels(&[
            ("Price too high", 3),
            ("price  too high", 1),
            (" Price too high ", 1),
        ]);
        let p = pareto(&l, None, &ParetoParams::default()).unwrap();
        assert_eq!(p.by_frequency.len(), 1);
        assert_eq!(p.by_frequency[0].reason, "Price too high");
        assert_eq!(p.by_frequency[0].count, 5);
        assert_eq!(
            p.merged_variants,
            [(
                "Price too high".to_string(),
                vec!["price  too high".to_string()]
            )]
        );
    }

    #[test]
    fn bad_params_and_empty_input() {
        assert!(ParetoParams::new(0.0, 0.0).is_err());
        assert!(ParetoParams::new(1.2, 0.0).is_err());
        assert!(ParetoParams::new(0.8, 1.0).is_err());
        assert!(pareto(&[], None, &ParetoParams::default()).is_err());
    }
}

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

/// A reason whose share of churned accounts moved between two periods.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Mover {
    pub reason: String,
    pub count_previous: usize,
    pub count_latest: usize,
    pub share_previous: f64,
    pub share_latest: f64,
    /// `share_latest − share_previous`, in [−1, 1].
    pub change: f64,
    /// Adjusted (standardised) residual of the latest-period cell; |r| > 2 stands out.
    pub adjusted_residual: f64,
}

/// Did the reason mix of the latest period differ from the previous one?
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MixShift {
    /// Where periods came from: the end-date column with its grain, or a period column.
    pub source: String,
    pub previous: String,
    pub latest: String,
    pub n_previous: usize,
    pub n_latest: usize,
    /// Pearson chi-square test of homogeneity (reasons × two periods).
    pub test: crate::stats::chisq::ChiSquareResult,
    /// Reasons ordered by the size of their share change, largest first.
    pub movers: Vec<Mover>,
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
/// Bad parameters, or no churned accounts at all.
pub fn study_pareto(
    acc: &crate::data::Accounts,
    cfg: &crate::config::ParetoConfig,
) -> Result<Option<ParetoReport>> {
    let Some(reason) = &acc.reason else {
        return Ok(None);
    };
    let params = ParetoParams::new(cfg.cutoff, cfg.other_below)?;
    let churned: Vec<usize> = (0..acc.len()).filter(|&i| acc.churned[i]).collect();
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
    if acc.revenue.is_none() {
        notes.push("no revenue column: only the frequency ranking is shown".into());
    }

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

/// Period label of each churned account, from the period column or the end date.
fn periods(
    acc: &crate::data::Accounts,
    churned: &[usize],
    cfg: &crate::config::ParetoConfig,
) -> Option<(String, Vec<Option<String>>)> {
    use chrono::Datelike;
    if let Some(p) = &acc.period_labels {
        return Some((
            format!("column `{}`", p.column),
            churned.iter().map(|&i| p.values[i].clone()).collect(),
        ));
    }
    let end = acc.end_date.as_ref()?;
    let grain = cfg.period;
    let label = |d: chrono::NaiveDate| match grain {
        crate::config::PeriodGrain::Month => format!("{:04}-{:02}", d.year(), d.month()),
        crate::config::PeriodGrain::Quarter => {
            format!("{:04}-Q{}", d.year(), (d.month() - 1) / 3 + 1)
        }
    };
    Some((
        format!(
            "{} of `{}`",
            if grain == crate::config::PeriodGrain::Month {
                "month"
            } else {
                "quarter"
            },
            end.column
        ),
        churned.iter().map(|&i| end.values[i].map(label)).collect(),
    ))
}

fn mix_shift(
    acc: &crate::data::Accounts,
    churned: &[usize],
    cfg: &crate::config::ParetoConfig,
    notes: &mut Vec<String>,
) -> Result<Option<MixShift>> {
    let Some(reason) = &acc.reason else {
        return Ok(None);
    };
    let Some((source, labels)) = periods(acc, churned, cfg) else {
        notes.push(
            "reason-mix shift skipped: no end date or period column to tell periods apart".into(),
        );
        return Ok(None);
    };
    let mut distinct: Vec<&str> = labels.iter().flatten().map(String::as_str).collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 2 {
        notes.push(format!(
            "reason-mix shift skipped: churned accounts fall in fewer than two periods ({source})"
        ));
        return Ok(None);
    }
    let (prev, latest) = (
        distinct[distinct.len() - 2].to_string(),
        distinct[distinct.len() - 1].to_string(),
    );
    // Reason keys → display label (most frequent spelling overall) and counts per period.
    let mut names: std::collections::BTreeMap<String, (String, usize, [usize; 2])> =
        Default::default();
    for (j, &i) in churned.iter().enumerate() {
        let col = match labels[j].as_deref() {
            Some(p) if p == prev => 0,
            Some(p) if p == latest => 1,
            _ => continue,
        };
        let raw = reason.values[i]
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let (k, shown) = match raw {
            Some(t) => (key(t), t.to_string()),
            None => (String::from("\u{0}not given"), NOT_GIVEN.to_string()),
        };
        let e = names.entry(k).or_insert((shown, 0, [0, 0]));
        e.1 += 1;
        e.2[col] += 1;
    }
    let n = [
        names.values().map(|v| v.2[0]).sum::<usize>(),
        names.values().map(|v| v.2[1]).sum::<usize>(),
    ];
    let table: Vec<Vec<f64>> = names
        .values()
        .map(|v| vec![v.2[0] as f64, v.2[1] as f64])
        .collect();
    let test = match crate::stats::chisq::chi2_contingency(&table, false) {
        Ok(t) => t,
        Err(e) => {
            notes.push(format!(
                "reason-mix shift skipped between {prev} and {latest}: {e}"
            ));
            return Ok(None);
        }
    };
    let total = (n[0] + n[1]) as f64;
    let mut movers: Vec<Mover> = names
        .values()
        .map(|(shown, _, c)| {
            let row = (c[0] + c[1]) as f64;
            let e = row * n[1] as f64 / total;
            let denom = (e * (1.0 - row / total) * (1.0 - n[1] as f64 / total)).sqrt();
            let share_previous = c[0] as f64 / n[0].max(1) as f64;
            let share_latest = c[1] as f64 / n[1].max(1) as f64;
            Mover {
                reason: shown.clone(),
                count_previous: c[0],
                count_latest: c[1],
                share_previous,
                share_latest,
                change: share_latest - share_previous,
                adjusted_residual: if denom > 0.0 {
                    (c[1] as f64 - e) / denom
                } else {
                    0.0
                },
            }
        })
        .collect();
    movers.sort_by(|a, b| {
        b.change
            .abs()
            .total_cmp(&a.change.abs())
            .then_with(|| a.reason.cmp(&b.reason))
    });
    if test.share_expected_below_5 > 0.2 {
        notes.push(format!(
            "reason-mix test: {:.0} % of cells expect fewer than 5 accounts, so its p-value is approximate",
            100.0 * test.share_expected_below_5
        ));
    }
    Ok(Some(MixShift {
        source,
        previous: prev,
        latest,
        n_previous: n[0],
        n_latest: n[1],
        test,
        movers,
    }))
}
