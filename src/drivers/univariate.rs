//! Univariate screening: each candidate driver against churned, on its own.
//! Numeric and ordinal drivers get Welch's t and Mann-Whitney U with Hedges'
//! g and the rank-biserial r; binary and categorical drivers get the
//! chi-square test (Fisher's exact test for a sparse 2×2), Cramér's V and,
//! for 2×2, the odds ratio. Every driver also gets the table analysts read:
//! churn rate per level or per quantile bin with Wilson intervals.

use serde::Serialize;

use super::design::DriverInfo;
use crate::config::DriverKind;
use crate::data::{Driver, DriverValues, MISSING};
use crate::stats::chisq::chi2_contingency;
use crate::stats::quantile::{quantiles_select, Counted};
use crate::stats::table2x2::{fisher_exact, odds_ratio, wilson, OddsRatio};
use crate::stats::twosample::{
    hedges_g, hedges_g_of, mann_whitney, mann_whitney_of, welch_t, welch_t_of, MannWhitney,
    Moments, WelchT,
};

/// Churn rate of one level or bin.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RateRow {
    pub level: String,
    pub n: usize,
    pub churned: usize,
    pub rate: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// The chi-square part of a table test.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChiSquare {
    pub statistic: f64,
    pub dof: usize,
    pub p_value: f64,
    /// Yates' continuity correction applied (2×2 tables, as scipy's default).
    pub yates: bool,
    /// Share of cells with expected count below 5.
    pub share_expected_below_5: f64,
}

/// One driver's univariate evidence.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Univariate {
    pub driver: String,
    pub label: String,
    pub kind: DriverKind,
    /// The test whose p-value judges the driver: `welch_t` (numeric),
    /// `mann_whitney` (ordinal), `chi_square` or `fisher_exact` (binary,
    /// categorical), or `none` when no test could run.
    pub test: String,
    pub statistic: f64,
    pub p_value: f64,
    /// Adjusted across drivers (see the report's `correction`).
    pub q_value: f64,
    pub effect_size: f64,
    /// `hedges_g`, `rank_biserial` or `cramers_v`.
    pub effect_measure: String,
    /// Rows with a value.
    pub n: usize,
    pub n_missing: usize,
    pub n_churned: usize,
    pub n_retained: usize,
    /// Numeric and ordinal drivers: group means (churned, retained).
    pub mean_churned: Option<f64>,
    pub mean_retained: Option<f64>,
    pub welch: Option<WelchT>,
    pub mann_whitney: Option<MannWhitney>,
    pub hedges_g: Option<f64>,
    pub chi_square: Option<ChiSquare>,
    pub fisher_p_value: Option<f64>,
    pub cramers_v: Option<f64>,
    /// 2×2 tables: odds of churn at the non-reference level vs the reference.
    pub odds_ratio: Option<OddsRatio>,
    /// The level the odds ratio compares against the reference.
    pub odds_ratio_level: Option<String>,
    pub rates: Vec<RateRow>,
    /// Why a test was skipped, or a caution.
    pub note: Option<String>,
}

impl Univariate {
    fn empty<D: DriverInfo>(d: &D) -> Self {
        let c = d.config();
        Univariate {
            driver: c.column.clone(),
            label: c.display_label().to_string(),
            kind: c.kind,
            test: "none".into(),
            statistic: f64::NAN,
            p_value: f64::NAN,
            q_value: f64::NAN,
            effect_size: f64::NAN,
            effect_measure: String::new(),
            n: 0,
            n_missing: d.n_missing(),
            n_churned: 0,
            n_retained: 0,
            mean_churned: None,
            mean_retained: None,
            welch: None,
            mann_whitney: None,
            hedges_g: None,
            chi_square: None,
            fisher_p_value: None,
            cramers_v: None,
            odds_ratio: None,
            odds_ratio_level: None,
            rates: Vec::new(),
            note: None,
        }
    }
}

