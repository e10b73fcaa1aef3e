//! The KPI stage's driver part on an engine: the recommendation's
//! counterfactuals from two scans of the accounts (the numeric drivers'
//! spread at the model's complete cases, then every driver's stake), and
//! the charted drivers' start-month cohorts and the recommended drivers'
//! values from a third, grouped by start month. What is made of those
//! sums (the counterfactuals, the verdicts, the charts, the feed) is the
//! in-memory code's.

use super::accounts::EngineAccounts;
use super::design::eta_sql;
use super::drivers::Read;
use super::sql::recommend as rsql;
use super::sql::survival::{date_map, frame};
use super::{Cell, Engine};
use crate::config::{DriverKind, KpiConfig};
use crate::data::parse::date_from_days;
use crate::data::Month;
use crate::drivers::DriverReport;
use crate::error::{Error, Result};
use crate::kpis::cohorts::{charted, window, Cohort, CohortData, DriverCohorts};
use crate::kpis::counterfactual::{counterfactual, Counterfactual, Spread, Stake};
use crate::kpis::{recommend, Candidate, DriverKpis, DriverValue};
use crate::spc::Subgroup;

/// The driver KPIs of the accounts `acc` given their driver report `r`.
///
/// # Errors
/// The engine's own, naming the table.
pub fn driver_kpis(
    engine: &mut Engine,
    acc: &EngineAccounts,
    r: &DriverReport,
    cfg: &KpiConfig,
    weight: Option<&str>,
    revenue_window: Option<(Month, Month)>,
) -> Result<DriverKpis> {
    let recommendation = recommendation(engine, acc, r, cfg, weight)?;
    let picked = charted(&recommendation);
    let (cohorts, values) =
        cohorts_and_values(engine, acc, &recommendation, &picked, revenue_window)?;
    Ok(DriverKpis {
        cohorts,
        values,
        recommendation,
    })
}

/// The value of a numeric (non-yes/no) driver, which needs a spread.
fn spread_driver(acc: &EngineAccounts, k: usize) -> bool {
    acc.drivers.get(k).is_some_and(|d| {
        !matches!(d.read, Read::Levels { .. }) && d.config.kind != DriverKind::Binary
    })
}

/// The recommendation: the spread scan, the stakes scan, the verdicts.
fn recommendation(
    engine: &mut Engine,
    acc: &EngineAccounts,
    r: &DriverReport,
    cfg: &KpiConfig,
    weight: Option<&str>,
) -> Result<recommend::Recommendation> {
    let d = engine.dialect();
    let n = r.drivers.len();
    let Some((m, (eta, present))) = r
        .model
        .as_ref()
        .and_then(|m| Some((m, eta_sql(d, acc, m)?)))
    else {
        return Ok(recommend::judge(r, cfg, vec![None; n], 0));
    };
    let coefs: Vec<Vec<(f64, Option<u32>)>> = (0..n)
        .map(|k| {
            m.terms_of(k)
                .into_iter()
                .map(|(c, code)| (c.estimate, code))
                .collect()
        })
        .collect();
    let value = |k: usize| d.double(&acc.drivers[k].value_sql(d, &acc.missing));
    // The numeric drivers in the model: their spread at the complete cases.
    let spread_of: Vec<usize> = (0..n)
        .filter(|&k| !coefs[k].is_empty() && spread_driver(acc, k))
        .collect();
    let mut spreads: Vec<Option<Spread>> = vec![None; n];
    if !spread_of.is_empty() {
        let xs: Vec<String> = spread_of.iter().map(|&k| value(k)).collect();
        let qs = Spread::QUANTILES;
        let sql = rsql::spread(d, &acc.from, &present, &xs, &qs);
        let row = first_row(engine.query(&sql, &[&acc.name])?);
        let width = 2 + qs.len();
        for (j, &k) in spread_of.iter().enumerate() {
            let num = |i: usize| row.get(j * width + i).and_then(Cell::number);
            spreads[k] = (|| {
                Some(Spread {
                    min: num(0)?,
                    max: num(1)?,
                    q25: num(2)?,
                    median: num(3)?,
                    q75: num(4)?,
                })
            })();
        }
    }
    let cfs: Vec<(usize, Counterfactual)> = (0..n)
        .filter_map(|k| {
            let dr = acc.drivers.get(k)?;
            Some((k, counterfactual(dr, &coefs[k], spreads[k].as_ref())?))
        })
        .collect();
    let xs: Vec<String> = cfs.iter().map(|(k, _)| value(*k)).collect();
    let shifts: Vec<&crate::kpis::counterfactual::Shift> =
        cfs.iter().map(|(_, c)| &c.shift).collect();
    let sql = rsql::stakes(d, &acc.from, &present, &eta, weight, &xs, &shifts);
    let row = first_row(engine.query(&sql, &[&acc.name])?);
    let accounts = row.first().and_then(Cell::count).unwrap_or(0);
    let mut stakes: Vec<Option<Stake>> = vec![None; n];
    for (j, (k, cf)) in cfs.into_iter().enumerate() {
        let num = |i: usize| row.get(1 + 2 * j + i).and_then(Cell::number);
        stakes[k] = Some(Stake {
            arr: weight.map(|_| num(1).unwrap_or(0.0)),
            accounts: num(0).unwrap_or(0.0),
            text: cf.text,
            higher_is_better: cf.higher_is_better,
        });
    }
    Ok(recommend::judge(r, cfg, stakes, accounts))
}

