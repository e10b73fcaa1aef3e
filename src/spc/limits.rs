//! The limits of every chart kind: each point's plotted statistic, the
//! centre and σ of a phase from its baseline points (Laney's σz for p′ and
//! u′ from the moving range of the standardised points, Laney 2002; the
//! median for a run chart), and the 3σ limits per point; dispersion charts
//! from the ASTM E2587 constants.

use super::constants::{c4, d2, d3};
use super::{Kind, Series, Subgroup};

/// Per-point plotted statistic and subgroup size.
pub(super) struct Prepared {
    pub(super) value: Vec<f64>,
    pub(super) size: Vec<f64>,
    /// R or S per subgroup (X̄ charts), MR for XmR.
    pub(super) spread: Vec<f64>,
}

pub(super) fn prepare(s: &Series, kind: Kind) -> Prepared {
    match kind {
        Kind::XbarR | Kind::XbarS => {
            let g: Vec<Subgroup> = match (&s.subgroups, &s.groups) {
                (Some(g), _) => g.clone(),
                (None, Some(g)) => g.iter().map(|obs| Subgroup::of(obs)).collect(),
                (None, None) => Vec::new(),
            };
            Prepared {
                value: g.iter().map(|g| g.mean).collect(),
                size: g.iter().map(|g| g.n).collect(),
                spread: g
                    .iter()
                    .map(|g| if kind == Kind::XbarR { g.range } else { g.sd })
                    .collect(),
            }
        }
        Kind::Xmr => {
            let v = &s.values;
            let mut spread = vec![f64::NAN];
            spread.extend(v.windows(2).map(|w| (w[1] - w[0]).abs()));
            Prepared {
                value: v.clone(),
                size: vec![1.0; v.len()],
                spread,
            }
        }
        _ => {
            let size = s.sizes.clone().unwrap_or_else(|| vec![1.0; s.values.len()]);
            let ratio = matches!(kind, Kind::P | Kind::LaneyP | Kind::U | Kind::LaneyU)
                || (kind == Kind::Run && s.sizes.is_some());
            let value = if ratio {
                s.values.iter().zip(&size).map(|(x, n)| x / n).collect()
            } else {
                s.values.clone()
            };
            Prepared {
                value,
                size,
                spread: Vec::new(),
            }
        }
    }
}

/// Centre and σ estimated from the points `idx` of one phase.
#[derive(Debug, Clone, Copy)]
pub(super) struct Est {
    pub(super) center: f64,
    pub(super) sigma: f64,
    pub(super) sigma_z: Option<f64>,
}

pub(super) fn estimate(kind: Kind, s: &Series, pr: &Prepared, idx: &[usize]) -> Est {
    let k = idx.len() as f64;
    match kind {
        Kind::P | Kind::Np | Kind::LaneyP => {
            let x: f64 = idx.iter().map(|&i| s.values[i]).sum();
            let n: f64 = idx.iter().map(|&i| pr.size[i]).sum();
            let p = x / n;
            let sigma_z = (kind == Kind::LaneyP).then(|| {
                let z: Vec<f64> = idx
                    .iter()
                    .map(|&i| (pr.value[i] - p) / (p * (1.0 - p) / pr.size[i]).sqrt())
                    .collect();
                sigma_z(&z)
            });
            Est {
                center: if kind == Kind::Np {
                    p * pr.size[idx[0]]
                } else {
                    p
                },
                sigma: (p * (1.0 - p)).sqrt(),
                sigma_z,
            }
        }
        Kind::C => {
            let c = idx.iter().map(|&i| pr.value[i]).sum::<f64>() / k;
            Est {
                center: c,
                sigma: c.sqrt(),
                sigma_z: None,
            }
        }
        Kind::U | Kind::LaneyU => {
            let x: f64 = idx.iter().map(|&i| s.values[i]).sum();
            let n: f64 = idx.iter().map(|&i| pr.size[i]).sum();
            let u = x / n;
            let sigma_z = (kind == Kind::LaneyU).then(|| {
                let z: Vec<f64> = idx
                    .iter()
                    .map(|&i| (pr.value[i] - u) / (u / pr.size[i]).sqrt())
                    .collect();
                sigma_z(&z)
            });
            Est {
                center: u,
                sigma: u.sqrt(),
                sigma_z,
            }
        }
        Kind::Run => {
            let v: Vec<f64> = idx.iter().map(|&i| pr.value[i]).collect();
            Est {
                center: super::runs::median(&v),
                sigma: f64::NAN,
                sigma_z: None,
            }
        }
        Kind::Xmr | Kind::R | Kind::S | Kind::Mr => {
            let m = idx.iter().map(|&i| pr.value[i]).sum::<f64>() / k;
            // Moving ranges between consecutive points of the set.
            let mr: Vec<f64> = idx
                .windows(2)
                .map(|w| (pr.value[w[1]] - pr.value[w[0]]).abs())
                .collect();
            let mrbar = mr.iter().sum::<f64>() / mr.len().max(1) as f64;
            Est {
                center: m,
                sigma: mrbar / d2(2),
                sigma_z: None,
            }
        }
        Kind::XbarR | Kind::XbarS => {
            let n: f64 = idx.iter().map(|&i| pr.size[i]).sum();
            let m = idx.iter().map(|&i| pr.value[i] * pr.size[i]).sum::<f64>() / n;
            let sigma = idx
                .iter()
                .map(|&i| {
                    let ni = pr.size[i] as usize;
                    if kind == Kind::XbarR {
                        pr.spread[i] / d2(ni)
                    } else {
                        pr.spread[i] / c4(ni)
                    }
                })
                .sum::<f64>()
                / k;
            Est {
                center: m,
                sigma,
                sigma_z: None,
            }
        }
    }
}