/// Screens one driver. `reference` is the categorical reference level index.
pub fn screen(d: &Driver, churned: &[bool], bins: usize, reference: usize) -> Univariate {
    let mut u = Univariate::empty(d);
    match (&d.values, d.config.kind) {
        (DriverValues::Numeric(v), DriverKind::Binary) => {
            let mut codes = vec![MISSING; v.len()];
            for (c, x) in codes.iter_mut().zip(v) {
                if !x.is_nan() {
                    *c = if *x > 0.5 { 1 } else { 0 };
                }
            }
            // Reference = "no" (0); the odds ratio is yes vs no.
            table_tests(&mut u, &codes, &yes_no(), churned, 0);
        }
        (DriverValues::Numeric(v), _) => numeric_tests(&mut u, v, churned, bins),
        (DriverValues::Categorical(c), _) => {
            table_tests(&mut u, &c.codes, &c.levels, churned, reference)
        }
    }
    u
}

/// The levels a yes/no driver's table shows, its reference first.
fn yes_no() -> [String; 2] {
    ["no".into(), "yes".into()]
}

/// One value of a driver, ascending, with how many churned accounts and
/// how many accounts in all hold it: what an engine's GROUP BY answers.
pub type Tally = (f64, u64, u64);

/// Screens one driver from its tally (values ascending; a categorical
/// driver's values are codes of its levels): the same tests as [`screen`],
/// for a driver whose rows stay on an engine.
pub fn screen_tally<D: DriverInfo>(
    d: &D,
    tally: &[Tally],
    bins: usize,
    reference: usize,
) -> Univariate {
    let mut u = Univariate::empty(d);
    let counts = |k: usize, code: &dyn Fn(f64) -> usize| {
        let (mut ch, mut re) = (vec![0u64; k], vec![0u64; k]);
        for &(v, c, n) in tally {
            if let (Some(x), Some(y)) = (ch.get_mut(code(v)), re.get_mut(code(v))) {
                *x += c;
                *y += n - c;
            }
        }
        (ch, re)
    };
    match (d.levels(), d.config().kind) {
        (Some(levels), _) => {
            let (ch, re) = counts(levels.len(), &|v| v as usize);
            table_of_counts(&mut u, &ch, &re, levels, reference);
        }
        (None, DriverKind::Binary) => {
            let (ch, re) = counts(2, &|v| usize::from(v > 0.5));
            table_of_counts(&mut u, &ch, &re, &yes_no(), 0);
        }
        (None, _) => {
            let churned = tally.iter().filter(|t| t.1 > 0).map(|t| (t.0, t.1));
            let retained = tally.iter().filter(|t| t.2 > t.1).map(|t| (t.0, t.2 - t.1));
            let (n1, n0) = (
                churned.clone().map(|t| t.1).sum::<u64>() as usize,
                retained.clone().map(|t| t.1).sum::<u64>() as usize,
            );
            let rates = tally_rates(tally, bins);
            let stats = (n1 >= 2 && n0 >= 2).then(|| {
                let (a, b) = (Moments::of_counts(churned), Moments::of_counts(retained));
                (welch_t_of(a, b), mann_whitney_of(tally), hedges_g_of(a, b))
            });
            numeric_verdict(&mut u, n1, n0, rates, stats);
        }
    }
    u
}

fn numeric_tests(u: &mut Univariate, v: &[f64], churned: &[bool], bins: usize) {
    let mut g1 = Vec::new();
    let mut g0 = Vec::new();
    for (x, &c) in v.iter().zip(churned) {
        if !x.is_nan() {
            if c {
                g1.push(*x)
            } else {
                g0.push(*x)
            }
        }
    }
    let rates = numeric_rates(v, churned, bins);
    let stats = (g1.len() >= 2 && g0.len() >= 2).then(|| {
        (
            welch_t(&g1, &g0),
            mann_whitney(&g1, &g0),
            hedges_g(&g1, &g0),
        )
    });
    numeric_verdict(u, g1.len(), g0.len(), rates, stats);
}

