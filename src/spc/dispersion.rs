//! The P- and U-chart diagnostic: is the variation between subgroups what a
//! binomial (p) or Poisson (u) process produces, or more (overdispersion) or
//! less (underdispersion)? Two measures on the standardised points
//! zᵢ = (yᵢ − ȳ) / σᵢ of the baseline: Laney's σz, the ratio of observed to
//! expected variation from the moving ranges (MR̄ / 1.128; Laney 2002), and
//! Pearson's dispersion test, X² = Σ zᵢ² on k − 1 degrees of freedom
//! (McCullagh & Nelder 1989, §4.5). The recommendation follows the test:
//! the Laney chart (p′, u′) when it rejects either way at 5 %, else the
//! plain chart.

use serde::Serialize;

use super::Kind;
use crate::stats::dist::chi2_sf;

/// The diagnostic of one phase of a p, p′, u or u′ chart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Dispersion {
    /// Laney's σz: observed ÷ expected variation (1 = as the model expects).
    pub ratio: f64,
    /// Pearson's X² = Σ z² over the baseline points.
    pub pearson: f64,
    pub df: usize,
    /// X² / df, the dispersion factor.
    pub factor: f64,
    /// P(X² this large) under the binomial or Poisson model.
    pub p_over: f64,
    /// P(X² this small) under the model.
    pub p_under: f64,
    /// The chart the diagnostic recommends.
    pub recommended: Kind,
}

impl Dispersion {
    /// The diagnostic of standardised points `z` (at least 2) on a chart of
    /// `kind` (p, p′, u or u′).
    pub fn of(z: &[f64], kind: Kind) -> Option<Self> {
        let (plain, laney) = match kind {
            Kind::P | Kind::LaneyP => (Kind::P, Kind::LaneyP),
            Kind::U | Kind::LaneyU => (Kind::U, Kind::LaneyU),
            _ => return None,
        };
        if z.len() < 2 || z.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let ratio = super::limits::sigma_z(z);
        let pearson: f64 = z.iter().map(|v| v * v).sum();
        let df = z.len() - 1;
        let p_over = chi2_sf(pearson, df as f64);
        let p_under = 1.0 - p_over;
        Some(Dispersion {
            ratio,
            pearson,
            df,
            factor: pearson / df as f64,
            p_over,
            p_under,
            recommended: if p_over < 0.05 || p_under < 0.05 {
                laney
            } else {
                plain
            },
        })
    }

    /// Over-, under- or as expected, in words.
    pub fn verdict(&self) -> &'static str {
        if self.p_over < 0.05 {
            "overdispersed"
        } else if self.p_under < 0.05 {
            "underdispersed"
        } else {
            "as the model expects"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// z = (1, −1, 2, −2): MR̄ = (2 + 3 + 4) / 3 = 3, σz = 3 / 1.128;
    /// X² = 1 + 1 + 4 + 4 = 10 on 3 df, P(χ²₃ > 10) = 0.018566 (scipy
    /// `chi2.sf(10, 3)`), so the Laney chart is recommended.
    #[test]
    fn hand_computed() {
        let d = Dispersion::of(&[1.0, -1.0, 2.0, -2.0], Kind::P).unwrap();
        assert!((d.ratio - 3.0 / 1.128).abs() < 1e-12);
        assert_eq!((d.pearson, d.df), (10.0, 3));
        assert!((d.p_over - 0.018566135463043).abs() < 1e-9, "{}", d.p_over);
        assert_eq!(d.recommended, Kind::LaneyP);
        assert_eq!(d.verdict(), "overdispersed");
        let u = Dispersion::of(&[0.5, -0.4, 0.8, -1.1, 0.2, 0.9, -0.7], Kind::U).unwrap();
        assert_eq!(u.recommended, Kind::U);
        assert!(Dispersion::of(&[1.0], Kind::P).is_none());
        assert!(Dispersion::of(&[1.0, 2.0], Kind::Xmr).is_none());
    }
}
