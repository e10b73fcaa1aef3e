//! The multivariable model on an engine: each driver read as the file
//! path reads it ([`super::drivers`]), the design's terms as SQL
//! expressions over the accounts table, and the model's rows ([`ModelRows`]) answered by aggregate queries: one scan for
//! the rows, moments and ranges; one per round of Newton steps, whatever
//! the number of fits in the round (the model and all its LR refits); two
//! at the fit (marginal effects, AUC). The numerics stay in Rust, in the
//! same code as the in-memory path's.

use std::cell::RefCell;

use super::accounts::EngineAccounts;
use super::drivers::Read;
use super::sql::model::{self as msql, PassAsk};
use super::{Cell, Dialect, Engine};
use crate::drivers::design::Term;
use crate::drivers::rows::{ModelRows, Ranges};
use crate::error::{Error, Result};
use crate::stats::logit::{Ask, FitFailure, LogitFit, Pass, Rows};

/// The model's rows on an engine.
pub struct EngineDesign<'e> {
    engine: RefCell<&'e mut Engine>,
    /// The accounts table, as scans are counted.
    table: String,
    /// The design's rows (`y`, `x1..xp`).
    rows: String,
    p: usize,
    n: usize,
    events: f64,
    moments: (Vec<f64>, Vec<Vec<f64>>),
    ranges: Vec<Ranges>,
}

impl<'e> EngineDesign<'e> {
    /// The design of the drivers not in `skip` (categorical ones against
    /// their `references`), and its terms: one scan for
    /// the rows, moments and ranges.
    ///
    /// # Errors
    /// The engine's own.
    pub fn build(
        engine: &'e mut Engine,
        acc: &EngineAccounts,
        skip: &[bool],
        references: &[usize],
    ) -> Result<(Self, Vec<Term>)> {
        let d = engine.dialect();
        let (xs, present, terms) = terms_sql(d, acc, skip, references);
        let y = acc.churned_sql(d);
        let rows = msql::design_rows(d, &acc.from, &y, &xs, &present);
        let p = xs.len();
        let answer = engine.query(&msql::moments(&rows, p), &[&acc.name])?;
        let m = read_moments(&answer.first().cloned().unwrap_or_default(), p);
        let design = EngineDesign {
            table: acc.name.clone(),
            engine: RefCell::new(engine),
            rows,
            p,
            n: m.n,
            events: m.events,
            moments: (m.mean, m.cov),
            ranges: m.ranges,
        };
        Ok((design, terms))
    }

    /// Runs one query over the accounts table.
    fn query(&self, sql: &str) -> Result<Vec<Vec<Cell>>> {
        let mut e = self.engine.borrow_mut();
        e.query(sql, &[&self.table])
    }

    /// The first `k` numbers of a one-row query.
    fn numbers(&self, sql: &str, k: usize) -> Result<Vec<f64>> {
        let answer = self.query(sql)?;
        let row = answer.first().ok_or_else(|| self.short())?;
        (0..k)
            .map(|j| {
                row.get(j)
                    .and_then(Cell::number)
                    .ok_or_else(|| self.short())
            })
            .collect()
    }

    /// The `p + 1` coefficients of `beta` on the design columns `cols`.
    fn full(&self, cols: &[usize], beta: &[f64]) -> Vec<f64> {
        let mut b = vec![0.0; self.p + 1];
        for (&j, &v) in cols.iter().zip(beta) {
            b[j] = v;
        }
        b
    }

    /// A malformed answer (the engine answered, but not what was asked).
    fn short(&self) -> Error {
        Error::Engine {
            target: self.engine.borrow().target().to_string(),
            message: format!("an aggregate over {} came back incomplete", self.table),
        }
    }
}

/// The answer of [`msql::moments`]: rows, events, the columns' means
/// (index 0 the intercept's 1) and covariances (row and column 0 unused),
/// and each column's ranges.
pub(super) struct Moments {
    pub n: usize,
    pub events: f64,
    pub mean: Vec<f64>,
    pub cov: Vec<Vec<f64>>,
    pub ranges: Vec<Ranges>,
}

