//! Period KPIs from the monthly MRR matrix, with the data contract's cohort
//! semantics: a period compares a start month with an end month over the
//! accounts billed (MRR > 0) in the start month.

use rayon::prelude::*;
use serde::Serialize;

pub use crate::config::Grain;
use crate::data::{Month, Revenue};

/// Sums over one start → end comparison (money in the MRR table's unit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Counts {
    /// Accounts billed in the start month (the cohort).
    pub cohort: usize,
    /// Cohort accounts not billed in the end month.
    pub churned: usize,
    /// Billed in the end month, not in the start month, never billed before it.
    pub new: usize,
    /// Billed in the end month, not in the start month, but billed before it.
    pub reactivated: usize,
    /// Accounts billed in the end month.
    pub billed_end: usize,
    pub starting_mrr: f64,
    pub churned_mrr: f64,
    pub contraction_mrr: f64,
    pub expansion_mrr: f64,
    pub new_mrr: f64,
    pub reactivation_mrr: f64,
    /// Total MRR in the end month.
    pub ending_mrr: f64,
}

impl Counts {
    fn add(mut self, o: &Counts) -> Counts {
        self.cohort += o.cohort;
        self.churned += o.churned;
        self.new += o.new;
        self.reactivated += o.reactivated;
        self.billed_end += o.billed_end;
        self.starting_mrr += o.starting_mrr;
        self.churned_mrr += o.churned_mrr;
        self.contraction_mrr += o.contraction_mrr;
        self.expansion_mrr += o.expansion_mrr;
        self.new_mrr += o.new_mrr;
        self.reactivation_mrr += o.reactivation_mrr;
        self.ending_mrr += o.ending_mrr;
        self
    }
}

/// One period's KPIs. Ratios are fractions; `None` when undefined (empty cohort).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodRow {
    pub grain: Grain,
    /// `2024-05`, `2024-Q2`; for TTM and YTD the end month.
    pub period: String,
    pub start_month: Month,
    pub end_month: Month,
    /// The period runs past the data (a quarter whose last month is not in
    /// the table): computed up to the last month there is, and flagged.
    pub partial: bool,
    #[serde(flatten)]
    pub counts: Counts,
    pub logo_churn_rate: Option<f64>,
    pub logo_retention: Option<f64>,
    pub grr: Option<f64>,
    pub nrr: Option<f64>,
    /// Average MRR per billed account in the end month.
    pub arpa: Option<f64>,
}

/// Every period row, plus the periods that could not be computed and why.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodKpis {
    pub first_month: Month,
    pub last_month: Month,
    pub rows: Vec<PeriodRow>,
    pub skipped: Vec<String>,
}

impl PeriodKpis {
    /// The rows of one grain, in time order.
    pub fn of(&self, g: Grain) -> impl Iterator<Item = &PeriodRow> {
        self.rows.iter().filter(move |r| r.grain == g)
    }
}

/// First month index each account is billed in (`u32::MAX` = never).
fn first_billed(rev: &Revenue) -> Vec<u32> {
    (0..rev.n_accounts)
        .into_par_iter()
        .map(|a| {
            (0..rev.n_months)
                .find(|&m| rev.billed(a, m) > 0.0)
                .map_or(u32::MAX, |m| m as u32)
        })
        .collect()
}

/// Every planned start → end comparison in one pass over the accounts: each
/// account's row of months is read once, from cache, for all periods.
/// Sums run over accounts in order within fixed chunks and then over chunks
/// in order, so the floating-point results never depend on how rayon split
/// the work: reruns are byte-identical.
pub fn compare_all(rev: &Revenue, first: &[u32], plan: &[(usize, usize)]) -> Vec<Counts> {
    const CHUNK: usize = 16_384;
    let per_chunk: Vec<Vec<Counts>> = (0..rev.n_accounts.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut ks = vec![Counts::default(); plan.len()];
            let (lo, hi) = (c * CHUNK, ((c + 1) * CHUNK).min(rev.n_accounts));
            for (a, &fb) in first.iter().enumerate().take(hi).skip(lo) {
                let row = rev.row(a);
                let billed = |m: usize| if row[m].is_nan() { 0.0 } else { row[m] };
                for (k, &(s, e)) in ks.iter_mut().zip(plan) {
                    tally(k, billed(s), billed(e), (fb as usize) < s);
                }
            }
            ks
        })
        .collect();
    (0..plan.len())
        .map(|p| {
            per_chunk
                .iter()
                .fold(Counts::default(), |acc, ks| acc.add(&ks[p]))
        })
        .collect()
}