/// The first row of an aggregate's answer (empty when there is none).
fn first_row(rows: Vec<Vec<Cell>>) -> Vec<Cell> {
    rows.into_iter().next().unwrap_or_default()
}

/// The start-month cohorts of the `picked` drivers over the window, and
/// the values of the recommended drivers, from one scan grouped by start
/// month.
fn cohorts_and_values(
    engine: &mut Engine,
    acc: &EngineAccounts,
    rec: &recommend::Recommendation,
    picked: &[&Candidate],
    revenue_window: Option<(Month, Month)>,
) -> Result<(CohortData, Vec<DriverValue>)> {
    let d = engine.dialect();
    let index = |col: &str| acc.drivers.iter().position(|x| x.config.column == col);
    let recommended: Vec<(&Candidate, usize)> = rec
        .recommended()
        .filter_map(|c| Some((c, index(&c.driver)?)))
        .collect();
    // Value columns: the charted drivers and every recommended number
    // driver; level columns: the recommended categorical ones.
    let mut value_cols: Vec<usize> = Vec::new();
    let mut level_cols: Vec<usize> = Vec::new();
    for &(_, k) in &recommended {
        let list = match acc.drivers[k].read {
            Read::Levels { .. } => &mut level_cols,
            _ => &mut value_cols,
        };
        if !list.contains(&k) {
            list.push(k);
        }
    }
    if recommended.is_empty() {
        return Ok((CohortData::Drivers(Vec::new()), Vec::new()));
    }
    let mut cols: Vec<(String, String)> = Vec::new();
    for (j, &k) in value_cols.iter().enumerate() {
        let v = acc.drivers[k].value_sql(d, &acc.missing);
        cols.push((d.double(&v), format!("v{j}")));
    }
    for (j, &k) in level_cols.iter().enumerate() {
        cols.push((acc.drivers[k].value_sql(d, &acc.missing), format!("c{j}")));
    }
    // The start date's cells, each read as its month.
    let months: Option<Vec<(String, i32)>> = acc.start_date.as_ref().map(|s| {
        s.cells
            .iter()
            .filter_map(|(c, day)| Some((c.clone(), Month::of(date_from_days(*day)?).0)))
            .collect()
    });
    let sql = match (&months, &acc.start_date) {
        (Some(m), Some(s)) => {
            cols.push((d.cell(&s.column, &acc.missing), "sc".into()));
            let map = [("sc", date_map(d, m, "m0"), "sm")];
            rsql::cohorts(
                &frame(&acc.from, &cols, &map),
                true,
                value_cols.len(),
                level_cols.len(),
            )
        }
        _ => rsql::cohorts(
            &frame(&acc.from, &cols, &[]),
            false,
            value_cols.len(),
            level_cols.len(),
        ),
    };
    let rows = engine.query(&sql, &[&acc.name])?;
    let short = || Error::Engine {
        target: engine.target().to_string(),
        message: format!("the cohort counts of {} came back incomplete", acc.name),
    };
    // Per row: its month, then 5 numbers per value column, 2 per level one.
    let mut groups: Vec<(Option<Month>, Vec<f64>)> = Vec::with_capacity(rows.len());
    let width = 1 + 5 * value_cols.len() + 2 * level_cols.len();
    for r in &rows {
        if r.len() < width {
            return Err(short());
        }
        let month = r[0].count().and_then(|m| i32::try_from(m).ok()).map(Month);
        let nums = r[1..width]
            .iter()
            .map(|c| c.number().unwrap_or(f64::NAN))
            .collect();
        groups.push((month, nums));
    }
    let values = recommended
        .iter()
        .filter_map(|&(c, k)| value_of(acc, c, k, &value_cols, &level_cols, &groups))
        .collect();
    let cohorts = match &months {
        None => CohortData::NoStartDate,
        Some(m) => {
            let latest = m.iter().map(|x| x.1).max().map(Month);
            match window(revenue_window, latest) {
                None => CohortData::NoDates,
                Some(w) => CohortData::Drivers(
                    picked
                        .iter()
                        .map(|c| {
                            let k = index(&c.driver)?;
                            let j = value_cols.iter().position(|&x| x == k)?;
                            Some(cohorts_of(&groups, j, w, acc.drivers[k].config.count))
                        })
                        .collect(),
                ),
            }
        }
    };
    Ok((cohorts, values))
}