/// Reads the one row of [`msql::moments`] over `p` columns.
pub(super) fn read_moments(row: &[Cell], p: usize) -> Moments {
    let num_or = |j: usize, or: f64| row.get(j).and_then(Cell::number).unwrap_or(or);
    let num = |j: usize| num_or(j, f64::NAN);
    let n = row.first().and_then(Cell::count).unwrap_or(0);
    let events = if n == 0 { 0.0 } else { num(1) };
    let mut mean = vec![1.0; p + 1];
    let mut cov = vec![vec![0.0; p + 1]; p + 1];
    let mut at = 2;
    for m in mean.iter_mut().skip(1) {
        *m = num(at);
        at += 1;
    }
    for (a, b) in msql::pairs(1, p) {
        let v = num(at);
        cov[a][b] = v;
        cov[b][a] = v;
        at += 1;
    }
    let ranges = (0..p)
        .map(|i| {
            let at = at + 5 * i;
            Ranges {
                min_churned: num_or(at, f64::INFINITY),
                max_churned: num_or(at + 1, f64::NEG_INFINITY),
                min_retained: num_or(at + 2, f64::INFINITY),
                max_retained: num_or(at + 3, f64::NEG_INFINITY),
                ones: row.get(at + 4).and_then(Cell::count).unwrap_or(0),
            }
        })
        .collect();
    Moments {
        n,
        events,
        mean,
        cov,
        ranges,
    }
}

/// `a, b, …`: cells as SQL literals, for an IN list.
fn cell_set<'a>(d: Dialect, cells: impl Iterator<Item = &'a String>) -> String {
    cells.map(|c| d.literal(c)).collect::<Vec<_>>().join(", ")
}

/// Driver `dr` has a value, as SQL over the accounts.
fn present_sql(d: Dialect, acc: &EngineAccounts, dr: &super::drivers::EngineDriver) -> String {
    match &dr.read {
        Read::Number | Read::Values(_) => {
            format!("({}) IS NOT NULL", dr.value_sql(d, &acc.missing))
        }
        Read::Levels { cells, .. } => format!(
            "({}) IN ({})",
            d.cell(&dr.config.column, &acc.missing),
            cell_set(d, cells.iter().map(|m| &m.0))
        ),
    }
}

/// 1 where categorical driver `dr` is at level `code`, else 0, as SQL.
fn level_sql(
    d: Dialect,
    acc: &EngineAccounts,
    dr: &super::drivers::EngineDriver,
    code: u32,
) -> String {
    let cells = match &dr.read {
        Read::Levels { cells, .. } => cells.as_slice(),
        _ => &[],
    };
    let mine = cells.iter().filter(|m| m.1 == code).map(|m| &m.0);
    let set = cell_set(d, mine);
    if set.is_empty() {
        return "0".into();
    }
    format!(
        "CASE WHEN ({}) IN ({set}) THEN 1 ELSE 0 END",
        d.cell(&dr.config.column, &acc.missing)
    )
}

/// The design's terms of the drivers not in `skip` as SQL over the
/// accounts (a number, or one indicator per non-reference level), the
/// conditions of a complete case, and the terms.
pub fn terms_sql(
    d: Dialect,
    acc: &EngineAccounts,
    skip: &[bool],
    references: &[usize],
) -> (Vec<String>, Vec<String>, Vec<Term>) {
    let mut terms = Vec::new();
    let mut xs = Vec::new();
    let mut present = Vec::new();
    for (k, dr) in acc.drivers.iter().enumerate() {
        if skip.get(k).copied().unwrap_or(true) {
            continue;
        }
        present.push(present_sql(d, acc, dr));
        match &dr.read {
            Read::Number | Read::Values(_) => {
                xs.push(dr.value_sql(d, &acc.missing));
                terms.push(Term::value(&dr.config.column, k));
            }
            Read::Levels { levels, .. } => {
                let r = references.get(k).copied().unwrap_or(0);
                for (j, lev) in levels.iter().enumerate().filter(|(j, _)| *j != r) {
                    xs.push(level_sql(d, acc, dr, j as u32));
                    terms.push(Term::dummy(&dr.config.column, k, lev, j as u32));
                }
            }
        }
    }
    (xs, present, terms)
}

