//! Small dense linear algebra shared by the model fits: a symmetric matrix
//! from its upper triangle, and the inverse with the log-determinant of a
//! positive-definite matrix (by Cholesky, from `linfa-linalg`).

use linfa_linalg::cholesky::{Cholesky, InverseC};
use ndarray::Array2;

/// The matrix could not be inverted (not positive definite, or not finite).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Singular;

/// The symmetric p×p matrix whose upper triangle is `upper` (row-major).
pub fn info_matrix(p: usize, upper: &[f64]) -> Array2<f64> {
    let mut m = Array2::zeros((p, p));
    for a in 0..p {
        for b in a..p {
            m[[a, b]] = upper[a * p + b];
            m[[b, a]] = upper[a * p + b];
        }
    }
    m
}

/// Inverse and log-determinant of a symmetric positive-definite matrix.
pub fn inverse_logdet(m: &Array2<f64>) -> Result<(Array2<f64>, f64), Singular> {
    let l = m.cholesky().map_err(|_| Singular)?;
    let logdet = 2.0 * l.diag().iter().map(|v| v.ln()).sum::<f64>();
    let inv = m.invc().map_err(|_| Singular)?;
    if inv.iter().any(|v| !v.is_finite()) {
        return Err(Singular);
    }
    Ok((inv, logdet))
}
