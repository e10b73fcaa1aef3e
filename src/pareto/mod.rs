//! Pareto analysis of cancellation reasons (Juran's "vital few"), ranked by
//! frequency and by lost revenue, with the conventions of Minitab and R qcc's
//! `pareto.chart`: bars in descending order, cumulative share, a cut-off, and a
//! catch-all "Other" that always sorts last. [`study_pareto`] runs it on a
//! study (overall, per segment and category, `study.rs`) with the reason-mix
//! shift between the two latest periods (`mix_shift.rs`).

mod mix_shift;
mod study;

use serde::Serialize;

pub use crate::data::aggregates::{LabelTally, TallyRow};
use crate::error::{Error, Result};
pub use mix_shift::{MixShift, Mover};
pub use study::{study_pareto, tallied_pareto, CategoryDrill, ParetoReport, SubsetPareto};

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
    if let Some(w) = weights {
        if w.len() != labels.len() {
            return Err(Error::Analysis {
                analysis: "pareto",
                message: format!("{} revenue weights for {} labels", w.len(), labels.len()),
            });
        }
    }
    rank(&tally(labels, weights), params)
}

/// Counts and sums `labels` by spelling (trimmed), in the order each first
/// occurs: what an engine's `GROUP BY` answers for the same rows.
pub fn tally(labels: &[Option<&str>], weights: Option<&[f64]>) -> LabelTally {
    let mut rows: Vec<TallyRow> = Vec::new();
    let mut seen: rustc_hash::FxHashMap<&str, usize> = Default::default();
    let mut not_given: Option<usize> = None;
    for (i, l) in labels.iter().enumerate() {
        let w = weights.map_or(0.0, |w| if w[i].is_nan() { 0.0 } else { w[i] });
        let trimmed = l.map(str::trim).filter(|t| !t.is_empty());
        let slot = match trimmed {
            None => *not_given.get_or_insert_with(|| {
                rows.push(TallyRow::new(None));
                rows.len() - 1
            }),
            Some(t) => *seen.entry(t).or_insert_with(|| {
                rows.push(TallyRow::new(Some(t.to_string())));
                rows.len() - 1
            }),
        };
        rows[slot].count += 1;
        rows[slot].weight += w;
    }
    LabelTally {
        rows,
        weighted: weights.is_some(),
    }
}

/// Ranks a tally of reason labels by count and, when it is weighted, by
/// summed weight; spellings that differ only in case or spacing are merged
/// into the most common one.
///
/// # Errors
/// [`Error::Analysis`] when the tally counts no account.
pub fn rank(t: &LabelTally, params: &ParetoParams) -> Result<Pareto> {
    let total_count: usize = t.rows.iter().map(|r| r.count).sum();
    if total_count == 0 {
        return Err(Error::Analysis {
            analysis: "pareto",
            message: "no churned accounts, so there are no cancellation reasons to rank".into(),
        });
    }
    let weights = t.weighted.then_some(());
    // Group by normalised key; remember each spelling's count to pick the canonical one.
    #[derive(Default)]
    struct Group {
        count: usize,
        revenue: f64,
        spellings: Vec<(String, usize)>,
    }
    let mut index: std::collections::BTreeMap<String, usize> = Default::default();
    let mut list: Vec<Group> = Vec::new();
    let mut not_given = Group::default();
    for r in &t.rows {
        let g = match r.label.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
            None => &mut not_given,
            Some(l) => {
                let gi = *index.entry(key(l)).or_insert_with(|| {
                    list.push(Group::default());
                    list.len() - 1
                });
                let g = &mut list[gi];
                match g.spellings.iter_mut().find(|(s, _)| s == l) {
                    Some(sp) => sp.1 += r.count,
                    None => g.spellings.push((l.to_string(), r.count)),
                }
                g
            }
        };
        g.count += r.count;
        g.revenue += r.weight;
    }
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