/// A numeric driver's evidence from its groups' sizes, its rate table and
/// (with at least two accounts in each group) Welch's t, Mann-Whitney U and
/// Hedges' g: the test that judges it is U for an ordinal driver, else t.
fn numeric_verdict(
    u: &mut Univariate,
    n1: usize,
    n0: usize,
    rates: Vec<RateRow>,
    stats: Option<(WelchT, MannWhitney, f64)>,
) {
    u.n = n1 + n0;
    u.n_churned = n1;
    u.n_retained = n0;
    u.rates = rates;
    let Some((w, m, g)) = stats else {
        u.note = Some(format!(
            "too few accounts with a value to compare ({n1} churned, {n0} retained; at least 2 each needed)"
        ));
        return;
    };
    u.mean_churned = Some(w.mean_a);
    u.mean_retained = Some(w.mean_b);
    if w.p_value.is_nan() && m.p_value.is_nan() {
        u.note = Some("the driver does not vary among the accounts with a value".into());
    }
    if u.kind == DriverKind::Ordinal {
        u.test = "mann_whitney".into();
        u.statistic = m.statistic;
        u.p_value = m.p_value;
        u.effect_size = m.rank_biserial;
        u.effect_measure = "rank_biserial".into();
    } else {
        u.test = "welch_t".into();
        u.statistic = w.statistic;
        u.p_value = w.p_value;
        u.effect_size = g;
        u.effect_measure = "hedges_g".into();
    }
    u.welch = Some(w);
    u.mann_whitney = Some(m);
    u.hedges_g = Some(g);
}

fn table_tests(
    u: &mut Univariate,
    codes: &[u32],
    levels: &[String],
    churned: &[bool],
    reference: usize,
) {
    let k = levels.len();
    let mut ch = vec![0u64; k];
    let mut re = vec![0u64; k];
    for (&c, &y) in codes.iter().zip(churned) {
        if c != MISSING {
            if y {
                ch[c as usize] += 1
            } else {
                re[c as usize] += 1
            }
        }
    }
    table_of_counts(u, &ch, &re, levels, reference);
}

/// A table driver's evidence from its churned and retained counts per level.
fn table_of_counts(
    u: &mut Univariate,
    ch: &[u64],
    re: &[u64],
    levels: &[String],
    reference: usize,
) {
    let k = levels.len();
    u.n_churned = ch.iter().sum::<u64>() as usize;
    u.n_retained = re.iter().sum::<u64>() as usize;
    u.n = u.n_churned + u.n_retained;
    u.rates = (0..k)
        .filter(|&j| ch[j] + re[j] > 0)
        .map(|j| rate_row(levels[j].clone(), ch[j], ch[j] + re[j]))
        .collect();
    let present: Vec<usize> = (0..k).filter(|&j| ch[j] + re[j] > 0).collect();
    if present.len() < 2 || u.n_churned == 0 || u.n_retained == 0 {
        u.note = Some(if present.len() < 2 {
            "only one level present: nothing to compare".into()
        } else {
            "all accounts with a value are in one outcome group".into()
        });
        return;
    }
    let table: Vec<Vec<f64>> = present
        .iter()
        .map(|&j| vec![ch[j] as f64, re[j] as f64])
        .collect();
    let (Ok(corrected), Ok(plain)) = (
        chi2_contingency(&table, true),
        chi2_contingency(&table, false),
    ) else {
        u.note = Some("the contingency table is degenerate".into());
        return;
    };
    let n = u.n as f64;
    let v = (plain.statistic / (n * (present.len().min(2) - 1) as f64)).sqrt();
    u.cramers_v = Some(v);
    u.effect_size = v;
    u.effect_measure = "cramers_v".into();
    u.chi_square = Some(ChiSquare {
        statistic: corrected.statistic,
        dof: corrected.dof,
        p_value: corrected.p_value,
        yates: corrected.dof == 1,
        share_expected_below_5: corrected.share_expected_below_5,
    });
    u.test = "chi_square".into();
    u.statistic = corrected.statistic;
    u.p_value = corrected.p_value;
    if present.len() == 2 {
        // Odds of churn at the other level vs the reference (or the first present).
        let r = if present.contains(&reference) {
            reference
        } else {
            present[0]
        };
        let o = present[if present[0] == r { 1 } else { 0 }];
        u.odds_ratio = Some(odds_ratio(ch[o], re[o], ch[r], re[r]));
        u.odds_ratio_level = Some(levels[o].clone());
        let fisher = fisher_exact(ch[o], re[o], ch[r], re[r]);
        u.fisher_p_value = Some(fisher);
        if corrected.share_expected_below_5 > 0.0 {
            u.test = "fisher_exact".into();
            u.statistic = u.odds_ratio.map_or(f64::NAN, |x| x.odds_ratio);
            u.p_value = fisher;
            u.note = Some("an expected count is below 5, so Fisher's exact test is used".into());
        }
    } else if corrected.share_expected_below_5 > 0.2 {
        u.note = Some(format!(
            "{:.0} % of cells have an expected count below 5; the chi-square p-value is approximate",
            corrected.share_expected_below_5 * 100.0
        ));
    }
}

