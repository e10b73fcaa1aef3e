//! How good predicted probabilities are, before anyone acts on them: the
//! AUC with DeLong's variance (pROC `ci.auc(method = "delong")`), the Brier
//! score (`sklearn.metrics.brier_score_loss`), the logistic recalibration
//! fit (calibration-in-the-large intercept with the predictions' logit as
//! offset, and the calibration slope: statsmodels `GLM(y, [1, logit p])`),
//! the predictions in ten equal-count groups against what happened, and the
//! top-decile lift.

use serde::Serialize;

use super::dist::Z975;
use super::logit::{self, sigmoid, Design, FitOptions};
use super::table2x2::wilson;

/// Predictions are clipped to [EPS, 1 − EPS] before their logit is taken, so
/// a probability of exactly 0 or 1 has a finite offset.
pub const EPS: f64 = 1e-10;

/// The AUC and its DeLong standard error and 95 % interval (AUC ± 1.96 SE,
/// clipped to [0, 1], as pROC).
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Discrimination {
    pub auc: f64,
    pub se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// The logistic recalibration of the predictions: `intercept` is the
/// calibration in the large (a in logit P(y) = a + logit p; 0 when the
/// average risk is right), `slope` is b in logit P(y) = a' + b·logit p
/// (1 when the spread of the risks is right; below 1 they are too extreme).
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Calibration {
    pub intercept: f64,
    pub intercept_se: f64,
    pub slope: f64,
    pub slope_se: f64,
    pub slope_ci_low: f64,
    pub slope_ci_high: f64,
}

/// One group of the calibration plot: its mean predicted risk against the
/// observed share with its Wilson 95 % interval.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct RiskBin {
    pub n: usize,
    pub events: usize,
    pub predicted: f64,
    pub observed: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// Every measure of one set of predictions.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Measures {
    pub n: usize,
    pub events: usize,
    pub mean_predicted: f64,
    pub discrimination: Option<Discrimination>,
    pub brier: f64,
    pub calibration: Option<Calibration>,
    /// Ten equal-count groups in ascending predicted risk.
    pub deciles: Vec<RiskBin>,
    /// The observed rate among the top tenth of predicted risk ÷ the overall rate.
    pub top_decile_lift: Option<f64>,
}

/// 1-based ranks with ties given their average rank, in `idx` order of `x`.
fn midranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && x[order[j]] == x[order[i]] {
            j += 1;
        }
        let avg = (i + 1 + j) as f64 / 2.0;
        for &k in &order[i..j] {
            r[k] = avg;
        }
        i = j;
    }
    r
}

fn sample_var(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)
}

/// The AUC of `p` against `y` (ties count ½) and DeLong's variance from
/// its structural components, computed from midranks (Sun & Xu 2014).
/// `None` without at least two of each outcome.
pub fn delong(p: &[f64], y: &[bool]) -> Option<Discrimination> {
    let pos: Vec<f64> = p
        .iter()
        .zip(y)
        .filter(|(_, &y)| y)
        .map(|(p, _)| *p)
        .collect();
    let neg: Vec<f64> = p
        .iter()
        .zip(y)
        .filter(|(_, &y)| !y)
        .map(|(p, _)| *p)
        .collect();
    let (n1, n0) = (pos.len() as f64, neg.len() as f64);
    if pos.len() < 2 || neg.len() < 2 {
        return None;
    }
    let all: Vec<f64> = pos.iter().chain(&neg).copied().collect();
    let tz = midranks(&all);
    let (tx, ty) = (midranks(&pos), midranks(&neg));
    let v10: Vec<f64> = (0..pos.len()).map(|i| (tz[i] - tx[i]) / n0).collect();
    let v01: Vec<f64> = (0..neg.len())
        .map(|j| 1.0 - (tz[pos.len() + j] - ty[j]) / n1)
        .collect();
    let auc = v10.iter().sum::<f64>() / n1;
    let se = (sample_var(&v10) / n1 + sample_var(&v01) / n0).sqrt();
    Some(Discrimination {
        auc,
        se,
        ci_low: (auc - Z975 * se).max(0.0),
        ci_high: (auc + Z975 * se).min(1.0),
    })
}

/// Mean squared difference between the predictions and the 0/1 outcomes.
pub fn brier(p: &[f64], y: &[bool]) -> f64 {
    let s: f64 = p
        .iter()
        .zip(y)
        .map(|(p, &y)| (p - f64::from(u8::from(y))).powi(2))
        .sum();
    s / p.len() as f64
}

fn logit_of(p: f64) -> f64 {
    let p = p.clamp(EPS, 1.0 - EPS);
    (p / (1.0 - p)).ln()
}

