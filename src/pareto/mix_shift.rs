//! Did the reason mix change? A Pearson chi-square test of homogeneity of
//! the reasons between the two latest periods (Agresti 2013, §2.4), with the
//! adjusted residual of each reason.

use serde::Serialize;

use super::*;
use crate::config::{Grain, ParetoConfig};
use crate::data::Accounts;
use crate::stats::chisq::ChiSquareResult;

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
    pub test: ChiSquareResult,
    /// Reasons ordered by the size of their share change, largest first.
    pub movers: Vec<Mover>,
}

fn periods(
    acc: &Accounts,
    churned: &[usize],
    cfg: &ParetoConfig,
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
        Grain::Month => format!("{:04}-{:02}", d.year(), d.month()),
        // The config check allows only month and quarter here.
        _ => format!("{:04}-Q{}", d.year(), (d.month() - 1) / 3 + 1),
    };
    Some((
        format!("{} of `{}`", grain.as_str(), end.column),
        churned.iter().map(|&i| end.values[i].map(label)).collect(),
    ))
}

pub(super) fn mix_shift(
    acc: &Accounts,
    churned: &[usize],
    cfg: &ParetoConfig,
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
