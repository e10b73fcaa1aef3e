//! The driver section of `report.html`: the univariate screening, the
//! multivariable model with its fit, the forest plot and the per-driver LR
//! tests with their verdicts.

use serde::Serialize;

use super::{heads, Cell, Figure, Table};
use crate::format::{p_is, pvalue, sig, thousands};
use crate::report::charts::forest::ForestChart;
use crate::results::Results;
use crate::stats::logit::Method;

#[derive(Debug, Clone, Serialize)]
pub(super) struct DriversView {
    intro: String,
    univariate: Table,
    model_fit: Vec<String>,
    model: Option<Table>,
    model_notes: Vec<String>,
    forest: Option<Figure>,
    tests: Table,
    confounding: Vec<String>,
    warnings: Vec<String>,
}

pub(super) fn drivers_view(
    r: &Results,
    figure: &dyn Fn(&str, String) -> Option<Figure>,
) -> DriversView {
    let d = &r.drivers;
    let intro = format!(
        "Each candidate driver is first tested on its own (churned against retained accounts), with q-values corrected for testing several drivers ({}). A driver can look strong on its own only because it travels with another one, so all drivers then enter one logistic regression together; the likelihood-ratio test of dropping each driver says whether it adds anything once the others are known.",
        d.correction.describe()
    );
    let univariate = Table {
        caption: format!("Univariate screening (significant: q < {})", d.alpha),
        heads: heads(&[
            ("driver", false),
            ("kind", false),
            ("test", false),
            ("statistic", true),
            ("p", true),
            ("q", true),
            ("effect size", true),
            ("churned", true),
            ("retained", true),
            ("n", true),
            ("missing", true),
        ]),
        rows: d
            .univariate
            .iter()
            .map(|u| {
                let q = Cell::num(pvalue(u.q_value), u.q_value);
                vec![
                    Cell::text(u.label.clone()).with_tip(u.driver.clone()),
                    Cell::text(u.kind.as_str()),
                    Cell::text(u.test.clone()),
                    Cell::num(sig(u.statistic), u.statistic),
                    Cell::num(pvalue(u.p_value), u.p_value),
                    if u.q_value < d.alpha {
                        q.with_class("num strong")
                    } else {
                        q
                    },
                    Cell::num(sig(u.effect_size), u.effect_size).with_tip(u.effect_measure.clone()),
                    Cell::opt(u.mean_churned, sig).with_tip("mean among churned accounts"),
                    Cell::opt(u.mean_retained, sig).with_tip("mean among retained accounts"),
                    Cell::num(thousands(u.n), u.n as f64),
                    Cell::num(thousands(u.n_missing), u.n_missing as f64),
                ]
            })
            .collect(),
    };
    let mut model_fit = Vec::new();
    let mut model_notes = Vec::new();
    let model = d.model.as_ref().map(|m| {
        model_fit.push(format!(
            "{}: {} accounts with every driver present ({} left out for a missing value), {} churned; {}.",
            match m.method {
                Method::Newton => "Logistic regression, maximum likelihood",
                Method::Firth => "Logistic regression, Firth's bias-reduced fit (the data separate)",
            },
            thousands(m.n),
            thousands(m.n_dropped_missing),
            thousands(m.events),
            if m.converged {
                format!("converged in {} iterations", m.iterations)
            } else {
                "did NOT converge".to_string()
            }
        ));
        model_fit.push(format!(
            "Log-likelihood {:.2} (null {:.2}); McFadden pseudo-R² {:.4}; LR chi-square {:.1} on {} df, p {}; AIC {:.1}; BIC {:.1}; AUC {:.3}.",
            m.log_likelihood,
            m.ll_null,
            m.pseudo_r2,
            m.llr,
            m.llr_df,
            p_is(m.llr_p_value),
            m.aic,
            m.bic,
            m.auc
        ));
        for t in &m.dropped_terms {
            model_notes.push(format!("Dropped {}: {}", t.term, t.reason));
        }
        if let Some(s) = &m.separation {
            model_notes.push(format!("Separation ({}): {}", s.drivers.join(", "), s.message));
        }
        Table {
            caption: "Coefficients (log-odds of churn), odds ratios and average marginal effects".into(),
            heads: heads(&[
                ("term", false),
                ("coef", true),
                ("std err", true),
                ("z", true),
                ("p", true),
                ("95 % CI", true),
                ("odds ratio", true),
                ("OR 95 % CI", true),
                ("AME pp", true),
                ("AME per SD pp", true),
                ("VIF", true),
            ]),
            rows: m
                .coefficients
                .iter()
                .map(|c| {
                    vec![
                        Cell::text(c.term.clone()),
                        Cell::num(format!("{:.4}", c.estimate), c.estimate),
                        Cell::num(format!("{:.4}", c.std_error), c.std_error),
                        Cell::num(format!("{:.2}", c.z), c.z),
                        Cell::num(pvalue(c.p_value), c.p_value),
                        Cell::num(format!("[{:.3}, {:.3}]", c.ci_low, c.ci_high), c.ci_low),
                        Cell::num(format!("{:.3}", c.odds_ratio), c.odds_ratio),
                        Cell::num(format!("[{:.3}, {:.3}]", c.or_ci_low, c.or_ci_high), c.or_ci_low),
                        Cell::opt(c.ame_pp, |x| format!("{x:+.2}")),
                        Cell::opt(c.ame_per_sd_pp, |x| format!("{x:+.2}")),
                        Cell::opt(c.vif, |x| format!("{x:.2}")),
                    ]
                })
                .collect(),
        }
    });
    let tests = Table {
        caption: "Does each driver add anything once the others are known? (likelihood-ratio test of dropping it)".into(),
        heads: heads(&[
            ("driver", false),
            ("LR chi²", true),
            ("df", true),
            ("p", true),
            ("q", true),
            ("AME pp", true),
            ("AME per SD pp", true),
            ("verdict", false),
        ]),
        rows: d
            .drivers
            .iter()
            .map(|e| {
                let v = Cell::text(e.verdict.describe(e.note.as_deref()));
                vec![
                    Cell::text(e.label.clone()).with_tip(e.driver.clone()),
                    Cell::opt(e.lr_statistic, |x| format!("{x:.2}")),
                    Cell::opt(e.df.map(|x| x as f64), |x| format!("{x:.0}")),
                    Cell::opt(e.p_value, pvalue),
                    Cell::opt(e.q_value, pvalue),
                    Cell::opt(e.ame_pp, |x| format!("{x:+.2}")),
                    Cell::opt(e.ame_per_sd_pp, |x| format!("{x:+.2}")),
                    if e.significant { v.with_class("strong") } else { v },
                ]
            })
            .collect(),
    };
    DriversView {
        intro,
        univariate,
        model_fit,
        model,
        model_notes,
        forest: figure(
            ForestChart::STEM,
            "Odds ratios of churn with 95 % confidence intervals (multivariable model): per +1 SD for numeric and ordinal drivers, yes vs no for yes/no drivers, each level against the reference; the table above gives them per unit".into(),
        ),
        tests,
        confounding: d.confounding.iter().map(|c| c.message.clone()).collect(),
        warnings: d.warnings.iter().map(|w| w.message.clone()).collect(),
    }
}
