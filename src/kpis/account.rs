//! Account KPIs (NPS, time to value, means of `[kpis] means`) overall and per
//! segment, and the efficiency KPIs per owner with a funnel plot of churn rate
//! against book size.

use rayon::prelude::*;
use serde::Serialize;

use crate::data::{Accounts, MISSING};
use crate::stats::dist::{t_ppf, Z975};
use crate::stats::quantile::{quantile_select, Counted};
use crate::stats::twosample::Moments;

/// Net Promoter Score of one group, in points (−100..100).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Nps {
    pub column: String,
    pub responses: usize,
    /// Responses / accounts in the group.
    pub response_rate: f64,
    pub promoters: usize,
    pub passives: usize,
    pub detractors: usize,
    /// % promoters (9–10) − % detractors (0–6).
    pub nps: f64,
    /// Standard error of the score, from the trinomial variance
    /// `(p_P + p_D − (p_P − p_D)²) / n`.
    pub std_error: f64,
    /// 95 % normal-approximation interval, clipped to [−100, 100].
    pub ci_low: f64,
    pub ci_high: f64,
}

/// Quantiles of time to value (days).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeToValue {
    pub column: String,
    pub n: usize,
    pub median: f64,
    pub p75: f64,
    pub mean: f64,
}

/// Mean of a KPI column with a t interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mean {
    pub column: String,
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// Account KPIs of one group: everyone, or one level of a segment column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupKpis {
    /// `None` for all accounts.
    pub segment_column: Option<String>,
    pub segment: Option<String>,
    pub accounts: usize,
    pub churned: usize,
    pub nps: Option<Nps>,
    pub time_to_value: Option<TimeToValue>,
    pub means: Vec<Mean>,
}

impl GroupKpis {
    /// `segment=SMB`, or `all`.
    pub fn key(&self) -> String {
        match (&self.segment_column, &self.segment) {
            (Some(c), Some(l)) => format!("{c}={l}"),
            _ => "all".into(),
        }
    }
}

/// The [`Nps`] of answers `v` (NaN = no answer) over `accounts` rows.
pub fn nps(column: &str, v: impl Iterator<Item = f64>, accounts: usize) -> Option<Nps> {
    nps_of_counts(column, v.filter(|x| !x.is_nan()).map(|x| (x, 1)), accounts)
}

/// The [`Nps`] of answers given as (answer, how many), over `accounts` rows.
pub fn nps_of_counts(
    column: &str,
    v: impl Iterator<Item = (f64, u64)>,
    accounts: usize,
) -> Option<Nps> {
    let (mut p, mut pa, mut d) = (0usize, 0usize, 0usize);
    for (x, c) in v {
        let c = c as usize;
        if x >= 9.0 {
            p += c;
        } else if x >= 7.0 {
            pa += c;
        } else {
            d += c;
        }
    }
    let n = p + pa + d;
    if n == 0 {
        return None;
    }
    let nf = n as f64;
    let (pp, pd) = (p as f64 / nf, d as f64 / nf);
    let score = pp - pd;
    let se = ((pp + pd - score * score).max(0.0) / nf).sqrt();
    Some(Nps {
        column: column.to_string(),
        responses: n,
        response_rate: nf / accounts.max(1) as f64,
        promoters: p,
        passives: pa,
        detractors: d,
        nps: 100.0 * score,
        std_error: 100.0 * se,
        ci_low: (100.0 * (score - Z975 * se)).max(-100.0),
        ci_high: (100.0 * (score + Z975 * se)).min(100.0),
    })
}

fn time_to_value(column: &str, v: impl Iterator<Item = f64>) -> Option<TimeToValue> {
    let mut s: Vec<f64> = v.filter(|x| !x.is_nan()).collect();
    if s.is_empty() {
        return None;
    }
    Some(TimeToValue {
        column: column.to_string(),
        n: s.len(),
        mean: s.iter().sum::<f64>() / s.len() as f64,
        median: quantile_select(&mut s, 0.5),
        p75: quantile_select(&mut s, 0.75),
    })
}

/// [`TimeToValue`] of a sample given as (value, count), values ascending.
pub fn time_to_value_of_counts(column: &str, t: &[(f64, u64)]) -> Option<TimeToValue> {
    let c = Counted::new(t.iter().copied());
    let n = c.n();
    (n > 0).then(|| TimeToValue {
        column: column.to_string(),
        n: n as usize,
        mean: t.iter().map(|(v, k)| v * *k as f64).sum::<f64>() / n as f64,
        median: c.quantile(0.5),
        p75: c.quantile(0.75),
    })
}

fn mean(column: &str, v: impl Iterator<Item = f64>) -> Option<Mean> {
    let s: Vec<f64> = v.filter(|x| !x.is_nan()).collect();
    if s.is_empty() {
        return None;
    }
    let (m, var) = crate::stats::twosample::mean_var(&s);
    Some(mean_of(column, s.len(), m, var))
}

