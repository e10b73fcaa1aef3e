//! Multiple-testing correction across drivers (`statsmodels
//! multipletests`): Benjamini–Hochberg, Holm, Bonferroni or none.
//! NaN p-values (tests that could not run) stay NaN and do not count.

use serde::{Deserialize, Serialize};

/// The correction applied to a family of p-values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Correction {
    /// Benjamini–Hochberg false discovery rate.
    #[default]
    Bh,
    /// Holm's step-down family-wise error rate.
    Holm,
    /// Bonferroni family-wise error rate.
    Bonferroni,
    /// No correction: q = p.
    None,
}

impl Correction {
    pub fn describe(self) -> &'static str {
        match self {
            Correction::Bh => "Benjamini–Hochberg (false discovery rate)",
            Correction::Holm => "Holm (family-wise error rate)",
            Correction::Bonferroni => "Bonferroni (family-wise error rate)",
            Correction::None => "none",
        }
    }
}

/// Adjusted p-values ("q") in the input order.
pub fn adjust(p: &[f64], method: Correction) -> Vec<f64> {
    let idx: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    let m = idx.len() as f64;
    let mut q = vec![f64::NAN; p.len()];
    if idx.is_empty() {
        return q;
    }
    match method {
        Correction::None => {
            for &i in &idx {
                q[i] = p[i];
            }
        }
        Correction::Bonferroni => {
            for &i in &idx {
                q[i] = (p[i] * m).min(1.0);
            }
        }
        Correction::Holm => {
            let mut order = idx.clone();
            order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
            let mut running: f64 = 0.0;
            for (k, &i) in order.iter().enumerate() {
                running = running.max((p[i] * (m - k as f64)).min(1.0));
                q[i] = running;
            }
        }
        Correction::Bh => {
            let mut order = idx.clone();
            order.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
            let mut running: f64 = 1.0;
            for (k, &i) in order.iter().enumerate() {
                let rank = m - k as f64;
                running = running.min(p[i] * m / rank);
                q[i] = running.min(1.0);
            }
        }
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    // statsmodels 0.15.0 multipletests: tests/reference/reference_values.py
    #[test]
    fn matches_statsmodels() {
        let v = crate::testref::values();
        let mt = &v["multipletests"];
        let p: Vec<f64> = serde_json::from_value(mt["p"].clone()).unwrap();
        for (name, method) in [
            ("bh", Correction::Bh),
            ("holm", Correction::Holm),
            ("bonferroni", Correction::Bonferroni),
        ] {
            let want: Vec<f64> = serde_json::from_value(mt[name].clone()).unwrap();
            for (g, w) in adjust(&p, method).iter().zip(&want) {
                assert!((g - w).abs() <= 1e-12 * w.abs(), "{name}: {g} vs {w}");
            }
        }
    }

    #[test]
    fn textbook_values() {
        let p = [0.01, 0.04, 0.03, f64::NAN, 0.005];
        let bh = adjust(&p, Correction::Bh);
        // sorted 0.005,0.01,0.03,0.04 (m=4): 0.02, 0.02, 0.04, 0.04
        assert_eq!(bh[4], 0.02);
        assert_eq!(bh[0], 0.02);
        assert_eq!(bh[2], 0.04);
        assert_eq!(bh[1], 0.04);
        assert!(bh[3].is_nan());
        let holm = adjust(&p, Correction::Holm);
        // 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1 -> max 0.06
        assert_eq!(holm[4], 0.02);
        assert!((holm[0] - 0.03).abs() < 1e-15);
        assert!((holm[2] - 0.06).abs() < 1e-15);
        assert!((holm[1] - 0.06).abs() < 1e-15);
        assert_eq!(adjust(&p, Correction::Bonferroni)[1], 0.16);
        assert_eq!(adjust(&p, Correction::None)[1], 0.04);
    }
}