fn rate_row(level: String, churned: u64, n: u64) -> RateRow {
    let (lo, hi) = wilson(churned, n);
    RateRow {
        level,
        n: n as usize,
        churned: churned as usize,
        rate: churned as f64 / n as f64,
        ci_low: lo,
        ci_high: hi,
    }
}

/// The groups of a numeric driver as the rate tables show them: one per
/// distinct value (≤ 10 values), else quantile bins (e_b, e_{b+1}], the first
/// closed on the left. `codes[i]` is row i's group, or [`MISSING`] for a
/// blank; empty groups are dropped and the codes renumbered.
#[derive(Debug, Clone)]
pub struct NumericGroups {
    pub labels: Vec<String>,
    pub codes: Vec<u32>,
}

/// The edges of a numeric driver's rate-table groups: its distinct values
/// (≤ 10 of them), else the quantiles at 0, 1/bins, …, 1 (numpy's linear
/// interpolation), duplicates merged.
struct Bins {
    edges: Vec<f64>,
    per_value: bool,
}

impl Bins {
    /// Of the values present (reordered); `None` when there are none.
    fn of_values(present: &mut [f64], bins: usize) -> Option<Self> {
        if present.is_empty() {
            return None;
        }
        // Up to 10 distinct values: one row per value; else quantile bins
        // found by selection (O(n) each), not a full sort.
        let mut distinct: Vec<f64> = Vec::new();
        for &x in present.iter() {
            if !distinct.contains(&x) {
                distinct.push(x);
                if distinct.len() > 10 {
                    break;
                }
            }
        }
        if distinct.len() <= 10 {
            distinct.sort_unstable_by(f64::total_cmp);
            return Some(Bins {
                edges: distinct,
                per_value: true,
            });
        }
        let qs: Vec<f64> = (0..=bins).map(|k| k as f64 / bins as f64).collect();
        let mut edges = quantiles_select(present, &qs);
        edges.dedup();
        Some(Bins {
            edges,
            per_value: false,
        })
    }

    /// Of a tally (distinct values ascending): the same edges, bit for bit,
    /// the order statistics read off the running counts.
    fn of_tally(t: &[Tally], bins: usize) -> Option<Self> {
        if t.is_empty() {
            return None;
        }
        if t.len() <= 10 {
            return Some(Bins {
                edges: t.iter().map(|x| x.0).collect(),
                per_value: true,
            });
        }
        let c = Counted::new(t.iter().map(|x| (x.0, x.2)));
        let mut edges: Vec<f64> = (0..=bins)
            .map(|k| c.quantile(k as f64 / bins as f64))
            .collect();
        edges.dedup();
        Some(Bins {
            edges,
            per_value: false,
        })
    }

    fn len(&self) -> usize {
        if self.per_value {
            self.edges.len()
        } else {
            self.edges.len() - 1
        }
    }

    /// The group of value `x`: (e_b, e_{b+1}], the first closed on the left.
    fn of(&self, x: f64) -> usize {
        if self.per_value {
            self.edges.partition_point(|e| *e < x)
        } else {
            self.edges[1..]
                .partition_point(|e| *e < x)
                .min(self.len() - 1)
        }
    }

