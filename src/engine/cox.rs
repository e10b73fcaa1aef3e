//! The Cox model on an engine: the design's terms as SQL over the
//! durations' frame, one scan for the model sample's size, means and
//! covariances (the collinearity screen), and one scan per pass at β
//! giving per exit time the sums the partial likelihood's sweep needs
//! ([`cox::pass_of_sums`]); Newton, Firth, the LR refits and every test are
//! the in-memory code ([`crate::survival::model`]).

use std::cell::RefCell;

use super::accounts::EngineAccounts;
use super::design::{read_moments, terms_sql};
use super::durations::EngineDurations;
use super::sql::cox as q;
use super::sql::model as msql;
use super::{Cell, Engine};
use crate::drivers::design::{screen_columns, DroppedTerm, Term};
use crate::error::{Error, Result};
use crate::stats::survival::cox::{self, CoxRows, Pass, TimeSums};
use crate::stats::survival::Ties;

/// The Cox model's rows on an engine.
pub struct EngineCox<'e> {
    engine: RefCell<&'e mut Engine>,
    table: String,
    dur: EngineDurations,
    /// `t`, `e`, `n`, `x1..xq` of the kept columns.
    rows: String,
    means: Vec<f64>,
    sds: Vec<f64>,
    /// The first engine error of a pass (a pass cannot fail in memory).
    failure: RefCell<Option<Error>>,
}

/// The model's design on an engine: its rows, the kept terms with their
/// variances on the sample, the terms screened out, and the sample.
pub struct CoxDesign<'e> {
    pub rows: EngineCox<'e>,
    pub terms: Vec<Term>,
    pub variances: Vec<f64>,
    pub dropped: Vec<DroppedTerm>,
    pub n: usize,
    pub events: usize,
}

/// The design of the drivers not in `skip` (categorical ones against
/// their `references`) on the accounts with a duration: one scan; `None`
/// when no term is left or the sample has no events.
///
/// # Errors
/// The engine's own.
pub fn design<'e>(
    engine: &'e mut Engine,
    acc: &EngineAccounts,
    dur: &EngineDurations,
    skip: &[bool],
    references: &[usize],
) -> Result<Option<CoxDesign<'e>>> {
    let d = engine.dialect();
    let (xs, present, terms) = terms_sql(d, acc, skip, references);
    if terms.is_empty() {
        return Ok(None);
    }
    let ok = if present.is_empty() {
        "1".to_string()
    } else {
        format!("CASE WHEN {} THEN 1 ELSE 0 END", present.join(" AND "))
    };
    let mut extra: Vec<(String, String)> = xs
        .iter()
        .enumerate()
        .map(|(j, x)| (x.clone(), format!("x{}", j + 1)))
        .collect();
    extra.push((ok, "ok".into()));
    let frame = dur.frame(d, acc, &extra);
    let names: Vec<String> = (1..=xs.len()).map(|j| format!("x{j}")).collect();
    let entry = dur.entry_sql();
    let all = q::cox_rows(
        d,
        &frame,
        &dur.exit_sql(),
        entry.as_deref(),
        &dur.keep_sql(),
        &names,
    );
    let p = xs.len();
    let list: String = names.iter().map(|x| format!(", {x}")).collect();
    let moments = msql::moments(&format!("SELECT e AS y{list} FROM ({all}) AS m"), p);
    let answer = engine.query(&moments, &[&acc.name])?;
    let m = read_moments(&answer.first().cloned().unwrap_or_default(), p);
    let (kept, dropped) = screen_columns(&terms, &m.cov, &acc.drivers);
    let events = m.events.round() as usize;
    if kept.is_empty() || m.n == 0 || events == 0 {
        return Ok(None);
    }
    let kept_list: String = kept
        .iter()
        .enumerate()
        .map(|(a, &j)| format!(", x{j} AS x{}", a + 1))
        .collect();
    let rows = format!("SELECT t, e, n{kept_list} FROM ({all}) AS k");
    let sd = |v: f64| {
        let s = v.sqrt();
        if s > 0.0 && s.is_finite() {
            s
        } else {
            1.0
        }
    };
    Ok(Some(CoxDesign {
        rows: EngineCox {
            engine: RefCell::new(engine),
            table: acc.name.clone(),
            dur: dur.clone(),
            rows,
            means: kept.iter().map(|&j| m.mean[j]).collect(),
            sds: kept.iter().map(|&j| sd(m.cov[j][j])).collect(),
            failure: RefCell::new(None),
        },
        variances: kept.iter().map(|&j| m.cov[j][j]).collect(),
        terms: kept.iter().map(|&j| terms[j - 1].clone()).collect(),
        dropped,
        n: m.n,
        events,
    }))
}

