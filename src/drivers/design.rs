//! The model's design matrix: one column per numeric driver and one dummy
//! per non-reference level of a categorical driver, on complete cases;
//! column moments, the screen that drops constant and perfectly collinear
//! terms with a reason naming what they duplicate, and VIFs; what the model
//! reads of a driver besides its values ([`DriverInfo`]).

use rayon::prelude::*;
use serde::Serialize;

use crate::config::DriverConfig;
use crate::data::{Driver, DriverValues};
use crate::stats::logit::Design;

/// One column of the design (after the intercept).
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// `column` or `column[level]`.
    pub name: String,
    /// Index into the study's drivers.
    pub driver: usize,
    pub level: Option<String>,
    /// The level's code in the driver's categorical values (dummies only).
    pub code: Option<u32>,
    /// A categorical dummy (per-SD effects make no sense for those).
    pub dummy: bool,
}

impl Term {
    /// The term of a driver's value (numeric, ordinal, yes/no).
    pub fn value(column: &str, driver: usize) -> Self {
        Term {
            name: column.to_string(),
            driver,
            level: None,
            code: None,
            dummy: false,
        }
    }

    /// The dummy of level `code` (`level`) of a categorical driver.
    pub fn dummy(column: &str, driver: usize, level: &str, code: u32) -> Self {
        Term {
            name: format!("{column}[{level}]"),
            driver,
            level: Some(level.to_string()),
            code: Some(code),
            dummy: true,
        }
    }
}

/// What the model reads of a driver besides its values.
pub trait DriverInfo {
    fn config(&self) -> &DriverConfig;
    /// Rows without a value.
    fn n_missing(&self) -> usize;
    /// Rows with one.
    fn present(&self) -> usize;
    /// The present values do not vary (or there are none).
    fn constant(&self) -> bool;
    /// A categorical driver's levels, in code order.
    fn levels(&self) -> Option<&[String]>;
}

impl DriverInfo for Driver {
    fn config(&self) -> &DriverConfig {
        &self.config
    }
    fn n_missing(&self) -> usize {
        self.n_missing
    }
    fn present(&self) -> usize {
        self.len_present()
    }
    fn constant(&self) -> bool {
        self.constant
    }
    fn levels(&self) -> Option<&[String]> {
        match &self.values {
            crate::data::DriverValues::Categorical(c) => Some(&c.levels),
            crate::data::DriverValues::Numeric(_) => None,
        }
    }
}

/// A term left out of the model and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DroppedTerm {
    pub term: String,
    pub reason: String,
}

/// Builds the design on complete cases. Returns the design, its terms and the
/// number of rows left out. Drivers flagged in `skip` are left out.
pub fn build_design(
    drivers: &[Driver],
    churned: &[bool],
    references: &[usize],
    skip: &[bool],
) -> (Design, Vec<Term>, usize) {
    let (d, terms, rows) = build_design_rows(drivers, churned, references, skip, |_| true);
    let dropped = churned.len() - rows.len();
    (d, terms, dropped)
}