/// The logistic recalibration fit; `None` when it cannot be fitted (one
/// outcome only, or predictions that do not vary).
pub fn calibration(p: &[f64], y: &[bool]) -> Option<Calibration> {
    let n = p.len();
    let off: Vec<f64> = p.iter().map(|&v| logit_of(v)).collect();
    let yf: Vec<f64> = y.iter().map(|&v| f64::from(u8::from(v))).collect();
    let events = yf.iter().sum::<f64>();
    if events == 0.0 || events == n as f64 {
        return None;
    }
    // Calibration in the large: one-parameter Newton with the offset.
    let mut a = 0.0;
    let mut info = 0.0;
    for _ in 0..100 {
        let (mut g, mut h) = (0.0, 0.0);
        for (o, y) in off.iter().zip(&yf) {
            let mu = sigmoid(a + o);
            g += y - mu;
            h += mu * (1.0 - mu);
        }
        info = h;
        if h <= 0.0 {
            return None;
        }
        let step = g / h;
        a += step;
        if step.abs() < 1e-12 {
            break;
        }
    }
    let d = Design {
        n,
        p: 2,
        x: std::iter::repeat(1.0)
            .take(n)
            .chain(off.iter().copied())
            .collect(),
        y: yf,
    };
    let f = logit::fit(
        &d,
        &[0, 1],
        &FitOptions {
            tol: 1e-12,
            ..Default::default()
        },
    )
    .ok()?;
    let se = f.std_errors();
    (f.converged && se[1].is_finite()).then(|| Calibration {
        intercept: a,
        intercept_se: 1.0 / info.sqrt(),
        slope: f.beta[1],
        slope_se: se[1],
        slope_ci_low: f.beta[1] - Z975 * se[1],
        slope_ci_high: f.beta[1] + Z975 * se[1],
    })
}

/// Indices in ascending predicted risk (ties in input order), cut into
/// `k` groups whose sizes differ by at most one, the larger first (numpy's
/// `array_split` of the stable argsort).
fn groups(p: &[f64], k: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let (q, r) = (p.len() / k, p.len() % k);
    let mut out = Vec::with_capacity(k);
    let mut at = 0;
    for g in 0..k {
        let len = q + usize::from(g < r);
        out.push(order[at..at + len].to_vec());
        at += len;
    }
    out
}

/// The predictions in ten equal-count groups against what happened.
pub fn deciles(p: &[f64], y: &[bool]) -> Vec<RiskBin> {
    if p.len() < 10 {
        return Vec::new();
    }
    groups(p, 10)
        .iter()
        .map(|g| {
            let events = g.iter().filter(|&&i| y[i]).count();
            let (lo, hi) = wilson(events as u64, g.len() as u64);
            RiskBin {
                n: g.len(),
                events,
                predicted: g.iter().map(|&i| p[i]).sum::<f64>() / g.len() as f64,
                observed: events as f64 / g.len() as f64,
                ci_low: lo,
                ci_high: hi,
            }
        })
        .collect()
}