impl EngineCox<'_> {
    /// The engine's error if a pass failed (the fit then failed with it).
    ///
    /// # Errors
    /// That error.
    pub fn failed(&self) -> Result<()> {
        match self.failure.borrow_mut().take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The sums of one pass, latest exit time first.
    fn sums(&self, sel: &[usize], beta: &[f64]) -> Result<Vec<TimeSums>> {
        let mut engine = self.engine.borrow_mut();
        let d = engine.dialect();
        let entry = self.dur.entry_sql().is_some();
        let cols: Vec<usize> = sel.iter().map(|&j| j + 1).collect();
        let means: Vec<f64> = sel.iter().map(|&j| self.means[j]).collect();
        let sds: Vec<f64> = sel.iter().map(|&j| self.sds[j]).collect();
        let sql = q::cox_pass(d, &self.rows, &cols, &means, &sds, beta, entry);
        let answer = engine.query(&sql, &[&self.table])?;
        let p = sel.len();
        let t = p * (p + 1) / 2;
        let short = || Error::Engine {
            target: engine.target().to_string(),
            message: format!("a Cox pass over {} came back incomplete", self.table),
        };
        // (entries?, time, event, count, the sums)
        let mut exits: Vec<(f64, bool, usize, Vec<f64>)> = Vec::new();
        let mut entries: Vec<(f64, Vec<f64>)> = Vec::new();
        for r in &answer {
            let at = |j: usize| r.get(j).unwrap_or(&Cell::Null);
            let nums: Option<Vec<f64>> = (5..6 + p + t + p + 1).map(|j| at(j).number()).collect();
            let nums = nums.ok_or_else(short)?;
            let count = at(4).count().ok_or_else(short)?;
            if at(0).count() == Some(1) {
                let n = at(3).number().ok_or_else(short)?;
                entries.push((self.dur.time(n), nums));
            } else {
                let x = at(1).number().ok_or_else(short)?;
                exits.push((self.dur.time(x), at(2).count() == Some(1), count, nums));
            }
        }
        let mut times: Vec<f64> = exits.iter().map(|e| e.0).collect();
        times.sort_unstable_by(|a, b| b.total_cmp(a));
        times.dedup();
        let mut sums: Vec<TimeSums> = times.iter().map(|&u| TimeSums::empty(u, p)).collect();
        let find = |u: f64| times.binary_search_by(|v| u.total_cmp(v)).ok();
        for (x, event, count, v) in &exits {
            let Some(g) = find(*x) else { continue };
            let s = &mut sums[g];
            s.r0 += v[0];
            add(&mut s.r1, &v[1..1 + p]);
            add(&mut s.r2, &v[1 + p..1 + p + t]);
            if *event {
                s.d = *count;
                s.d0 = v[0];
                s.d1.copy_from_slice(&v[1..1 + p]);
                s.d2.copy_from_slice(&v[1 + p..1 + p + t]);
                s.z.copy_from_slice(&v[1 + p + t..1 + 2 * p + t]);
                s.eta = v[1 + 2 * p + t];
            }
        }
        for (en, v) in &entries {
            // It leaves the risk set at the latest exit time at or before its entry.
            let g = times.partition_point(|&u| u > *en);
            if let Some(s) = sums.get_mut(g) {
                s.l0 += v[0];
                add(&mut s.l1, &v[1..1 + p]);
                add(&mut s.l2, &v[1 + p..1 + p + t]);
            }
        }
        Ok(sums)
    }
}

fn add(to: &mut [f64], from: &[f64]) {
    to.iter_mut().zip(from).for_each(|(a, b)| *a += b);
}

impl CoxRows for EngineCox<'_> {
    fn means(&self) -> &[f64] {
        &self.means
    }
    fn sds(&self) -> &[f64] {
        &self.sds
    }
    fn pass(&self, sel: &[usize], beta: &[f64], ties: Ties, record: bool) -> Pass {
        let p = sel.len();
        match self.sums(sel, beta) {
            Ok(sums) => {
                let means: Vec<f64> = sel.iter().map(|&j| self.means[j]).collect();
                let sds: Vec<f64> = sel.iter().map(|&j| self.sds[j]).collect();
                let scale = record.then_some((means.as_slice(), sds.as_slice()));
                cox::pass_of_sums(&sums, p, ties, scale)
            }
            Err(e) => {
                self.failure.borrow_mut().get_or_insert(e);
                // No likelihood: the fit stops on a singular information.
                Pass {
                    ll: f64::NAN,
                    score: vec![f64::NAN; p],
                    info: ndarray::Array2::zeros((p, p)),
                    times: Vec::new(),
                }
            }
        }
    }
}
