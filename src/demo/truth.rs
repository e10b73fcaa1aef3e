//! `truth.json`: what the generator planted (the model's coefficients, the
//! confounder, noise drivers, reasons, the special-cause month), so tests and
//! readers can check what an analysis should recover.

use serde::Serialize;

use super::generate::*;
use super::DemoParams;

/// What the generator planted, as written to `truth.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Truth {
    pub generator: &'static str,
    pub params: DemoParams,
    pub n_revenue_rows: usize,
    pub window: (String, String),
    pub hazard_model: TruthModel,
    pub drivers: Vec<TruthDriver>,
    pub true_effectiveness_kpis: Vec<String>,
    pub confounder: String,
    pub noise: Vec<String>,
    pub correlations: Vec<(String, f64)>,
    pub missing_rates: Vec<(String, f64)>,
    pub churn: TruthChurn,
    pub segments: Vec<TruthSegment>,
    pub reasons: Vec<TruthReason>,
    pub reasons_by_count: Vec<String>,
    pub reasons_by_lost_arr: Vec<String>,
    pub special_cause: TruthSpecial,
    pub monthly_logo_churn: Vec<TruthMonth>,
    /// What the renewals table holds (filled in as it is written).
    pub renewals: super::renewals::TruthRenewals,
}

#[derive(Debug, Clone, Serialize)]
pub struct TruthModel {
    pub formula: &'static str,
    pub weibull_shape: f64,
    pub weibull_scale_months: f64,
    pub days_per_month: f64,
    pub new_account_share: f64,
    pub note: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct TruthDriver {
    pub driver: String,
    pub role: &'static str,
    /// Log hazard ratio per unit.
    pub coef_raw: f64,
    /// Log hazard ratio per standard deviation (population SD over all accounts).
    pub coef_std: f64,
    pub sd: f64,
    pub expected_multivariable_significant: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct TruthChurn {
    pub n_churned: usize,
    pub rate: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TruthSegment {
    pub segment: String,
    pub share: f64,
    pub churn_rate: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TruthReason {
    pub reason: String,
    pub count: usize,
    pub lost_arr: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TruthSpecial {
    pub month: String,
    pub month_index0: usize,
    pub factor: f64,
    pub expected_logo_churn_rate_other_months: f64,
    pub expected_logo_churn_rate_special_month: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TruthMonth {
    pub month: String,
    pub active_at_start: usize,
    pub churned: usize,
    pub rate: f64,
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

pub(super) fn truth(p: &DemoParams, accts: &[Acct], n_rows: usize, billed: &[u32]) -> Truth {
    let n = accts.len() as f64;
    let value = |a: &Acct, k: &str| -> f64 {
        match k {
            "training_quality" => a.tq as f64,
            "product_adoption" => a.adoption_milli as f64 / 1000.0,
            "support_tickets" => a.tickets as f64,
            "onboarding_completed" => a.onboarded as u8 as f64,
            "exec_sponsor" => a.exec as u8 as f64,
            "time_to_value_days" => a.ttv as f64,
            "qbrs_completed" => a.qbrs as f64,
            _ => a.nps as f64,
        }
    };
    let mean_sd = |k: &str| {
        let mean = accts.iter().map(|a| value(a, k)).sum::<f64>() / n;
        let var = accts
            .iter()
            .map(|a| (value(a, k) - mean).powi(2))
            .sum::<f64>()
            / n;
        (mean, var.sqrt())
    };
    let corr = |k1: &str, k2: &str, f: &dyn Fn(f64) -> f64| {
        let xs: Vec<f64> = accts.iter().map(|a| value(a, k1)).collect();
        let ys: Vec<f64> = accts.iter().map(|a| f(value(a, k2))).collect();
        let mx = xs.iter().sum::<f64>() / n;
        let my = ys.iter().sum::<f64>() / n;
        let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
        let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
        let syy: f64 = ys.iter().map(|y| (y - my).powi(2)).sum();
        round(sxy / (sxx * syy).sqrt(), 4)
    };
    let drivers = COEF
        .iter()
        .map(|(k, c, _)| {
            let (_, sd) = mean_sd(k);
            TruthDriver {
                driver: k.to_string(),
                role: match *k {
                    "time_to_value_days" => {
                        "confounder (no direct effect; correlated with training_quality)"
                    }
                    "nps" => "noise (weakly correlated with training_quality only)",
                    "qbrs_completed" => "noise (independent of everything)",
                    "support_tickets" => "harmful driver",
                    _ => "protective driver",
                },
                coef_raw: *c,
                coef_std: round(c * sd, 4),
                sd: round(sd, 4),
                expected_multivariable_significant: *c != 0.0,
            }
        })
        .collect();
    let n_churned = accts.iter().filter(|a| a.destined).count();

    let mut reasons: Vec<TruthReason> = REASONS
        .iter()
        .enumerate()
        .map(|(r, (name, _))| {
            let sel = accts.iter().filter(|a| a.destined && a.reason == Some(r));
            let (count, cents) = sel.fold((0, 0i64), |(c, s), a| (c + 1, s + 12 * a.base_cents));
            TruthReason {
                reason: name.to_string(),
                count,
                lost_arr: cents as f64 / 100.0,
            }
        })
        .collect();
    let (count, cents) = accts
        .iter()
        .filter(|a| a.destined && a.reason.is_none())
        .fold((0, 0i64), |(c, s), a| (c + 1, s + 12 * a.base_cents));
    reasons.push(TruthReason {
        reason: "(not given)".into(),
        count,
        lost_arr: cents as f64 / 100.0,
    });
    let mut by_count: Vec<&TruthReason> = reasons.iter().collect();
    by_count.sort_by(|a, b| b.count.cmp(&a.count).then(a.reason.cmp(&b.reason)));
    let mut by_arr: Vec<&TruthReason> = reasons.iter().collect();
    by_arr.sort_by(|a, b| {
        b.lost_arr
            .total_cmp(&a.lost_arr)
            .then(a.reason.cmp(&b.reason))
    });

    let m = p.months;
    let monthly: Vec<TruthMonth> = (1..m)
        .map(|mm| {
            let churned = accts.iter().filter(|a| a.churn_m == Some(mm)).count();
            let active = billed[mm - 1] as usize;
            TruthMonth {
                month: p.start.plus(mm as i32).to_string(),
                active_at_start: active,
                churned,
                rate: round(churned as f64 / active.max(1) as f64, 6),
            }
        })
        .collect();
    // The expected monthly rate outside the special month: the mean of the
    // other months' observed rates (the hazard falls slowly with tenure, so
    // the book's rate drifts little).
    let others: Vec<f64> = monthly
        .iter()
        .enumerate()
        .filter(|(k, _)| k + 1 != p.special_month)
        .map(|(_, t)| t.rate)
        .collect();
    let base_rate = others.iter().sum::<f64>() / others.len().max(1) as f64;
    let window_end = p.start.plus(m as i32 - 1);
    let segments = (0..3)
        .map(|s| {
            let sel: Vec<&Acct> = accts.iter().filter(|a| a.seg == s).collect();
            TruthSegment {
                segment: SEGMENTS[s].into(),
                share: round(sel.len() as f64 / n, 4),
                churn_rate: round(
                    sel.iter().filter(|a| a.destined).count() as f64 / sel.len().max(1) as f64,
                    4,
                ),
            }
        })
        .collect();
    Truth {
        generator: "churnlab demo-data (tables of shared/peers/gen_data.py, churn times from a Weibull proportional-hazards model)",
        params: p.clone(),
        n_revenue_rows: n_rows,
        window: (p.start.to_string(), window_end.to_string()),
        hazard_model: TruthModel {
            formula: "hazard(t) = h0(t) * exp(sum(coef_raw * (x - centre))) * (special_factor in the special month), h0 Weibull: H0(t) = (t / scale)^shape, t = months of tenure; binaries as 0/1 (true/yes = 1)",
            weibull_shape: WEIBULL_SHAPE,
            weibull_scale_months: WEIBULL_SCALE_MONTHS,
            days_per_month: DAYS_PER_MONTH,
            new_account_share: NEW_SHARE,
            note: "time to churn is drawn from exactly this proportional-hazards model on the observed values (including those later blanked as missing); missingness is MCAR. Accounts are at risk from the first day of the month after their start (of the window's second month for accounts that started before it), to the window's end; churned = churned inside the window. coef_raw are the true log hazard ratios a Cox model should recover; a logistic model of churned-in-window sees the same drivers with the same signs, not these values",
        },
        drivers,
        true_effectiveness_kpis: COEF
            .iter()
            .filter(|(_, c, _)| *c != 0.0)
            .map(|(k, _, _)| k.to_string())
            .collect(),
        confounder: "time_to_value_days".into(),
        noise: vec!["nps".into(), "qbrs_completed".into()],
        correlations: vec![
            (
                "training_quality~time_to_value_days".into(),
                corr("training_quality", "time_to_value_days", &|x| x),
            ),
            (
                "training_quality~log_time_to_value_days".into(),
                corr("training_quality", "time_to_value_days", &|x| x.max(1.0).ln()),
            ),
            ("training_quality~nps".into(), corr("training_quality", "nps", &|x| x)),
        ],
        missing_rates: vec![
            (
                "training_quality".into(),
                round(accts.iter().filter(|a| a.tq_missing).count() as f64 / n, 4),
            ),
            (
                "nps".into(),
                round(accts.iter().filter(|a| a.nps_missing).count() as f64 / n, 4),
            ),
            (
                "cancellation_reason_among_churned".into(),
                round(count as f64 / n_churned.max(1) as f64, 4),
            ),
        ],
        churn: TruthChurn {
            n_churned,
            rate: round(n_churned as f64 / n, 4),
        },
        segments,
        reasons_by_count: by_count.iter().map(|r| r.reason.clone()).collect(),
        reasons_by_lost_arr: by_arr.iter().map(|r| r.reason.clone()).collect(),
        reasons,
        special_cause: TruthSpecial {
            month: p.start.plus(p.special_month as i32).to_string(),
            month_index0: p.special_month,
            factor: p.special_factor,
            expected_logo_churn_rate_other_months: round(base_rate, 6),
            expected_logo_churn_rate_special_month: round(base_rate * p.special_factor, 6),
        },
        monthly_logo_churn: monthly,
        renewals: Default::default(),
    }
}
