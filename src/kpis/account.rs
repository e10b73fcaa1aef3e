//! Account KPIs (NPS, time to value, means of `[kpis] means`) overall and per
//! segment, and the efficiency KPIs per owner with a funnel plot of churn rate
//! against book size.

use rayon::prelude::*;
use serde::Serialize;

use crate::data::{Accounts, MISSING};
use crate::stats::dist::{t_ppf, Z975};
use crate::stats::quantile::quantile_select;

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
    let (mut p, mut pa, mut d) = (0usize, 0usize, 0usize);
    for x in v.filter(|x| !x.is_nan()) {
        if x >= 9.0 {
            p += 1;
        } else if x >= 7.0 {
            pa += 1;
        } else {
            d += 1;
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

fn mean(column: &str, v: impl Iterator<Item = f64>) -> Option<Mean> {
    let s: Vec<f64> = v.filter(|x| !x.is_nan()).collect();
    if s.is_empty() {
        return None;
    }
    let (m, var) = crate::stats::twosample::mean_var(&s);
    let n = s.len();
    let half = if n > 1 {
        t_ppf(0.975, (n - 1) as f64) * (var / n as f64).sqrt()
    } else {
        f64::NAN
    };
    Some(Mean {
        column: column.to_string(),
        n,
        mean: m,
        sd: var.sqrt(),
        ci_low: m - half,
        ci_high: m + half,
    })
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

/// Groups accounts by owner. Owners are listed by descending book size, then name.
pub fn efficiency(a: &Accounts) -> Option<Efficiency> {
    let own = a.owner.as_ref()?;
    let k = own.levels.len();
    let mut n = vec![0usize; k];
    let mut ch = vec![0usize; k];
    let mut arr = vec![0.0f64; k];
    let mut carr = vec![0.0f64; k];
    let rev = a.revenue.as_ref();
    let mut without = 0;
    for (i, &c) in own.codes.iter().enumerate() {
        if c == MISSING {
            without += 1;
            continue;
        }
        let c = c as usize;
        n[c] += 1;
        let w = rev.map_or(0.0, |r| r.values[i]);
        let w = if w.is_nan() { 0.0 } else { w };
        arr[c] += w;
        if a.churned[i] {
            ch[c] += 1;
            carr[c] += w;
        }
    }
    let total: usize = n.iter().sum();
    if total == 0 {
        return None;
    }
    let pbar = ch.iter().sum::<usize>() as f64 / total as f64;
    let owners: Vec<OwnerRow> = (0..k)
        .filter(|&j| n[j] > 0)
        .map(|j| {
            let rate = ch[j] as f64 / n[j] as f64;
            let sigma = (pbar * (1.0 - pbar) / n[j] as f64).sqrt();
            let (lcl, ucl) = ((pbar - 3.0 * sigma).max(0.0), (pbar + 3.0 * sigma).min(1.0));
            let z = if sigma > 0.0 {
                (rate - pbar) / sigma
            } else {
                0.0
            };
            OwnerRow {
                owner: own.levels[j].clone(),
                accounts: n[j],
                churned: ch[j],
                arr_managed: rev.map(|_| arr[j]),
                churned_arr: rev.map(|_| carr[j]),
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
        owner_column: own.column.clone(),
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
}
