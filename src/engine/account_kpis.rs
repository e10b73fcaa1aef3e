//! The account KPIs on an engine: NPS, time to value and the `[kpis]`
//! means, overall and per segment level, and every owner's book with the
//! funnel of their churn rates, from one scan of the accounts table
//! ([`super::sql::groups`]); the KPIs are computed at home from the
//! counts by the in-memory code's own functions.

use super::accounts::EngineAccounts;
use super::sql::groups::{group_tallies, GroupColumns};
use super::{Cell, Engine};
use crate::config::StudyConfig;
use crate::error::Result;
use crate::kpis::account::{
    efficiency_of, mean_of_counts, nps_of_counts, time_to_value_of_counts, Book,
};
use crate::kpis::{Efficiency, GroupKpis};

/// Values tallied per group: (group, KPI column) → (value, count).
type Tallies = std::collections::HashMap<(Option<(usize, String)>, usize), Vec<(f64, u64)>>;

/// The account KPIs (everyone first, then each segment's levels in the
/// in-memory order) and the owners' efficiency.
///
/// # Errors
/// The engine's, naming the table.
pub fn account_kpis(
    engine: &mut Engine,
    cfg: &StudyConfig,
    acc: &EngineAccounts,
) -> Result<(Vec<GroupKpis>, Option<Efficiency>)> {
    let d = engine.dialect();
    let a = &cfg.accounts;
    let miss = &acc.missing;
    let kpi_cols: Vec<&str> = cfg.kpis.columns().into_iter().map(|c| c.0).collect();
    let number = |c: &str| acc.number_sql(d, c);
    let g = GroupColumns {
        from: &acc.from,
        churned: acc.churned_sql(d),
        weight: a.revenue.as_deref().map(number),
        owner: a.owner.as_deref().map(|o| d.cell(o, miss)),
        segments: acc.segments.iter().map(|(c, _)| d.cell(c, miss)).collect(),
        values: kpi_cols.iter().map(|c| number(c)).collect(),
    };
    let (ns, has_owner, nv) = (g.segments.len(), g.owner.is_some(), g.values.len());
    let rows = engine.query(&group_tallies(d, &g), &[&acc.name])?;
    // Columns of a row: flags, then cells, each as segments, owner, values.
    let first_value = ns + usize::from(has_owner);
    let nf = first_value + nv;
    let mut counts: std::collections::HashMap<Option<(usize, String)>, (usize, usize)> =
        Default::default();
    let mut tallies = Tallies::default();
    let mut books: Vec<Book> = Vec::new();
    let mut without = 0;
    for r in &rows {
        let flag = |j: usize| r.get(j).and_then(Cell::count) == Some(0);
        let cell = |j: usize| r.get(nf + j).and_then(Cell::text);
        let seg = (0..ns).find(|&k| flag(k));
        let owner = has_owner && flag(ns);
        let val = (0..nv).find(|&j| flag(first_value + j));
        let tail = |j: usize| r.get(2 * nf + j);
        let n = tail(0).and_then(Cell::count).unwrap_or(0);
        let churned = tail(1).and_then(Cell::count).unwrap_or(0);
        let x = |j: usize| tail(j).and_then(Cell::number).unwrap_or(0.0);
        // A blank segment level is in no segment group, as in memory.
        let group = match seg {
            Some(k) => match cell(k) {
                Some(level) => Some((k, level)),
                None => continue,
            },
            None => None,
        };
        if owner {
            match cell(ns) {
                Some(o) => books.push(Book {
                    owner: o,
                    accounts: n,
                    churned,
                    arr: x(2),
                    churned_arr: x(3),
                }),
                None => without += n,
            }
        } else if let Some(j) = val {
            if let Some(v) = r.get(nf + first_value + j).and_then(Cell::number) {
                tallies.entry((group, j)).or_default().push((v, n as u64));
            }
        } else {
            counts.insert(group, (n, churned));
        }
    }
    let k = &cfg.kpis;
    let index = |c: &str| kpi_cols.iter().position(|x| *x == c);
    let make = |group: Option<(usize, String)>| -> GroupKpis {
        let (accounts, churned) = counts.get(&group).copied().unwrap_or((0, 0));
        let tally = |c: &str| -> Vec<(f64, u64)> {
            let mut t = index(c)
                .and_then(|j| tallies.get(&(group.clone(), j)))
                .cloned()
                .unwrap_or_default();
            t.sort_by(|a, b| a.0.total_cmp(&b.0));
            t
        };
        GroupKpis {
            segment_column: group.as_ref().map(|(s, _)| acc.segments[*s].0.clone()),
            segment: group.as_ref().map(|(_, l)| l.clone()),
            accounts,
            churned,
            nps: k
                .nps
                .as_deref()
                .and_then(|c| nps_of_counts(c, tally(c).into_iter(), accounts)),
            time_to_value: k
                .time_to_value
                .as_deref()
                .and_then(|c| time_to_value_of_counts(c, &tally(c))),
            means: k
                .means
                .iter()
                .filter_map(|c| mean_of_counts(c, &tally(c)))
                .collect(),
        }
    };
    let mut groups = vec![make(None)];
    for (s, (_, levels)) in acc.segments.iter().enumerate() {
        groups.extend(levels.iter().map(|l| make(Some((s, l.clone())))));
    }
    // Owners as the in-memory levels: by book size, then name.
    books.sort_by(|x, y| y.accounts.cmp(&x.accounts).then(x.owner.cmp(&y.owner)));
    let efficiency = a
        .owner
        .as_deref()
        .and_then(|o| efficiency_of(o, books, without, a.revenue.is_some()));
    Ok((groups, efficiency))
}