/// One account's contribution to one comparison: MRR `x` in the start
/// month, `y` in the end month; `billed_before` = first billed before start.
#[inline]
fn tally(k: &mut Counts, x: f64, y: f64, billed_before: bool) {
    if x > 0.0 {
        k.cohort += 1;
        k.starting_mrr += x;
        if y > 0.0 {
            if y > x {
                k.expansion_mrr += y - x;
            } else {
                k.contraction_mrr += x - y;
            }
        } else {
            k.churned += 1;
            k.churned_mrr += x;
        }
    } else if y > 0.0 {
        if billed_before {
            k.reactivated += 1;
            k.reactivation_mrr += y;
        } else {
            k.new += 1;
            k.new_mrr += y;
        }
    }
    if y > 0.0 {
        k.billed_end += 1;
        k.ending_mrr += y;
    }
}

fn row(
    grain: Grain,
    period: String,
    first: Month,
    s: usize,
    e: usize,
    partial: bool,
    k: Counts,
) -> PeriodRow {
    let ratio = |num: f64, den: f64| (den > 0.0).then(|| num / den);
    let churn = ratio(k.churned as f64, k.cohort as f64);
    PeriodRow {
        grain,
        period,
        start_month: first.plus(s as i32),
        end_month: first.plus(e as i32),
        partial,
        counts: k,
        logo_churn_rate: churn,
        logo_retention: churn.map(|c| 1.0 - c),
        grr: ratio(
            k.starting_mrr - k.churned_mrr - k.contraction_mrr,
            k.starting_mrr,
        ),
        nrr: ratio(
            k.starting_mrr - k.churned_mrr - k.contraction_mrr + k.expansion_mrr,
            k.starting_mrr,
        ),
        arpa: ratio(k.ending_mrr, k.billed_end as f64),
    }
}

/// One planned comparison: its grain and label, start and end month
/// indices (from the first month), and whether it runs past the data.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub grain: Grain,
    pub label: String,
    pub start: usize,
    pub end: usize,
    pub partial: bool,
}

/// Every month, quarter, TTM and YTD comparison that `n` months from
/// `first` support, and the periods that cannot be computed, with why.
/// The in-memory path and the engines count the same plan.
pub fn plan(first: Month, n: usize) -> (Vec<Planned>, Vec<String>) {
    let month = |m: usize| first.plus(m as i32);
    let last = month(n.saturating_sub(1));
    let idx = |m: Month| -> Option<usize> {
        let k = m.0 - first.0;
        (k >= 0 && (k as usize) < n).then_some(k as usize)
    };
    let mut plan = Vec::new();
    let mut push = |grain, label: String, start, end, partial| {
        plan.push(Planned {
            grain,
            label,
            start,
            end,
            partial,
        })
    };
    let mut skipped = Vec::new();
    if n >= 2 {
        for e in 1..n {
            push(Grain::Month, month(e).to_string(), e - 1, e, false);
        }
    }
    // Quarters touched by the data.
    let mut q = first.quarter_start();
    while q <= last {
        let q_end = q.plus(2);
        let label = q.quarter_label();
        match idx(q.plus(-1)) {
            None => skipped.push(format!(
                "{label}: its start month {} (the last month of the quarter before) is not in the revenue table",
                q.plus(-1)
            )),
            Some(s) => {
                let (e, partial) = match idx(q_end) {
                    Some(e) => (e, false),
                    None => (n - 1, true),
                };
                if e > s {
                    push(Grain::Quarter, label, s, e, partial);
                }
            }
        }
        q = q.plus(3);
    }
    for e in 0..n {
        let m = month(e);
        if let Some(s) = idx(m.plus(-12)) {
            push(Grain::Ttm, m.to_string(), s, e, false);
        }
        if let Some(s) = idx(Month::new(m.year() - 1, 12)) {
            push(Grain::Ytd, m.to_string(), s, e, false);
        }
    }
    if n < 13 {
        skipped.push(format!(
            "trailing twelve months: the table covers {n} months; TTM needs 13 (a start month 12 months before the end)"
        ));
    }
    (plan, skipped)
}