/// [`build_design`] on the complete cases that also pass `keep` (e.g. rows
/// with a duration), returning the rows used, in order.
pub fn build_design_rows(
    drivers: &[Driver],
    churned: &[bool],
    references: &[usize],
    skip: &[bool],
    keep: impl Fn(usize) -> bool + Sync,
) -> (Design, Vec<Term>, Vec<usize>) {
    let mut terms = Vec::new();
    // What fills each design column after the intercept: the driver's value,
    // or the indicator of one of its levels.
    let mut fills: Vec<(usize, Option<u32>)> = Vec::new();
    for (k, d) in drivers.iter().enumerate() {
        if skip[k] {
            continue;
        }
        match &d.values {
            DriverValues::Numeric(_) => {
                terms.push(Term::value(&d.config.column, k));
                fills.push((k, None));
            }
            DriverValues::Categorical(c) => {
                for (j, lev) in c.levels.iter().enumerate() {
                    if j != references[k] {
                        terms.push(Term::dummy(&d.config.column, k, lev, j as u32));
                        fills.push((k, Some(j as u32)));
                    }
                }
            }
        }
    }
    let p = terms.len() + 1;
    let used: Vec<usize> = (0..drivers.len()).filter(|&k| !skip[k]).collect();
    let n_all = churned.len();
    let rows: Vec<usize> = (0..n_all)
        .filter(|&i| keep(i) && used.iter().all(|&k| drivers[k].is_present(i)))
        .collect();
    let n = rows.len();
    let mut x = vec![0.0; n * p];
    if n > 0 {
        let (intercept, rest) = x.split_at_mut(n);
        intercept.fill(1.0);
        rest.par_chunks_mut(n)
            .zip(&fills)
            .for_each(|(col, &(k, level))| match (&drivers[k].values, level) {
                (DriverValues::Numeric(v), _) => {
                    for (o, &i) in col.iter_mut().zip(&rows) {
                        *o = v[i];
                    }
                }
                (DriverValues::Categorical(c), Some(j)) => {
                    for (o, &i) in col.iter_mut().zip(&rows) {
                        *o = if c.codes[i] == j { 1.0 } else { 0.0 };
                    }
                }
                (DriverValues::Categorical(_), None) => {}
            });
    }
    let y = rows
        .iter()
        .map(|&i| if churned[i] { 1.0 } else { 0.0 })
        .collect();
    (Design { n, p, x, y }, terms, rows)
}

/// Means and the covariance matrix of design columns 1..p (parallel one pass
/// for the means, one for the cross-products).
pub fn column_moments(d: &Design) -> (Vec<f64>, Vec<Vec<f64>>) {
    let p = d.p;
    let n = d.n as f64;
    let chunk = 16 * 1024;
    let sums = (0..d.n.div_ceil(chunk))
        .into_par_iter()
        .map(|c| {
            let rows = c * chunk..((c + 1) * chunk).min(d.n);
            (0..p)
                .map(|k| {
                    let mut a = 0.0;
                    for v in &d.column(k)[rows.clone()] {
                        a += v;
                    }
                    a
                })
                .collect::<Vec<f64>>()
        })
        .collect::<Vec<_>>()
        .into_iter()
        .fold(vec![0.0; p], |mut a, b| {
            a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
            a
        });
    let mean: Vec<f64> = sums.iter().map(|s| s / n).collect();
    // Centred blocks of rows, then each cross-product summed over the block
    // in row order.
    const BLOCK: usize = 2048;
    let cross = (0..d.n.div_ceil(chunk))
        .into_par_iter()
        .map(|c| {
            let mut s = vec![0.0; p * p];
            let mut r = vec![0.0; p * BLOCK];
            let end = ((c + 1) * chunk).min(d.n);
            let mut start = c * chunk;
            while start < end {
                let m = BLOCK.min(end - start);
                for k in 1..p {
                    let col = &d.column(k)[start..start + m];
                    for (o, v) in r[k * BLOCK..k * BLOCK + m].iter_mut().zip(col) {
                        *o = v - mean[k];
                    }
                }
                for a in 1..p {
                    let ra = &r[a * BLOCK..a * BLOCK + m];
                    for b in a..p {
                        let rb = &r[b * BLOCK..b * BLOCK + m];
                        let mut acc = s[a * p + b];
                        for (u, v) in ra.iter().zip(rb) {
                            acc += u * v;
                        }
                        s[a * p + b] = acc;
                    }
                }
                start += m;
            }
            s
        })
        .collect::<Vec<_>>()
        .into_iter()
        .fold(vec![0.0; p * p], |mut a, b| {
            a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
            a
        });
    let mut cov = vec![vec![0.0; p]; p];
    for a in 1..p {
        for b in a..p {
            let v = cross[a * p + b] / (n - 1.0);
            cov[a][b] = v;
            cov[b][a] = v;
        }
    }
    (mean, cov)
}

