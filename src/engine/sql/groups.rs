//! The account-KPI pass: one `GROUPING SETS` scan of the accounts table
//! that counts every group's accounts and churns (everyone, each segment
//! level), every owner's book (accounts, churns, revenue weight) and every
//! KPI column's values per group (value, count), so NPS, the quantiles of
//! time to value and the means with their intervals are computed at home
//! from the counts.

use super::Dialect;

/// What the pass reads, as SQL over the accounts table.
pub struct GroupColumns<'a> {
    pub from: &'a str,
    /// 1 for a churned account, else 0.
    pub churned: String,
    /// The revenue weight (a double, NULL or NaN where blank), if any.
    pub weight: Option<String>,
    /// The owner's cell, if any.
    pub owner: Option<String>,
    /// Each segment column's cell.
    pub segments: Vec<String>,
    /// Each KPI column's number (NULL where blank).
    pub values: Vec<String>,
}

/// The query. Each row: GROUPING() of every segment, the owner (if any)
/// and every value column (0 = in the row's set); their cells; then the
/// rows, churns, Σ weight and Σ churned weight. The sets: everyone, each
/// segment, the owner, and each value column alone and with each segment.
pub fn group_tallies(d: Dialect, g: &GroupColumns) -> String {
    let segs: Vec<String> = (0..g.segments.len()).map(|k| format!("s{k}")).collect();
    let vals: Vec<String> = (0..g.values.len()).map(|j| format!("c{j}")).collect();
    let mut inner = vec![format!("{} AS y", g.churned)];
    let nan = d.double(&d.literal("NaN"));
    inner.push(match &g.weight {
        Some(w) => format!("CASE WHEN ({w}) IS NULL OR ({w}) = {nan} THEN 0 ELSE {w} END AS w"),
        None => "0 AS w".to_string(),
    });
    let mut cols: Vec<String> = segs.clone();
    for (s, c) in segs.iter().zip(&g.segments) {
        inner.push(format!("{c} AS {s}"));
    }
    if let Some(o) = &g.owner {
        inner.push(format!("{o} AS o"));
        cols.push("o".into());
    }
    for (v, c) in vals.iter().zip(&g.values) {
        inner.push(format!("{c} AS {v}"));
    }
    cols.extend(vals.iter().cloned());
    let mut sets = vec!["()".to_string()];
    sets.extend(segs.iter().map(|s| format!("({s})")));
    if g.owner.is_some() {
        sets.push("(o)".into());
    }
    for v in &vals {
        sets.push(format!("({v})"));
        sets.extend(segs.iter().map(|s| format!("({s}, {v})")));
    }
    let mut items: Vec<String> = cols.iter().map(|c| format!("GROUPING({c})")).collect();
    items.extend(cols.iter().cloned());
    items.extend(["COUNT(*)", "SUM(y)", "SUM(w)", "SUM(y * w)"].map(String::from));
    format!(
        "SELECT {items} FROM (SELECT {inner} FROM {from}{f}) AS a GROUP BY GROUPING SETS ({sets})",
        items = items.join(", "),
        inner = inner.join(", "),
        from = g.from,
        sets = sets.join(", "),
        f = d.fence(),
    )
}