/// The fitted model's linear predictor η as SQL over the accounts (the
/// coefficients summed in the table's order, as
/// [`crate::drivers::LogitModel::eta`] sums them) and the condition of a
/// complete case; `None` when the model reads a driver the accounts do not
/// have.
pub fn eta_sql(
    d: Dialect,
    acc: &EngineAccounts,
    m: &crate::drivers::LogitModel,
) -> Option<(String, String)> {
    let mut eta = Vec::new();
    for (c, read) in m.coefficients.iter().zip(m.scoring_reads()) {
        let b = d.number(c.estimate);
        eta.push(match read {
            None => b,
            Some((k, None)) => {
                let dr = acc.drivers.get(*k)?;
                format!("{b} * {}", d.double(&dr.value_sql(d, &acc.missing)))
            }
            Some((k, Some(j))) => format!("{b} * {}", level_sql(d, acc, acc.drivers.get(*k)?, *j)),
        });
    }
    let present: Vec<String> = m
        .scoring_used()
        .iter()
        .map(|&k| acc.drivers.get(k).map(|dr| present_sql(d, acc, dr)))
        .collect::<Option<_>>()?;
    let present = if present.is_empty() {
        "1 = 1".to_string()
    } else {
        present.join(" AND ")
    };
    Some((eta.join(" + "), present))
}

impl Rows for EngineDesign<'_> {
    fn n(&self) -> usize {
        self.n
    }
    fn events(&self) -> f64 {
        self.events
    }
    fn passes(&self, asks: &[Ask]) -> std::result::Result<Vec<Pass>, FitFailure> {
        let p = self.p;
        let batch: Vec<PassAsk> = asks
            .iter()
            .map(|a| PassAsk {
                beta: self.full(a.cols, a.beta),
                leverage: a.hinv.map(|h| {
                    // q = Σ_ik h_ik x_i x_k, gathered by unordered column pair.
                    let mut g = vec![0.0; (p + 1) * (p + 2) / 2];
                    for (i, &ca) in a.cols.iter().enumerate() {
                        for (k, &cb) in a.cols.iter().enumerate() {
                            g[msql::pair_index(p, ca.min(cb), ca.max(cb))] += h[[i, k]];
                        }
                    }
                    g
                }),
            })
            .collect();
        let sql = msql::passes(self.engine.borrow().dialect(), &self.rows, p, &batch);
        let source = |e: Error| FitFailure::Source(Box::new(e));
        let answer = self.query(&sql).map_err(source)?;
        if answer.len() != asks.len() {
            return Err(source(self.short()));
        }
        let mut out = Vec::with_capacity(asks.len());
        for (a, row) in asks.iter().zip(&answer) {
            let num = |j: usize| row.get(j).and_then(Cell::number);
            let Some(ll) = num(1) else {
                return Err(source(self.short()));
            };
            let q = a.cols.len();
            let mut score = vec![0.0; q];
            let mut info = vec![0.0; q * q];
            for (i, &ca) in a.cols.iter().enumerate() {
                score[i] = num(2 + ca).ok_or_else(|| source(self.short()))?;
                for (k, &cb) in a.cols.iter().enumerate().skip(i) {
                    info[i * q + k] = num(3 + p + msql::pair_index(p, ca.min(cb), ca.max(cb)))
                        .ok_or_else(|| source(self.short()))?;
                }
            }
            out.push(Pass { ll, score, info });
        }
        Ok(out)
    }
}

impl ModelRows for EngineDesign<'_> {
    fn moments(&self) -> Result<(Vec<f64>, Vec<Vec<f64>>)> {
        Ok(self.moments.clone())
    }

    fn ranges(&self, cols: &[usize]) -> Result<Vec<Ranges>> {
        cols.iter()
            .map(|&j| {
                j.checked_sub(1)
                    .and_then(|i| self.ranges.get(i).copied())
                    .ok_or_else(|| self.short())
            })
            .collect()
    }

    fn scored(&self, f: &LogitFit) -> Result<(f64, Vec<f64>, f64)> {
        let d = self.engine.borrow().dialect();
        let beta = self.full(&f.cols, &f.beta);
        let k = f.cols.len();
        let mut m = self.numbers(&msql::margin_sums(d, &self.rows, &beta, &f.cols), 1 + k)?;
        let swx = m.split_off(1);
        let a = self.numbers(&msql::auc(d, &self.rows, &beta), 3)?;
        // The query sums twice the mid-ranks, in integers.
        let auc = crate::stats::logit::auc_of_rank_sum(a[0] / 2.0, a[1], a[2] - a[1]);
        Ok((m[0], swx, auc))
    }
}