/// Solves the symmetric positive-definite system `m x = b` by Cholesky
/// (linfa-linalg); `None` when `m` is not positive definite.
pub(super) fn spd_solve(m: &[Vec<f64>], b: &[f64]) -> Option<Vec<f64>> {
    use linfa_linalg::cholesky::SolveC;
    let k = b.len();
    let mut a = ndarray::Array2::from_shape_fn((k, k), |(i, j)| m[i][j]);
    let rhs = ndarray::Array2::from_shape_fn((k, 1), |(i, _)| b[i]);
    let x = a.solvec(&rhs).ok()?;
    Some(x.column(0).to_vec())
}

/// Screens design columns 1..p in order: a column with no variance, or one
/// that the columns kept before it explain (R² > 1 − 1e-8), is dropped and
/// the reason names the terms it duplicates.
pub fn screen_columns<D: DriverInfo>(
    terms: &[Term],
    cov: &[Vec<f64>],
    drivers: &[D],
) -> (Vec<usize>, Vec<DroppedTerm>) {
    let mut kept: Vec<usize> = Vec::new(); // design column indices (≥ 1)
    let mut dropped = Vec::new();
    for (t, term) in terms.iter().enumerate() {
        let j = t + 1;
        let var = cov[j][j];
        if var.is_nan() || var <= 0.0 {
            let what = if term.dummy {
                format!(
                    "no account in the model sample has {} = {}",
                    drivers[term.driver].config().column,
                    term.level.as_deref().unwrap_or_default()
                )
            } else {
                "the term does not vary among the accounts in the model".to_string()
            };
            dropped.push(DroppedTerm {
                term: term.name.clone(),
                reason: format!("constant: {what}"),
            });
            continue;
        }
        if !kept.is_empty() {
            let m: Vec<Vec<f64>> = kept
                .iter()
                .map(|&a| kept.iter().map(|&b| cov[a][b]).collect())
                .collect();
            let r: Vec<f64> = kept.iter().map(|&a| cov[a][j]).collect();
            if let Some(coef) = spd_solve(&m, &r) {
                let explained: f64 = coef.iter().zip(&r).map(|(c, v)| c * v).sum();
                let resid = var - explained;
                if resid <= 1e-8 * var {
                    let mut names: Vec<(f64, &str)> = kept
                        .iter()
                        .zip(&coef)
                        .filter(|(_, c)| c.abs() > 1e-9)
                        .map(|(&a, c)| (c.abs() * cov[a][a].sqrt(), terms[a - 1].name.as_str()))
                        .collect();
                    names.sort_by(|a, b| b.0.total_cmp(&a.0));
                    let list: Vec<&str> = names.iter().map(|x| x.1).collect();
                    dropped.push(DroppedTerm {
                        term: term.name.clone(),
                        reason: if list.len() == 1 {
                            format!(
                                "perfectly collinear: it is a linear function of {} (a copy or rescaling)",
                                list[0]
                            )
                        } else {
                            format!(
                                "perfectly collinear: it is a linear combination of {}",
                                list.join(", ")
                            )
                        },
                    });
                    continue;
                }
            }
        }
        kept.push(j);
    }
    (kept, dropped)
}

/// VIF of each kept column: the diagonal of the inverse correlation matrix
/// (equal to statsmodels' `variance_inflation_factor` with a constant).
pub fn vifs(kept: &[usize], cov: &[Vec<f64>]) -> Vec<f64> {
    let k = kept.len();
    let corr: Vec<Vec<f64>> = kept
        .iter()
        .map(|&a| {
            kept.iter()
                .map(|&b| cov[a][b] / (cov[a][a] * cov[b][b]).sqrt())
                .collect()
        })
        .collect();
    (0..k)
        .map(|j| {
            let mut e = vec![0.0; k];
            e[j] = 1.0;
            spd_solve(&corr, &e).map_or(f64::INFINITY, |col| col[j])
        })
        .collect()
}
