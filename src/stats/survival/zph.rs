//! The test of proportional hazards on scaled Schoenfeld residuals, as
//! lifelines' `proportional_hazard_test` (and R's `cox.zph` before
//! survival 3.0, whose global test this keeps): for each covariate, the
//! score test of a slope of its residuals on a transform g of time,
//! Tⱼ = D (V u)ⱼ² / (Vⱼⱼ Σ (g − ḡ)²) with u = Σ (g − ḡ) r over events,
//! χ² on 1 df; globally uᵀ V u · D / Σ (g − ḡ)² on p df.

use serde::{Deserialize, Serialize};

use super::cox::{event_times, CoxData, CoxFit, Prepared};
use super::km::{kaplan_meier, ConfType};
use super::order_by_exit;
use crate::stats::dist::chi2_sf;

/// The transform of event time the residuals are regressed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TimeTransform {
    /// The rank of the event among all events (lifelines' default).
    #[default]
    Rank,
    /// 1 − KM(t) (R's `cox.zph` default).
    Km,
}

impl TimeTransform {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeTransform::Rank => "rank",
            TimeTransform::Km => "km",
        }
    }
}

/// One covariate's test.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PhTerm {
    /// Index of the column in the fit's `cols` order.
    pub index: usize,
    /// Slope of the scaled residuals on the transformed time: β(t) drifts by
    /// this much per unit of g, so its sign against β's says fade or grow.
    pub slope: f64,
    pub statistic: f64,
    pub p_value: f64,
}

/// The global test.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PhGlobal {
    pub statistic: f64,
    pub df: usize,
    pub p_value: f64,
}

/// Per-term and global tests on one transform.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PhTest {
    pub transform: TimeTransform,
    pub terms: Vec<PhTerm>,
    pub global: Option<PhGlobal>,
}

/// Runs the test for a fitted model. `None` with fewer than two events.
pub fn ph_test(
    pr: &Prepared,
    data: &CoxData,
    fit: &CoxFit,
    transform: TimeTransform,
) -> Option<PhTest> {
    let s = &data.subjects;
    let p = fit.cols.len();
    let times = event_times(pr, fit);
    let key = |st: u32, t: f64| (st, t.to_bits());
    let index: std::collections::HashMap<(u32, u64), usize> = times
        .iter()
        .enumerate()
        .map(|(k, e)| (key(e.stratum, e.time), k))
        .collect();
    // Events in lifelines' order: by exit, censored first, then row.
    let order = order_by_exit(s, 0..s.len());
    let events: Vec<usize> = order.into_iter().filter(|&i| s.event[i]).collect();
    let d = events.len();
    if d < 2 || p == 0 {
        return None;
    }
    let g: Vec<f64> = match transform {
        TimeTransform::Rank => (1..=d).map(|k| k as f64).collect(),
        TimeTransform::Km => {
            let all: Vec<usize> = (0..s.len()).collect();
            let km = kaplan_meier(s, &all, ConfType::LogLog);
            events
                .iter()
                .map(|&i| 1.0 - km.at(s.exit[i]).map_or(0.0, |x| x.survival))
                .collect()
        }
    };
    let gbar = g.iter().sum::<f64>() / d as f64;
    let ss: f64 = g.iter().map(|v| (v - gbar).powi(2)).sum();
    if ss <= 0.0 {
        return None;
    }
    let mut u = vec![0.0; p];
    for (&i, gi) in events.iter().zip(&g) {
        let st = data.strata.map_or(0, |x| x[i]);
        let Some(&k) = index.get(&key(st, s.exit[i])) else {
            continue;
        };
        let mean = &times[k].mean;
        for a in 0..p {
            u[a] += (gi - gbar) * (data.columns[fit.cols[a]][i] - mean[a]);
        }
    }
    let v = &fit.cov;
    let vu: Vec<f64> = (0..p)
        .map(|a| (0..p).map(|b| v[[a, b]] * u[b]).sum())
        .collect();
    let df = d as f64;
    let terms = (0..p)
        .map(|a| {
            let t = df * vu[a] * vu[a] / (v[[a, a]] * ss);
            PhTerm {
                index: a,
                slope: df * vu[a] / ss,
                statistic: t,
                p_value: chi2_sf(t, 1.0),
            }
        })
        .collect();
    let global = (p > 1).then(|| {
        let t = df * u.iter().zip(&vu).map(|(a, b)| a * b).sum::<f64>() / ss;
        PhGlobal {
            statistic: t,
            df: p,
            p_value: chi2_sf(t, p as f64),
        }
    });
    Some(PhTest {
        transform,
        terms,
        global,
    })
}
