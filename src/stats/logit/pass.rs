//! One pass of a logistic fit over its rows: Σ log-likelihood, the score
//! X'(y − μ) (Firth's modified score with leverages) and the information
//! X'WX at one β. [`Rows`] is what a fit asks of its data, so the same
//! Newton code runs on a design in memory ([`Design`], below) and on a
//! table in a SQL engine, where each batch of asks is one aggregate query.

use ndarray::Array2;
use rayon::prelude::*;

use super::{Design, FitFailure};

/// Rows per parallel work item.
pub(super) const CHUNK: usize = 16 * 1024;

/// One pass wanted: the columns of the design used (intercept first), the
/// coefficients, and for Firth's score the inverse information.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    pub cols: &'a [usize],
    pub beta: &'a [f64],
    pub hinv: Option<&'a Array2<f64>>,
}

/// The rows a logistic model is fitted on, as a fit sees them.
pub trait Rows {
    /// Rows (complete cases).
    fn n(&self) -> usize;
    /// Σ y: the churned rows.
    fn events(&self) -> f64;
    /// One [`Pass`] per ask, in order. A source that reads a table answers
    /// them all in one read.
    ///
    /// # Errors
    /// [`FitFailure::Source`] when the rows cannot be read.
    fn passes(&self, asks: &[Ask]) -> Result<Vec<Pass>, FitFailure>;
}

impl Rows for Design {
    fn n(&self) -> usize {
        self.n
    }
    fn events(&self) -> f64 {
        self.y.iter().sum()
    }
    fn passes(&self, asks: &[Ask]) -> Result<Vec<Pass>, FitFailure> {
        Ok(asks
            .iter()
            .map(|a| pass(self, a.cols, a.beta, a.hinv))
            .collect())
    }
}

/// Sums over rows at one β: log-likelihood, score and information.
#[derive(Debug, Clone, PartialEq)]
pub struct Pass {
    pub ll: f64,
    pub score: Vec<f64>,
    /// Upper triangle filled, p×p row-major.
    pub info: Vec<f64>,
}

/// Dot product with four independent accumulators, so the compiler can
/// vectorise it (a single running sum must stay in order).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut s = [0.0f64; 4];
    let (ac, ar) = a.split_at(a.len() - a.len() % 4);
    let (bc, br) = b.split_at(ac.len());
    for (x, y) in ac.chunks_exact(4).zip(bc.chunks_exact(4)) {
        s[0] += x[0] * y[0];
        s[1] += x[1] * y[1];
        s[2] += x[2] * y[2];
        s[3] += x[3] * y[3];
    }
    let tail: f64 = ar.iter().zip(br).map(|(x, y)| x * y).sum();
    (s[0] + s[1]) + (s[2] + s[3]) + tail
}

/// Rows per block inside a work item: the information matrix is built from
/// dot products over a block's column slices, which stay in cache.
const BLOCK: usize = 2048;

/// One parallel pass over the design's columns `sel` (read in place: no
/// copy of the design per refit). With `hinv` (Firth), the score is Firth's modified
/// score X'(y − μ + h(½ − μ)) with leverages h from `hinv`.
pub(super) fn pass(d: &Design, sel: &[usize], beta: &[f64], hinv: Option<&Array2<f64>>) -> Pass {
    let p = sel.len();
    let zero = || Pass {
        ll: 0.0,
        score: vec![0.0; p],
        info: vec![0.0; p * p],
    };
    let columns: Vec<&[f64]> = sel.iter().map(|&j| d.column(j)).collect();
    let chunks = d.n.div_ceil(CHUNK);
    (0..chunks)
        .into_par_iter()
        .map(|c| {
            let mut acc = zero();
            let mut eta = vec![0.0; BLOCK];
            let mut w = vec![0.0; BLOCK];
            let mut resid = vec![0.0; BLOCK];
            let mut wa = vec![0.0; BLOCK];
            let mut cols: Vec<&[f64]> = Vec::with_capacity(p);
            let end = ((c + 1) * CHUNK).min(d.n);
            let mut start = c * CHUNK;
            while start < end {
                let m = BLOCK.min(end - start);
                cols.clear();
                cols.extend(columns.iter().map(|col| &col[start..start + m]));
                let eta = &mut eta[..m];
                eta.fill(0.0);
                for (bk, col) in beta.iter().zip(&cols) {
                    for (e, x) in eta.iter_mut().zip(*col) {
                        *e += bk * x;
                    }
                }
                // Σ log(1 + e) is taken as the log of a running product of
                // the (1 + e) ∈ (1, 2]: one logarithm per 512 rows instead of
                // one per row (the product stays below 2^512; each factor's
                // rounding moves the sum by at most 1.1e-16).
                let (mut lin, mut prod) = (0.0, 1.0);
                for i in 0..m {
                    let t = eta[i];
                    let y = d.y[start + i];
                    // One exponential serves the likelihood and the mean:
                    // e = exp(−|η|), log(1+e^η) = max(η,0) + log(1+e).
                    let e = (-t.abs()).exp();
                    let one_e = 1.0 + e;
                    lin += y * t - t.max(0.0);
                    prod *= one_e;
                    if i % 512 == 511 {
                        acc.ll += lin - prod.ln();
                        (lin, prod) = (0.0, 1.0);
                    }
                    let mu = if t >= 0.0 { 1.0 / one_e } else { e / one_e };
                    let wi = mu * (1.0 - mu);
                    let mut r = y - mu;
                    if let Some(h) = hinv {
                        // leverage h_i = w x' H⁻¹ x
                        let mut q = 0.0;
                        for a in 0..p {
                            let mut s = 0.0;
                            for b in 0..p {
                                s += h[[a, b]] * cols[b][i];
                            }
                            q += s * cols[a][i];
                        }
                        r += wi * q * (0.5 - mu);
                    }
                    w[i] = wi;
                    resid[i] = r;
                }
                acc.ll += lin - prod.ln();
                for a in 0..p {
                    let ca = cols[a];
                    acc.score[a] += dot(&resid[..m], ca);
                    for ((o, wi), x) in wa[..m].iter_mut().zip(&w[..m]).zip(ca) {
                        *o = wi * x;
                    }
                    for (b, cb) in cols.iter().enumerate().skip(a) {
                        acc.info[a * p + b] += dot(&wa[..m], cb);
                    }
                }
                start += m;
            }
            acc
        })
        .collect::<Vec<_>>()
        .into_iter()
        .fold(zero(), |mut a, b| {
            a.ll += b.ll;
            a.score.iter_mut().zip(&b.score).for_each(|(x, y)| *x += y);
            a.info.iter_mut().zip(&b.info).for_each(|(x, y)| *x += y);
            a
        })
}