    fn label(&self, b: usize) -> String {
        let e = &self.edges;
        if self.per_value {
            crate::format::short(e[b])
        } else if b == 0 {
            format!(
                "[{}, {}]",
                crate::format::short(e[0]),
                crate::format::short(e[1])
            )
        } else {
            format!(
                "({}, {}]",
                crate::format::short(e[b]),
                crate::format::short(e[b + 1])
            )
        }
    }
}

/// Groups `v` into at most `bins` quantile bins (or one group per value).
pub fn numeric_groups(v: &[f64], bins: usize) -> NumericGroups {
    let mut present: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    let Some(bins) = Bins::of_values(&mut present, bins) else {
        return NumericGroups {
            labels: Vec::new(),
            codes: vec![MISSING; v.len()],
        };
    };
    let nb = bins.len();
    let mut n = vec![0u64; nb];
    let mut codes: Vec<u32> = v
        .iter()
        .map(|&x| {
            if x.is_nan() {
                return MISSING;
            }
            let b = bins.of(x);
            n[b] += 1;
            b as u32
        })
        .collect();
    let mut renumber = vec![MISSING; nb];
    let mut labels = Vec::new();
    for b in (0..nb).filter(|&b| n[b] > 0) {
        renumber[b] = labels.len() as u32;
        labels.push(bins.label(b));
    }
    for c in codes.iter_mut().filter(|c| **c != MISSING) {
        *c = renumber[*c as usize];
    }
    NumericGroups { labels, codes }
}

/// [`numeric_groups`] of a driver's tally (its distinct values, ascending),
/// for an engine to code its rows by: a value's bin is the first of
/// `thresholds` at or above it (the last bin past them all), and
/// `codes[bin]` is that bin's group, `None` for a bin that holds no value.
#[derive(Debug, Clone, PartialEq)]
pub struct TalliedGroups {
    pub labels: Vec<String>,
    pub thresholds: Vec<f64>,
    pub codes: Vec<Option<u32>>,
}

/// The groups of a tally, as [`numeric_groups`] makes them of the values.
pub fn numeric_groups_of_tally(t: &[Tally], bins: usize) -> TalliedGroups {
    let Some(b) = Bins::of_tally(t, bins) else {
        return TalliedGroups {
            labels: Vec::new(),
            thresholds: Vec::new(),
            codes: Vec::new(),
        };
    };
    let nb = b.len();
    let mut n = vec![0u64; nb];
    for &(v, _, all) in t {
        n[b.of(v)] += all;
    }
    let mut labels = Vec::new();
    let mut codes = vec![None; nb];
    for i in (0..nb).filter(|&i| n[i] > 0) {
        codes[i] = Some(labels.len() as u32);
        labels.push(b.label(i));
    }
    let thresholds = if b.per_value {
        b.edges[..nb - 1].to_vec()
    } else {
        b.edges[1..nb].to_vec()
    };
    TalliedGroups {
        labels,
        thresholds,
        codes,
    }
}

/// Churn rate per group of [`numeric_groups`].
fn numeric_rates(v: &[f64], churned: &[bool], bins: usize) -> Vec<RateRow> {
    let g = numeric_groups(v, bins);
    let mut n = vec![0u64; g.labels.len()];
    let mut c = vec![0u64; g.labels.len()];
    for (&code, &y) in g.codes.iter().zip(churned) {
        if code != MISSING {
            n[code as usize] += 1;
            c[code as usize] += y as u64;
        }
    }
    g.labels
        .into_iter()
        .enumerate()
        .map(|(b, label)| rate_row(label, c[b], n[b]))
        .collect()
}

/// [`numeric_rates`] of a tally.
fn tally_rates(t: &[Tally], bins: usize) -> Vec<RateRow> {
    let Some(bins) = Bins::of_tally(t, bins) else {
        return Vec::new();
    };
    let mut n = vec![0u64; bins.len()];
    let mut c = vec![0u64; bins.len()];
    for &(v, ch, all) in t {
        let b = bins.of(v);
        n[b] += all;
        c[b] += ch;
    }
    (0..bins.len())
        .filter(|&b| n[b] > 0)
        .map(|b| rate_row(bins.label(b), c[b], n[b]))
        .collect()
}

#[cfg(test)]
#[path = "univariate_tests.rs"]
mod tests;