/// [`Mean`] of a sample given as (value, count).
pub fn mean_of_counts(column: &str, t: &[(f64, u64)]) -> Option<Mean> {
    let m = Moments::of_counts(t.iter().copied());
    (m.n > 0.0).then(|| mean_of(column, m.n as usize, m.mean, m.var))
}

/// The mean with its t interval, from the sample's size, mean and variance.
fn mean_of(column: &str, n: usize, m: f64, var: f64) -> Mean {
    let half = if n > 1 {
        t_ppf(0.975, (n - 1) as f64) * (var / n as f64).sqrt()
    } else {
        f64::NAN
    };
    Mean {
        column: column.to_string(),
        n,
        mean: m,
        sd: var.sqrt(),
        ci_low: m - half,
        ci_high: m + half,
    }
}

/// Which `[kpis]` columns to summarise.
pub struct Columns<'a> {
    pub nps: Option<&'a str>,
    pub time_to_value: Option<&'a str>,
    pub means: &'a [String],
}

fn group(a: &Accounts, cols: &Columns, rows: &[usize], seg: Option<(&str, &str)>) -> GroupKpis {
    let pick = |c: &str| a.metric(c).map(|m| rows.iter().map(move |&i| m.values[i]));
    GroupKpis {
        segment_column: seg.map(|s| s.0.to_string()),
        segment: seg.map(|s| s.1.to_string()),
        accounts: rows.len(),
        churned: rows.iter().filter(|&&i| a.churned[i]).count(),
        nps: cols
            .nps
            .and_then(|c| pick(c).and_then(|v| nps(c, v, rows.len()))),
        time_to_value: cols
            .time_to_value
            .and_then(|c| pick(c).and_then(|v| time_to_value(c, v))),
        means: cols
            .means
            .iter()
            .filter_map(|c| pick(c).and_then(|v| mean(c, v)))
            .collect(),
    }
}

/// Account KPIs for all accounts, then per level of every segment column.
pub fn account_kpis(a: &Accounts, cols: &Columns) -> Vec<GroupKpis> {
    let all: Vec<usize> = (0..a.len()).collect();
    // (rows, segment column and level); the first group is every account.
    type Group<'a> = (Vec<usize>, Option<(&'a str, &'a str)>);
    let mut groups: Vec<Group> = vec![(all, None)];
    for seg in &a.segments {
        let mut rows: Vec<Vec<usize>> = vec![Vec::new(); seg.levels.len()];
        for (i, &c) in seg.codes.iter().enumerate() {
            if c != MISSING {
                rows[c as usize].push(i);
            }
        }
        for (lev, r) in seg.levels.iter().zip(rows) {
            groups.push((r, Some((seg.column.as_str(), lev.as_str()))));
        }
    }
    // The groups are independent: side by side, in their listed order.
    groups
        .par_iter()
        .map(|(rows, label)| group(a, cols, rows, *label))
        .collect()
}

/// Efficiency KPIs of one owner's book.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OwnerRow {
    pub owner: String,
    pub accounts: usize,
    pub churned: usize,
    /// Revenue weight of the book (sum of the accounts' ARR); `None` without a revenue column.
    pub arr_managed: Option<f64>,
    pub churned_arr: Option<f64>,
    pub logo_churn_rate: f64,
    /// p-chart limits for a book of this size: p̄ ± 3 √(p̄(1 − p̄)/n), clipped to [0, 1].
    pub lcl: f64,
    pub ucl: f64,
    /// (rate − p̄) / σ(n)
    pub z: f64,
    /// `above` / `below` the 3σ limits, or `None` (common-cause variation).
    pub signal: Option<&'static str>,
}

/// Per-owner efficiency and the funnel of their churn rates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Efficiency {
    pub owner_column: String,
    /// Overall logo churn rate p̄ of accounts with an owner.
    pub center: f64,
    pub accounts: usize,
    pub accounts_without_owner: usize,
    pub owners: Vec<OwnerRow>,
    pub n_above: usize,
    pub n_below: usize,
}

/// One owner's book, summed: its accounts and churns, and their revenue
/// weight (0 where blank).
#[derive(Debug, Clone, PartialEq)]
pub struct Book {
    pub owner: String,
    pub accounts: usize,
    pub churned: usize,
    pub arr: f64,
    pub churned_arr: f64,
}

/// Groups accounts by owner. Owners are listed by descending book size, then name.
pub fn efficiency(a: &Accounts) -> Option<Efficiency> {
    let own = a.owner.as_ref()?;
    let mut books: Vec<Book> = own
        .levels
        .iter()
        .map(|l| Book {
            owner: l.clone(),
            accounts: 0,
            churned: 0,
            arr: 0.0,
            churned_arr: 0.0,
        })
        .collect();
    let rev = a.revenue.as_ref();
    let mut without = 0;
    for (i, &c) in own.codes.iter().enumerate() {
        if c == MISSING {
            without += 1;
            continue;
        }
        let b = &mut books[c as usize];
        b.accounts += 1;
        let w = rev.map_or(0.0, |r| r.values[i]);
        let w = if w.is_nan() { 0.0 } else { w };
        b.arr += w;
        if a.churned[i] {
            b.churned += 1;
            b.churned_arr += w;
        }
    }
    efficiency_of(&own.column, books, without, rev.is_some())
}