/// Driver `k`'s value in the feed from the grouped counts.
fn value_of(
    acc: &EngineAccounts,
    c: &Candidate,
    k: usize,
    value_cols: &[usize],
    level_cols: &[usize],
    groups: &[(Option<Month>, Vec<f64>)],
) -> Option<DriverValue> {
    let total = |at: usize| {
        groups
            .iter()
            .map(|g| g.1[at])
            .filter(|x| !x.is_nan())
            .sum::<f64>()
    };
    let (value, top_level) = match &acc.drivers[k].read {
        Read::Levels { levels, .. } => {
            let j = level_cols.iter().position(|&x| x == k)?;
            let at = 5 * value_cols.len() + 2 * j;
            (total(at + 1) / total(at).max(1.0), levels.first().cloned())
        }
        _ => {
            let j = value_cols.iter().position(|&x| x == k)?;
            (total(5 * j + 1) / total(5 * j).max(1.0), None)
        }
    };
    Some(DriverValue {
        driver: c.driver.clone(),
        value,
        top_level,
    })
}

/// Value column `j`'s cohorts in window `w`: the months with two or more
/// accounts with a value, in order.
fn cohorts_of(
    groups: &[(Option<Month>, Vec<f64>)],
    j: usize,
    (first, last): (Month, Month),
    count: bool,
) -> DriverCohorts {
    let mut months: Vec<(Month, Cohort)> = groups
        .iter()
        .filter_map(|(m, g)| {
            let m = (*m)?;
            let n = g[5 * j];
            (m >= first && m <= last && n >= 2.0).then(|| {
                let sum = g[5 * j + 1];
                let stats = Subgroup {
                    n,
                    mean: sum / n,
                    sd: g[5 * j + 2],
                    range: g[5 * j + 4] - g[5 * j + 3],
                };
                (m, Cohort { sum, stats })
            })
        })
        .collect();
    months.sort_by_key(|(m, _)| *m);
    DriverCohorts { count, months }
}
