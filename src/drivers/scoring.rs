//! Scoring accounts with the fitted logistic model: each account's linear
//! predictor, its design row (missing values at the driver's typical
//! value), the variance of the predictor, and where a driver's terms sit.

use rayon::prelude::*;

use super::model::{Coefficient, LogitModel};
use crate::data::{Driver, DriverValues};

impl LogitModel {
    /// Each account's linear predictor η = β·x on `drivers` (the study's, in
    /// config order), NaN where the account is not a complete case; each row
    /// sums the coefficients in the table's order. `None` when `drivers` are
    /// not the ones the model was fitted on.
    pub fn eta(&self, drivers: &[Driver]) -> Option<Vec<f64>> {
        /// One coefficient and the column it multiplies.
        enum Part<'a> {
            Intercept(f64),
            Value(f64, &'a [f64]),
            Level(f64, &'a [u32], u32),
        }
        let parts: Vec<Part> = self
            .coefficients
            .iter()
            .zip(&self.scoring.reads)
            .map(|(c, read)| match read {
                None => Some(Part::Intercept(c.estimate)),
                Some((k, code)) => match (&drivers.get(*k)?.values, code) {
                    (DriverValues::Numeric(v), None) => Some(Part::Value(c.estimate, v)),
                    (DriverValues::Categorical(cat), Some(j)) => {
                        Some(Part::Level(c.estimate, &cat.codes, *j))
                    }
                    _ => None,
                },
            })
            .collect::<Option<_>>()?;
        let used: Vec<&Driver> = self
            .scoring
            .used
            .iter()
            .map(|&k| drivers.get(k))
            .collect::<Option<_>>()?;
        let n = drivers.first().map_or(0, |d| d.len());
        const CHUNK: usize = 16 * 1024;
        let mut eta = vec![0.0; n];
        eta.par_chunks_mut(CHUNK).enumerate().for_each(|(c, out)| {
            for (j, e) in out.iter_mut().enumerate() {
                let i = c * CHUNK + j;
                if !used.iter().all(|d| d.is_present(i)) {
                    *e = f64::NAN;
                    continue;
                }
                let mut v = 0.0;
                for p in &parts {
                    match p {
                        Part::Intercept(b) => v += b,
                        Part::Value(b, x) => v += b * x[i],
                        Part::Level(b, codes, level) => {
                            if codes[i] == *level {
                                v += b;
                            }
                        }
                    }
                }
                *e = v;
            }
        });
        Some(eta)
    }

    /// Account `i`'s design row (1 for the intercept, then each
    /// coefficient's value or level indicator), a missing value taking
    /// `fill`'s entry; and the drivers that were missing.
    pub fn row(&self, drivers: &[Driver], i: usize, fill: &[f64]) -> (Vec<f64>, Vec<usize>) {
        let mut missing = Vec::new();
        let x = self
            .scoring
            .reads
            .iter()
            .zip(fill)
            .map(|(read, &f)| match read {
                None => 1.0,
                Some((k, code)) => match drivers.get(*k) {
                    Some(d) if d.is_present(i) => match (&d.values, code) {
                        (DriverValues::Numeric(v), None) => v[i],
                        (DriverValues::Categorical(c), Some(j)) => {
                            f64::from(u8::from(c.codes[i] == *j))
                        }
                        _ => f,
                    },
                    _ => {
                        if !missing.contains(k) {
                            missing.push(*k);
                        }
                        f
                    }
                },
            })
            .collect();
        (x, missing)
    }

    /// Per coefficient, what a missing value is scored at: a numeric
    /// driver's median (a yes/no one's more common side), a level's
    /// indicator of the most common level.
    pub fn fill(&self, drivers: &[Driver]) -> Vec<f64> {
        self.scoring
            .reads
            .iter()
            .map(|read| match read {
                None => 1.0,
                Some((k, code)) => drivers.get(*k).map_or(0.0, |d| d.typical(*code)),
            })
            .collect()
    }

    /// The variance of xᵀβ̂ for a design row `x` (from the coefficients'
    /// covariance).
    pub fn eta_variance(&self, x: &[f64]) -> f64 {
        let p = x.len();
        if self.scoring.cov.len() != p * p {
            return f64::NAN;
        }
        (0..p)
            .map(|a| {
                (0..p)
                    .map(|b| x[a] * self.scoring.cov[a * p + b] * x[b])
                    .sum::<f64>()
            })
            .sum()
    }

    /// Where driver `k`'s single slope sits in the coefficients, if it has one.
    pub fn slope_of(&self, k: usize) -> Option<usize> {
        self.scoring
            .reads
            .iter()
            .position(|r| *r == Some((k, None)))
    }

    /// Per coefficient (intercept first), the driver it reads and the level
    /// code it tests (`None` for a value; `None` overall for the intercept).
    pub fn scoring_reads(&self) -> &[Option<(usize, Option<u32>)>] {
        &self.scoring.reads
    }

    /// The drivers whose values make a complete case.
    pub fn scoring_used(&self) -> &[usize] {
        &self.scoring.used
    }

    /// The coefficients of driver `k` (its index among the study's drivers)
    /// with the level code each tests (`None` for a numeric driver's slope).
    pub fn terms_of(&self, k: usize) -> Vec<(&Coefficient, Option<u32>)> {
        self.coefficients
            .iter()
            .zip(&self.scoring.reads)
            .filter_map(|(c, read)| match read {
                Some((d, code)) if *d == k => Some((c, *code)),
                _ => None,
            })
            .collect()
    }
}