/// The funnel of the owners' churn rates from their `books` (in the order
/// they are listed; empty ones left out); `weighted` = the accounts have a
/// revenue column. `None` when no account has an owner.
pub fn efficiency_of(
    owner_column: &str,
    books: Vec<Book>,
    without: usize,
    weighted: bool,
) -> Option<Efficiency> {
    let total: usize = books.iter().map(|b| b.accounts).sum();
    if total == 0 {
        return None;
    }
    let pbar = books.iter().map(|b| b.churned).sum::<usize>() as f64 / total as f64;
    let owners: Vec<OwnerRow> = books
        .into_iter()
        .filter(|b| b.accounts > 0)
        .map(|b| {
            let rate = b.churned as f64 / b.accounts as f64;
            let sigma = (pbar * (1.0 - pbar) / b.accounts as f64).sqrt();
            let (lcl, ucl) = ((pbar - 3.0 * sigma).max(0.0), (pbar + 3.0 * sigma).min(1.0));
            let z = if sigma > 0.0 {
                (rate - pbar) / sigma
            } else {
                0.0
            };
            OwnerRow {
                owner: b.owner,
                accounts: b.accounts,
                churned: b.churned,
                arr_managed: weighted.then_some(b.arr),
                churned_arr: weighted.then_some(b.churned_arr),
                logo_churn_rate: rate,
                lcl,
                ucl,
                z,
                signal: if rate > ucl {
                    Some("above")
                } else if rate < lcl {
                    Some("below")
                } else {
                    None
                },
            }
        })
        .collect();
    Some(Efficiency {
        owner_column: owner_column.to_string(),
        center: pbar,
        accounts: total,
        accounts_without_owner: without,
        n_above: owners.iter().filter(|o| o.signal == Some("above")).count(),
        n_below: owners.iter().filter(|o| o.signal == Some("below")).count(),
        owners,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nps_counts_and_interval() {
        // 5 promoters, 3 passives, 2 detractors, 2 non-responses.
        let v = [10., 9., 9., 10., 9., 8., 7., 7., 6., 0., f64::NAN, f64::NAN];
        let r = nps("nps", v.into_iter(), v.len()).unwrap();
        assert_eq!((r.promoters, r.passives, r.detractors), (5, 3, 2));
        assert!((r.nps - 30.0).abs() < 1e-12);
        assert!((r.response_rate - 10.0 / 12.0).abs() < 1e-15);
        // Var = (0.5 + 0.2 − 0.09)/10 = 0.061
        assert!((r.std_error - 100.0 * 0.061f64.sqrt()).abs() < 1e-12);
        assert!(nps("nps", [f64::NAN].into_iter(), 1).is_none());
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let t = time_to_value("ttv", [8.0, 1.0, f64::NAN, 4.0, 2.0].into_iter()).unwrap();
        assert_eq!((t.n, t.median, t.p75), (4, 3.0, 5.0));
        let one = time_to_value("ttv", [7.0].into_iter()).unwrap();
        assert_eq!((one.median, one.p75), (7.0, 7.0));
    }

    /// The engine's path (values tallied as (value, count)) gives the same
    /// KPIs as the values themselves: counts and quantiles exactly, means
    /// and intervals to the last bits.
    #[test]
    fn counted_kpis_equal_the_value_ones() {
        let v: Vec<f64> = (0..997).map(|i| ((i * 37) % 23) as f64 * 0.5).collect();
        let mut t: Vec<(f64, u64)> = Vec::new();
        let mut sorted = v.clone();
        sorted.sort_by(f64::total_cmp);
        for x in &sorted {
            match t.last_mut() {
                Some(l) if l.0 == *x => l.1 += 1,
                _ => t.push((*x, 1)),
            }
        }
        let a = time_to_value("ttv", v.iter().copied()).unwrap();
        let b = time_to_value_of_counts("ttv", &t).unwrap();
        assert_eq!((a.n, a.median, a.p75), (b.n, b.median, b.p75));
        assert!((a.mean - b.mean).abs() < 1e-12 * a.mean.abs());
        let (m, c) = (
            mean("m", v.iter().copied()).unwrap(),
            mean_of_counts("m", &t).unwrap(),
        );
        for (x, y) in [
            (m.mean, c.mean),
            (m.sd, c.sd),
            (m.ci_low, c.ci_low),
            (m.ci_high, c.ci_high),
        ] {
            assert!((x - y).abs() < 1e-12 * x.abs(), "{x} vs {y}");
        }
        let answers: Vec<f64> = v.iter().map(|x| (x * 2.0) % 11.0).collect();
        let mut tn: Vec<(f64, u64)> = (0..=10).map(|k| (k as f64, 0)).collect();
        for x in &answers {
            tn[*x as usize].1 += 1;
        }
        assert_eq!(
            nps("nps", answers.iter().copied(), 1200),
            nps_of_counts("nps", tn.into_iter(), 1200)
        );
        assert!(time_to_value_of_counts("ttv", &[]).is_none());
    }
}