/// The period KPIs from the plan's counts (one [`Counts`] per planned
/// comparison, in plan order).
pub fn assemble(
    first: Month,
    n: usize,
    plan: Vec<Planned>,
    counts: Vec<Counts>,
    skipped: Vec<String>,
) -> PeriodKpis {
    let rows = plan
        .into_iter()
        .zip(counts)
        .map(|(p, k)| row(p.grain, p.label, first, p.start, p.end, p.partial, k))
        .collect();
    PeriodKpis {
        first_month: first,
        last_month: first.plus(n as i32 - 1),
        rows,
        skipped,
    }
}

/// Every month, quarter, TTM and YTD period the table supports.
pub fn period_kpis(rev: &Revenue) -> PeriodKpis {
    let first = first_billed(rev);
    let (plan, skipped) = plan(rev.first_month, rev.n_months);
    let pairs: Vec<(usize, usize)> = plan.iter().map(|p| (p.start, p.end)).collect();
    let counts = compare_all(rev, &first, &pairs);
    assemble(rev.first_month, rev.n_months, plan, counts, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A revenue matrix from per-account MRR rows (None = no row).
    pub(crate) fn revenue(first: Month, rows: &[&[Option<f64>]]) -> Revenue {
        let n_months = rows[0].len();
        let mut mrr = Vec::new();
        for r in rows {
            assert_eq!(r.len(), n_months);
            mrr.extend(r.iter().map(|v| v.unwrap_or(f64::NAN)));
        }
        let n_rows = mrr.iter().filter(|v| !v.is_nan()).count();
        Revenue::from_dense("fixture.csv".into(), first, n_months, n_rows, &mrr)
    }

    fn get<'a>(p: &'a PeriodKpis, g: Grain, label: &str) -> &'a PeriodRow {
        p.rows
            .iter()
            .find(|r| r.grain == g && r.period == label)
            .unwrap_or_else(|| panic!("no {g:?} {label}"))
    }

    #[test]
    fn textbook_grr_90_nrr_110() {
        // ARR 250,000 over 5 customers (MRR ×12); one of 25,000 lost, 50,000 of expansion.
        let m = |arr: f64| Some(arr / 12.0);
        let rev = revenue(
            Month::new(2024, 1),
            &[
                &[m(25_000.0), None],
                &[m(50_000.0), m(100_000.0)],
                &[m(50_000.0), m(50_000.0)],
                &[m(60_000.0), m(60_000.0)],
                &[m(65_000.0), m(65_000.0)],
            ],
        );
        let p = period_kpis(&rev);
        let r = get(&p, Grain::Month, "2024-02");
        assert!((r.grr.unwrap() - 0.90).abs() < 1e-12, "{r:?}");
        assert!((r.nrr.unwrap() - 1.10).abs() < 1e-12);
        assert_eq!(r.counts.churned, 1);
        assert!((r.logo_churn_rate.unwrap() - 0.2).abs() < 1e-15);
        assert!((r.counts.starting_mrr * 12.0 - 250_000.0).abs() < 1e-6);
    }

    #[test]
    fn expansion_contraction_churn_reactivation_new() {
        // Months: Jan..Jun 2024.
        let rev = revenue(
            Month::new(2024, 1),
            &[
                // a: expands 100 → 150 in Feb
                &[
                    Some(100.0),
                    Some(150.0),
                    Some(150.0),
                    Some(150.0),
                    Some(150.0),
                    Some(150.0),
                ],
                // b: contracts 200 → 120 in Feb
                &[
                    Some(200.0),
                    Some(120.0),
                    Some(120.0),
                    Some(120.0),
                    Some(120.0),
                    Some(120.0),
                ],
                // c: churns in Mar (explicit 0 row), comes back in May
                &[
                    Some(300.0),
                    Some(300.0),
                    Some(0.0),
                    None,
                    Some(310.0),
                    Some(310.0),
                ],
                // d: starts mid-window in Apr
                &[None, None, None, Some(80.0), Some(80.0), Some(80.0)],
            ],
        );
        let p = period_kpis(&rev);
        let feb = get(&p, Grain::Month, "2024-02");
        assert_eq!(feb.counts.cohort, 3);
        assert_eq!(feb.counts.expansion_mrr, 50.0);
        assert_eq!(feb.counts.contraction_mrr, 80.0);
        assert_eq!(feb.grr, Some((600.0 - 80.0) / 600.0));
        assert_eq!(feb.nrr, Some((600.0 - 80.0 + 50.0) / 600.0));
        let mar = get(&p, Grain::Month, "2024-03");
        assert_eq!(mar.counts.churned, 1);
        assert_eq!(mar.counts.churned_mrr, 300.0);
        assert_eq!(mar.logo_churn_rate, Some(1.0 / 3.0));
        assert_eq!(mar.arpa, Some(270.0 / 2.0));
        let apr = get(&p, Grain::Month, "2024-04");
        assert_eq!((apr.counts.new, apr.counts.new_mrr), (1, 80.0));
        assert_eq!(apr.counts.cohort, 2, "d is new: outside April's cohort");
        let may = get(&p, Grain::Month, "2024-05");
        assert_eq!(may.counts.reactivated, 1, "c returns: a reactivation");
        assert_eq!(may.counts.reactivation_mrr, 310.0);
        assert_eq!(
            may.counts.expansion_mrr, 0.0,
            "reactivation is not expansion"
        );
        assert_eq!(may.counts.new, 0);
        // Q2 2024: start = Mar, end = Jun. Cohort a, b (c unbilled in Mar).
        let q2 = get(&p, Grain::Quarter, "2024-Q2");
        assert!(!q2.partial);
        assert_eq!(q2.counts.cohort, 2);
        assert_eq!((q2.counts.new, q2.counts.reactivated), (1, 1));
        assert_eq!(q2.grr, Some(1.0));
        // Q1 2024 has no start month (Dec 2023) in the table.
        assert!(p.of(Grain::Quarter).all(|r| r.period != "2024-Q1"));
        assert!(p.skipped.iter().any(|s| s.starts_with("2024-Q1")));
        // YTD at June: start Dec 2023, not in the table.
        assert_eq!(p.of(Grain::Ytd).count(), 0);
        for r in &p.rows {
            if let Some(g) = r.grr {
                assert!(g <= 1.0 + 1e-12, "GRR above 100 %: {r:?}");
            }
            // ending MRR = start − churned − contraction + expansion + new + reactivation
            let k = r.counts;
            let bridge = k.starting_mrr - k.churned_mrr - k.contraction_mrr
                + k.expansion_mrr
                + k.new_mrr
                + k.reactivation_mrr;
            assert!((bridge - k.ending_mrr).abs() < 1e-9, "{r:?}");
        }
    }

    #[test]
    fn partial_quarter_is_flagged() {
        // Dec 2023 .. Feb 2024: Q1 2024 runs past the data.
        let rev = revenue(
            Month::new(2023, 12),
            &[
                &[Some(10.0), Some(10.0), Some(10.0)],
                &[Some(5.0), Some(0.0), None],
            ],
        );
        let p = period_kpis(&rev);
        let q1 = get(&p, Grain::Quarter, "2024-Q1");
        assert!(q1.partial);
        assert_eq!(q1.end_month, Month::new(2024, 2));
        assert_eq!(q1.logo_churn_rate, Some(0.5));
        let ytd = get(&p, Grain::Ytd, "2024-02");
        assert_eq!(ytd.grr, Some(10.0 / 15.0));
    }

    #[test]
    fn nrr_above_one_when_expansion_outweighs_losses() {
        let rev = revenue(
            Month::new(2024, 1),
            &[&[Some(100.0), Some(0.0)], &[Some(100.0), Some(300.0)]],
        );
        let p = period_kpis(&rev);
        let r = get(&p, Grain::Month, "2024-02");
        assert_eq!(r.grr, Some(0.5));
        assert_eq!(r.nrr, Some(1.5));
    }
}