/// (centre, lcl, ucl, σ of the point) for point `i` under `e`.
pub(super) fn limits(kind: Kind, e: &Est, size: f64) -> (f64, f64, f64, f64) {
    let (c, sd) = match kind {
        Kind::P => (e.center, e.sigma / size.sqrt()),
        Kind::LaneyP => (e.center, e.sigma / size.sqrt() * e.sigma_z.unwrap_or(1.0)),
        Kind::Np => (e.center, e.sigma * size.sqrt()),
        Kind::C => (e.center, e.sigma),
        Kind::U => (e.center, e.sigma / size.sqrt()),
        Kind::LaneyU => (e.center, e.sigma / size.sqrt() * e.sigma_z.unwrap_or(1.0)),
        // No σ: the run chart's limits stay NaN (none drawn).
        Kind::Run => (e.center, f64::NAN),
        // Dispersion kinds never reach here (`check` refuses them).
        Kind::Xmr | Kind::R | Kind::S | Kind::Mr => (e.center, e.sigma),
        Kind::XbarR | Kind::XbarS => (e.center, e.sigma / size.sqrt()),
    };
    let mut lcl = c - 3.0 * sd;
    let mut ucl = c + 3.0 * sd;
    if kind.attribute() {
        lcl = lcl.max(0.0);
    }
    if matches!(kind, Kind::P | Kind::LaneyP) {
        ucl = ucl.min(1.0);
    }
    if kind == Kind::Np {
        ucl = ucl.min(size);
    }
    (c, lcl, ucl, sd)
}

/// Laney's σz of standardised points: their average moving range ÷ d2(2)
/// (1.128), the between-subgroup variation in units of the model's σ. Used
/// by p′ and u′ and by the dispersion diagnostic; needs at least 2 points.
pub(super) fn sigma_z(z: &[f64]) -> f64 {
    let mr = z.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f64>() / (z.len() - 1) as f64;
    mr / d2(2)
}

/// A point's z-score against the binomial (p) or Poisson (u) σ of its
/// subgroup, without Laney's σz: what the dispersion diagnostic reads.
pub(super) fn plain_z(kind: Kind, e: &Est, value: f64, size: f64) -> f64 {
    let plain = match kind {
        Kind::LaneyP => Kind::P,
        Kind::LaneyU => Kind::U,
        k => k,
    };
    let (c, _, _, sd) = limits(plain, e, size);
    (value - c) / sd
}

/// Limits of a dispersion chart (R, S or MR) at a subgroup of size `n`
/// under process σ: centre, lcl, ucl.
pub(super) fn dispersion_limits(kind: Kind, sigma: f64, n: usize) -> (f64, f64, f64) {
    match kind {
        Kind::XbarS => {
            let c = c4(n);
            let w = 3.0 * sigma * (1.0 - c * c).sqrt();
            (c * sigma, (c * sigma - w).max(0.0), c * sigma + w)
        }
        // R (and MR = R of 2)
        _ => {
            let (a, b) = (d2(n), d3(n));
            (
                a * sigma,
                ((a - 3.0 * b) * sigma).max(0.0),
                (a + 3.0 * b) * sigma,
            )
        }
    }
}