/// Every measure of the predictions `p` of the outcomes `y`.
pub fn measures(p: &[f64], y: &[bool]) -> Measures {
    let n = p.len();
    let events = y.iter().filter(|&&v| v).count();
    let deciles = deciles(p, y);
    let rate = events as f64 / n as f64;
    let top_decile_lift = deciles
        .last()
        .filter(|_| events > 0)
        .map(|b| b.observed / rate);
    Measures {
        n,
        events,
        mean_predicted: p.iter().sum::<f64>() / n.max(1) as f64,
        discrimination: delong(p, y),
        brier: if n > 0 { brier(p, y) } else { f64::NAN },
        calibration: calibration(p, y),
        deciles,
        top_decile_lift,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DeLong's AUC is the pairwise one, ties counting ½, and its variance
    /// is the structural components' (checked against the O(n²) formulas).
    #[test]
    fn delong_matches_the_pairwise_definition() {
        let p = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.4, 0.7, 0.05];
        let y = [
            false, false, true, true, true, true, false, false, true, false,
        ];
        let pos: Vec<f64> = (0..10).filter(|&i| y[i]).map(|i| p[i]).collect();
        let neg: Vec<f64> = (0..10).filter(|&i| !y[i]).map(|i| p[i]).collect();
        let psi = |a: f64, b: f64| {
            if a > b {
                1.0
            } else if a == b {
                0.5
            } else {
                0.0
            }
        };
        let v10: Vec<f64> = pos
            .iter()
            .map(|&a| neg.iter().map(|&b| psi(a, b)).sum::<f64>() / neg.len() as f64)
            .collect();
        let v01: Vec<f64> = neg
            .iter()
            .map(|&b| pos.iter().map(|&a| psi(a, b)).sum::<f64>() / pos.len() as f64)
            .collect();
        let auc = v10.iter().sum::<f64>() / pos.len() as f64;
        let var = sample_var(&v10) / pos.len() as f64 + sample_var(&v01) / neg.len() as f64;
        let d = delong(&p, &y).expect("both outcomes");
        assert!((d.auc - auc).abs() < 1e-15, "{} vs {auc}", d.auc);
        assert!((d.se - var.sqrt()).abs() < 1e-15);
        assert!((d.auc - logit::auc(&p, &y.map(|v| f64::from(u8::from(v))))).abs() < 1e-15);
    }

    /// Perfectly calibrated synthetic risks give an intercept near 0 and a
    /// slope near 1; risks squeezed towards the mean give a slope above 1.
    #[test]
    fn recalibration_reads_the_spread() {
        let mut s = 7u64;
        let mut u = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
            ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let p: Vec<f64> = (0..20000).map(|_| 0.02 + 0.9 * u()).collect();
        let y: Vec<bool> = p.iter().map(|&p| u() < p).collect();
        let c = calibration(&p, &y).expect("fit");
        assert!(
            c.intercept.abs() < 0.05 && (c.slope - 1.0).abs() < 0.06,
            "{c:?}"
        );
        let squeezed: Vec<f64> = p.iter().map(|&v| sigmoid(0.5 * logit_of(v))).collect();
        let c2 = calibration(&squeezed, &y).expect("fit");
        assert!(c2.slope > 1.8, "{c2:?}");
    }

    /// Against scikit-learn (AUC, Brier), an independent pairwise DeLong and
    /// statsmodels' recalibration GLMs, on held-out scores of the Orange
    /// telecom data (tests/reference/predictive_reference.py), with ties.
    #[test]
    fn matches_sklearn_statsmodels_and_pairwise_delong() {
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/reference/predictive.json"))
                .expect("json");
        let csv = include_str!("../../tests/reference/cases/orange_scores.csv");
        let (mut p, mut y) = (Vec::new(), Vec::new());
        for line in csv.lines().skip(1) {
            let (a, b) = line.split_once(',').expect("two fields");
            y.push(a == "1");
            p.push(b.parse::<f64>().expect("number"));
        }
        let f = |k: &str| v[k].as_f64().expect(k);
        let close = |a: f64, b: f64, what: &str| {
            assert!(
                (a - b).abs() <= 1e-9 * b.abs().max(1e-300),
                "{what}: {a} vs {b}"
            );
        };
        let m = measures(&p, &y);
        assert_eq!(m.n as f64, f("n"));
        assert_eq!(m.events as f64, f("events"));
        let d = m.discrimination.expect("auc");
        close(d.auc, f("auc_sklearn"), "auc");
        close(d.se, f("delong_se"), "delong se");
        close(d.ci_low, f("ci_low"), "ci low");
        close(d.ci_high, f("ci_high"), "ci high");
        close(m.brier, f("brier"), "brier");
        let c = m.calibration.expect("calibration");
        close(c.intercept, f("calibration_intercept"), "citl");
        close(c.intercept_se, f("calibration_intercept_se"), "citl se");
        close(c.slope, f("calibration_slope"), "slope");
        close(c.slope_se, f("calibration_slope_se"), "slope se");
        close(
            m.top_decile_lift.expect("lift"),
            f("top_decile_lift"),
            "lift",
        );
        for (b, r) in m
            .deciles
            .iter()
            .zip(v["deciles"].as_array().expect("deciles"))
        {
            assert_eq!(b.n as f64, r["n"].as_f64().expect("n"));
            assert_eq!(b.events as f64, r["events"].as_f64().expect("events"));
            close(
                b.predicted,
                r["predicted"].as_f64().expect("p"),
                "decile predicted",
            );
        }
    }

    #[test]
    fn degenerate_inputs_give_none_not_a_panic() {
        assert!(delong(&[0.2, 0.3], &[true, true]).is_none());
        assert!(calibration(&[0.2, 0.3], &[false, false]).is_none());
        let m = measures(&[], &[]);
        assert_eq!(m.n, 0);
        assert!(m.deciles.is_empty() && m.discrimination.is_none());
        // Zero and one predictions keep a finite offset.
        let c = calibration(&[0.0, 1.0, 0.5, 0.5], &[false, true, true, false]);
        assert!(c.map_or(true, |c| c.slope.is_finite()));
    }
}
