//! Pearson's chi-square test of independence / homogeneity on a contingency
//! table, as `scipy.stats.chi2_contingency` (Yates' correction optional, for
//! 2×2 tables only, as scipy does).

use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::error::{Error, Result};

/// Result of [`chi2_contingency`].
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChiSquareResult {
    pub statistic: f64,
    pub dof: usize,
    pub p_value: f64,
    /// Expected counts under independence, same shape as the input.
    pub expected: Vec<Vec<f64>>,
    /// Share of cells whose expected count is below 5 (the usual caution).
    pub share_expected_below_5: f64,
}

/// Tests independence of rows and columns of `observed` (rows × columns of counts).
///
/// Rows or columns whose total is zero are dropped first (they carry no
/// information and would make expected counts zero).
///
/// # Errors
/// [`Error::Analysis`] when fewer than two non-empty rows or columns remain,
/// or a count is negative or not finite.
pub fn chi2_contingency(observed: &[Vec<f64>], correction: bool) -> Result<ChiSquareResult> {
    let bad = |m: String| Error::Analysis {
        analysis: "chi-square test",
        message: m,
    };
    let ncol = observed.first().map_or(0, Vec::len);
    if observed.iter().any(|r| r.len() != ncol) {
        return Err(bad("rows of the table have different lengths".into()));
    }
    if observed
        .iter()
        .flatten()
        .any(|x| !x.is_finite() || *x < 0.0)
    {
        return Err(bad("counts must be finite and non-negative".into()));
    }
    let col_tot: Vec<f64> = (0..ncol)
        .map(|j| observed.iter().map(|r| r[j]).sum())
        .collect();
    let keep_cols: Vec<usize> = (0..ncol).filter(|&j| col_tot[j] > 0.0).collect();
    let table: Vec<Vec<f64>> = observed
        .iter()
        .filter(|r| r.iter().sum::<f64>() > 0.0)
        .map(|r| keep_cols.iter().map(|&j| r[j]).collect())
        .collect();
    if table.len() < 2 || keep_cols.len() < 2 {
        return Err(bad(format!(
            "needs at least two non-empty rows and columns (has {} × {})",
            table.len(),
            keep_cols.len()
        )));
    }
    let r_tot: Vec<f64> = table.iter().map(|r| r.iter().sum()).collect();
    let c_tot: Vec<f64> = (0..keep_cols.len())
        .map(|j| table.iter().map(|r| r[j]).sum())
        .collect();
    let n: f64 = r_tot.iter().sum();
    let dof = (table.len() - 1) * (keep_cols.len() - 1);
    let expected: Vec<Vec<f64>> = r_tot
        .iter()
        .map(|ri| c_tot.iter().map(|cj| ri * cj / n).collect())
        .collect();
    let yates = correction && dof == 1;
    let mut stat = 0.0;
    let mut small = 0usize;
    for (o_row, e_row) in table.iter().zip(&expected) {
        for (o, e) in o_row.iter().zip(e_row) {
            if *e < 5.0 {
                small += 1;
            }
            let mut d = (o - e).abs();
            if yates {
                d = (d - 0.5).max(0.0);
            }
            stat += d * d / e;
        }
    }
    let dist = ChiSquared::new(dof as f64).map_err(|e| bad(e.to_string()))?;
    Ok(ChiSquareResult {
        statistic: stat,
        dof,
        p_value: dist.sf(stat),
        share_expected_below_5: small as f64 / (table.len() * keep_cols.len()) as f64,
        expected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    // scipy 1.17.1 chi2_contingency; tests/reference/reference_values.py, tests/reference/values.json
    #[test]
    fn matches_scipy() {
        let v = crate::testref::values();
        for case in v["chi2_contingency"].as_array().unwrap() {
            let table: Vec<Vec<f64>> = serde_json::from_value(case["table"].clone()).unwrap();
            let corr = case["correction"].as_bool().unwrap();
            let r = chi2_contingency(&table, corr).unwrap();
            assert_relative_eq!(
                r.statistic,
                case["statistic"].as_f64().unwrap(),
                max_relative = 1e-9
            );
            assert_relative_eq!(
                r.p_value,
                case["p_value"].as_f64().unwrap(),
                max_relative = 1e-6
            );
            assert_eq!(r.dof as u64, case["dof"].as_u64().unwrap());
        }
    }

    #[test]
    fn empty_rows_dropped_and_degenerate_rejected() {
        let r =
            chi2_contingency(&[vec![10.0, 20.0], vec![0.0, 0.0], vec![30.0, 5.0]], false).unwrap();
        assert_eq!(r.dof, 1);
        assert!(chi2_contingency(&[vec![1.0, 2.0]], false).is_err());
        assert!(chi2_contingency(&[vec![1.0, 0.0], vec![2.0, 0.0]], false).is_err());
        assert!(chi2_contingency(&[vec![-1.0, 2.0], vec![2.0, 1.0]], false).is_err());
    }
}
