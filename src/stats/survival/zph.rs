//! The test of proportional hazards on scaled Schoenfeld residuals, as
//! lifelines' `proportional_hazard_test` (and R's `cox.zph` before
//! survival 3.0, whose global test this keeps): for each covariate, the
//! score test of a slope of its residuals on a transform g of time,
//! Tⱼ = D (V u)ⱼ² / (Vⱼⱼ Σ (g − ḡ)²) with u = Σ (g − ḡ) r over events,
//! χ² on 1 df; globally uᵀ V u · D / Σ (g − ḡ)² on p df.

use serde::{Deserialize, Serialize};

use super::cox::{event_times, CoxData, CoxFit, EventTime, Prepared};
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
    Some(assemble(&u, d, ss, fit, transform))
}

/// The events of one exit time, as the test needs them: how many, and per
/// column of the fit Σ x over them and Σ pos · x, where pos = 1..d is each
/// event's place among them (an engine: by account id).
#[derive(Debug, Clone)]
pub struct EventSums {
    pub time: f64,
    pub d: usize,
    pub x: Vec<f64>,
    pub pos_x: Vec<f64>,
}

/// The test from the event times' sums (ascending, one stratum): the rank
/// of an event is the events before its time plus its place among the
/// time's own; `km` is 1 − KM(t) of the sample (the Km transform).
pub fn ph_of_sums(
    sums: &[EventSums],
    means: &[EventTime],
    fit: &CoxFit,
    transform: TimeTransform,
    km: impl Fn(f64) -> f64,
) -> Option<PhTest> {
    let p = fit.cols.len();
    let d: usize = sums.iter().map(|e| e.d).sum();
    if d < 2 || p == 0 {
        return None;
    }
    let df = d as f64;
    let (gbar, ss) = match transform {
        TimeTransform::Rank => {
            let g: Vec<f64> = (1..=d).map(|k| k as f64).collect();
            let gbar = g.iter().sum::<f64>() / df;
            (gbar, g.iter().map(|v| (v - gbar).powi(2)).sum::<f64>())
        }
        TimeTransform::Km => {
            let gbar = sums.iter().map(|e| e.d as f64 * km(e.time)).sum::<f64>() / df;
            let ss = sums
                .iter()
                .map(|e| e.d as f64 * (km(e.time) - gbar).powi(2))
                .sum::<f64>();
            (gbar, ss)
        }
    };
    if ss <= 0.0 {
        return None;
    }
    let mut u = vec![0.0; p];
    let mut before = 0.0;
    for e in sums.iter().filter(|e| e.d > 0) {
        let Some(m) = means.iter().find(|t| t.time == e.time) else {
            continue;
        };
        let n = e.d as f64;
        for (a, ua) in u.iter_mut().enumerate() {
            let centred = e.x[a] - n * m.mean[a];
            *ua += match transform {
                // Σ (before + pos − ḡ)(x − x̄) over the time's events.
                TimeTransform::Rank => {
                    (before - gbar) * centred + e.pos_x[a] - m.mean[a] * n * (n + 1.0) / 2.0
                }
                TimeTransform::Km => (km(e.time) - gbar) * centred,
            };
        }
        before += n;
    }
    Some(assemble(&u, d, ss, fit, transform))
}

/// The per-term and global statistics from u = Σ (g − ḡ) r over the `d`
/// events and ss = Σ (g − ḡ)².
fn assemble(u: &[f64], d: usize, ss: f64, fit: &CoxFit, transform: TimeTransform) -> PhTest {
    let p = u.len();
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
    PhTest {
        transform,
        terms,
        global,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::survival::cox::{fit, CoxParams};
    use crate::stats::survival::Subjects;

    /// The test from per-time sums (events placed in row order within a
    /// time) is the per-event one, on both transforms, with ties and
    /// delayed entry.
    #[test]
    fn per_time_sums_give_the_per_event_test() {
        let n = 300;
        let mut seed = 5u64;
        let mut next = |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let x: Vec<Vec<f64>> = (0..2)
            .map(|_| (0..n).map(|_| next(100) as f64 / 25.0).collect())
            .collect();
        let exit: Vec<f64> = (0..n)
            .map(|i| 1.0 + next(12) as f64 + (x[0][i] * 2.0).floor())
            .collect();
        let entry: Vec<f64> = exit.iter().map(|&t| next(t as u64) as f64 * 0.5).collect();
        let event: Vec<bool> = (0..n).map(|_| next(3) > 0).collect();
        let s = Subjects {
            entry: Some(&entry),
            exit: &exit,
            event: &event,
        };
        let data = CoxData {
            subjects: s,
            columns: x.iter().map(|c| c.as_slice()).collect(),
            strata: None,
        };
        let pr = Prepared::new(&data);
        let f = fit(&pr, &[0, 1], &CoxParams::default()).expect("fit");
        let means = event_times(&pr, &f);
        let mut ts: Vec<f64> = (0..n).filter(|&i| event[i]).map(|i| exit[i]).collect();
        ts.sort_by(f64::total_cmp);
        ts.dedup();
        let sums: Vec<EventSums> = ts
            .iter()
            .map(|&t| {
                let mut e = EventSums {
                    time: t,
                    d: 0,
                    x: vec![0.0; 2],
                    pos_x: vec![0.0; 2],
                };
                for i in (0..n).filter(|&i| event[i] && exit[i] == t) {
                    e.d += 1;
                    for (a, col) in x.iter().enumerate() {
                        e.x[a] += col[i];
                        e.pos_x[a] += e.d as f64 * col[i];
                    }
                }
                e
            })
            .collect();
        let all: Vec<usize> = (0..n).collect();
        let km = kaplan_meier(&s, &all, ConfType::LogLog);
        let g = |t: f64| 1.0 - km.at(t).map_or(0.0, |p| p.survival);
        for transform in [TimeTransform::Rank, TimeTransform::Km] {
            let a = ph_test(&pr, &data, &f, transform).expect("test");
            let b = ph_of_sums(&sums, &means, &f, transform, g).expect("sums");
            for (u, v) in a.terms.iter().zip(&b.terms) {
                let tol = 1e-9 * u.statistic.abs().max(1.0);
                assert!((u.statistic - v.statistic).abs() < tol, "{transform:?}");
                assert!((u.slope - v.slope).abs() < 1e-9 * u.slope.abs().max(1e-3));
            }
            let (ga, gb) = (a.global.unwrap(), b.global.unwrap());
            assert!((ga.statistic - gb.statistic).abs() < 1e-9 * ga.statistic.max(1.0));
        }
    }
}
