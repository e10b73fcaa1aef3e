//! What the multivariable model reads of its rows, so that the same model
//! code runs on a design in memory and on a table in a SQL engine:
//! [`ModelRows`] adds to Newton's passes ([`Rows`]) the column moments,
//! each column's range among churned and retained rows, and the sums
//! behind the marginal effects and the AUC at the fit.

use crate::error::Result;
use crate::stats::logit::{self, Design, LogitFit, Rows};

/// A design column's values among churned and among retained rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranges {
    pub min_churned: f64,
    pub max_churned: f64,
    pub min_retained: f64,
    pub max_retained: f64,
    /// Rows with a value above ½ (a dummy's level).
    pub ones: usize,
}

/// The rows of the model beyond Newton's passes.
pub trait ModelRows: Rows {
    /// Means and covariance of design columns 1..p (0 is the intercept).
    ///
    /// # Errors
    /// The source's own when its rows cannot be read.
    fn moments(&self) -> Result<(Vec<f64>, Vec<Vec<f64>>)>;
    /// [`Ranges`] of each of `cols`.
    ///
    /// # Errors
    /// As [`ModelRows::moments`].
    fn ranges(&self, cols: &[usize]) -> Result<Vec<Ranges>>;
    /// At the fit `f`: Σ w and Σ w(1 − 2μ)·x per column used (w = μ(1 − μ),
    /// what [`logit::margins`] needs), and the AUC of μ against churned.
    ///
    /// # Errors
    /// As [`ModelRows::moments`].
    fn scored(&self, f: &LogitFit) -> Result<(f64, Vec<f64>, f64)>;
}

impl ModelRows for Design {
    fn moments(&self) -> Result<(Vec<f64>, Vec<Vec<f64>>)> {
        Ok(super::design::column_moments(self))
    }

    fn ranges(&self, cols: &[usize]) -> Result<Vec<Ranges>> {
        use rayon::prelude::*;
        Ok(cols
            .par_iter()
            .map(|&j| {
                let mut r = [
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                ];
                let mut ones = 0;
                for (&v, &y) in self.column(j).iter().zip(&self.y) {
                    let o = if y > 0.5 { 0 } else { 2 };
                    r[o] = r[o].min(v);
                    r[o + 1] = r[o + 1].max(v);
                    ones += usize::from(v > 0.5);
                }
                Ranges {
                    min_churned: r[0],
                    max_churned: r[1],
                    min_retained: r[2],
                    max_retained: r[3],
                    ones,
                }
            })
            .collect())
    }

    fn scored(&self, f: &LogitFit) -> Result<(f64, Vec<f64>, f64)> {
        let mu = logit::predict(self, f);
        let (sw, swx) = logit::margin_sums(self, f, &mu);
        Ok((sw, swx, logit::auc(&mu, &self.y)))
    }
}
