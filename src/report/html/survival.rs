//! The time-to-churn section of `report.html`: how durations were measured,
//! the Kaplan–Meier curves (overall and per recommended driver) with the
//! number at risk, the log-rank tests, the Cox table and its hazard-ratio
//! forest plot, the proportional-hazards check, the restricted mean, and
//! each driver's Cox verdict beside the logistic model's.

use serde::Serialize;

use super::{heads, Cell, Figure, Table};
use crate::format::{p_is, pvalue, short, sig, thousands};
use crate::report::charts::forest::ForestChart;
use crate::report::charts::km::KmChart;
use crate::results::Results;
use crate::survival::{KmGroup, SurvivalReport};

#[derive(Debug, Clone, Serialize)]
pub(super) struct SurvivalView {
    intro: String,
    overall: Table,
    figures: Vec<Figure>,
    logrank: Table,
    cox_fit: Vec<String>,
    cox: Option<Table>,
    cox_notes: Vec<String>,
    forest: Option<Figure>,
    cox_tests: Option<Table>,
    ph: Option<Table>,
    ph_warnings: Vec<String>,
    rmst: Option<Table>,
    rmst_sentences: Vec<String>,
    comparison: Option<Table>,
    disagreements: Vec<String>,
    notes: Vec<String>,
}

fn groups_table(caption: String, groups: &[KmGroup], s: &SurvivalReport) -> Table {
    let mut spec: Vec<(String, bool)> = vec![
        ("group".into(), false),
        ("accounts".into(), true),
        ("churned".into(), true),
        (format!("median ({})", s.unit), true),
        ("95 % CI".into(), true),
    ];
    for h in &s.horizons {
        spec.push((format!("S({})", short(*h)), true));
    }
    let spec_ref: Vec<(&str, bool)> = spec.iter().map(|(a, b)| (a.as_str(), *b)).collect();
    Table {
        caption,
        heads: heads(&spec_ref),
        rows: groups
            .iter()
            .map(|g| {
                let mut row = vec![
                    Cell::text(g.group.clone()),
                    Cell::num(thousands(g.n), g.n as f64),
                    Cell::num(thousands(g.events), g.events as f64),
                    match g.median {
                        Some(m) => Cell::num(format!("{m:.1}"), m),
                        None => Cell::text("not reached")
                            .with_class("num")
                            .with_tip("more than half are still customers at the end of follow-up"),
                    },
                    Cell::text(format!(
                        "{} – {}",
                        g.median_ci_low.map_or("–".into(), |v| format!("{v:.1}")),
                        g.median_ci_high
                            .map_or("not reached".into(), |v| format!("{v:.1}"))
                    ))
                    .with_class("num"),
                ];
                for h in &g.at_horizons {
                    row.push(match (h.survival, h.ci_low, h.ci_high) {
                        (Some(v), Some(lo), Some(hi)) => Cell::num(
                            format!("{:.1} %", 100.0 * v),
                            v,
                        )
                        .with_tip(format!("95 % CI {:.1} – {:.1} %", 100.0 * lo, 100.0 * hi)),
                        _ => Cell::text("beyond follow-up").with_class("num"),
                    });
                }
                row
            })
            .collect(),
    }
}

pub(super) fn survival_view(
    r: &Results,
    figure: &dyn Fn(&str, String) -> Option<Figure>,
) -> Option<SurvivalView> {
    let s = r.survival.as_ref()?;
    let intro = format!(
        "How long do customers stay, and what changes that? {} {} accounts, {} churned. Curves are Kaplan–Meier estimates with 95 % pointwise bands ({} scale); the Cox model takes every driver at once and judges each by the likelihood-ratio test of dropping it ({}), so a driver that only goes with tenure is told apart from one that changes the hazard.",
        s.source.description,
        thousands(s.n),
        thousands(s.events),
        s.conf_type.as_str(),
        r.drivers.correction.describe()
    );
    let overall = groups_table("Survival of all accounts".into(), &s.kaplan_meier.groups, s);
    let mut figures = Vec::new();
    figures.extend(figure(
        KmChart::MAIN,
        "Kaplan–Meier survival of all accounts, with the number at risk".into(),
    ));
    for d in r.survival_curve_drivers() {
        if let Some(ds) = s.drivers.iter().find(|x| x.driver == d) {
            let lr = ds.curves.logrank.as_ref().map_or(String::new(), |l| {
                format!(
                    " (log-rank χ² = {:.1} on {} df, p {})",
                    l.statistic,
                    l.df,
                    p_is(l.p_value)
                )
            });
            figures.extend(figure(
                &KmChart::stem(&d),
                format!("Time to churn by {}{lr}", ds.label),
            ));
        }
    }
    let logrank = Table {
        caption: "Log-rank test of each driver's levels (numeric drivers in the rate tables' bins)"
            .into(),
        heads: heads(&[
            ("driver", false),
            ("groups", true),
            ("χ²", true),
            ("df", true),
            ("p", true),
            ("stratified χ²", true),
            ("stratified p", true),
        ]),
        rows: s
            .drivers
            .iter()
            .filter_map(|d| {
                let l = d.curves.logrank.as_ref()?;
                let st = d.curves.stratified_logrank.as_ref();
                Some(vec![
                    Cell::text(d.label.clone()).with_tip(d.driver.clone()),
                    Cell::num(
                        d.curves.groups.len().to_string(),
                        d.curves.groups.len() as f64,
                    ),
                    Cell::num(format!("{:.2}", l.statistic), l.statistic),
                    Cell::num(l.df.to_string(), l.df as f64),
                    Cell::num(pvalue(l.p_value), l.p_value),
                    Cell::opt(st.map(|x| x.statistic), |v| format!("{v:.2}")),
                    Cell::opt(st.map(|x| x.p_value), pvalue),
                ])
            })
            .collect(),
    };
    let mut cox_fit = Vec::new();
    let mut cox_notes = Vec::new();
    let cox = s.cox.as_ref().map(|c| {
        cox_fit.push(format!(
            "Cox proportional hazards, {} ({} ties){}: {} accounts with every driver present ({} left out for a missing value), {} churned; {}.",
            c.method,
            c.ties.as_str(),
            c.strata.as_ref().map_or(String::new(), |x| format!(", stratified by {x}")),
            thousands(c.n),
            thousands(c.n_dropped),
            thousands(c.events),
            if c.converged { format!("converged in {} iterations", c.iterations) } else { "did NOT converge".into() }
        ));
        cox_fit.push(crate::report::words::cox_fit(c));
        if let Some(sep) = &c.separation {
            cox_notes.push(sep.clone());
        }
        for t in &c.dropped_terms {
            cox_notes.push(format!("Dropped {}: {}", t.term, t.reason));
        }
        Table {
            caption: "Cox coefficients (log hazard of churn) and hazard ratios".into(),
            heads: heads(&[("term", false), ("coef", true), ("std err", true), ("z", true), ("p", true), ("hazard ratio", true), ("95 % CI", true), ("HR per +1 SD", true)]),
            rows: c
                .coefficients
                .iter()
                .map(|t| {
                    vec![
                        Cell::text(t.term.clone()),
                        Cell::num(sig(t.estimate), t.estimate),
                        Cell::num(sig(t.std_error), t.std_error),
                        Cell::num(format!("{:.2}", t.z), t.z),
                        Cell::num(pvalue(t.p_value), t.p_value),
                        Cell::num(sig(t.hazard_ratio), t.hazard_ratio),
                        Cell::text(format!("{} – {}", sig(t.hr_ci_low), sig(t.hr_ci_high))).with_class("num"),
                        Cell::opt(t.hr_per_sd, sig),
                    ]
                })
                .collect(),
        }
    });
    let cox_tests = s.cox.as_ref().map(|c| Table {
        caption: format!(
            "Drivers in the Cox model (LR test of dropping each; significant: q < {})",
            r.drivers.alpha
        ),
        heads: heads(&[
            ("driver", false),
            ("LR χ²", true),
            ("df", true),
            ("p", true),
            ("q", true),
            ("verdict", false),
        ]),
        rows: c
            .driver_tests
            .iter()
            .map(|t| {
                let q = Cell::num(pvalue(t.q_value), t.q_value);
                vec![
                    Cell::text(label_of(s, &t.driver)).with_tip(t.driver.clone()),
                    Cell::num(format!("{:.2}", t.lr_statistic), t.lr_statistic),
                    Cell::num(t.df.to_string(), t.df as f64),
                    Cell::num(pvalue(t.p_value), t.p_value),
                    if t.significant {
                        q.with_class("num strong")
                    } else {
                        q
                    },
                    Cell::text(if t.significant {
                        "changes the hazard"
                    } else {
                        "no effect on the hazard shown"
                    }),
                ]
            })
            .collect(),
    });
    let forest = figure(
        ForestChart::COX_STEM,
        "Hazard ratios of churn, all drivers together (Cox), with 95 % intervals".into(),
    );
    let ph = s.ph_test.as_ref().map(|p| {
        let mut rows: Vec<Vec<Cell>> = p
            .terms
            .iter()
            .map(|t| {
                vec![
                    Cell::text(t.term.clone()),
                    Cell::num(format!("{:.2}", t.statistic), t.statistic),
                    Cell::num("1", 1.0),
                    Cell::num(pvalue(t.p_value), t.p_value),
                ]
            })
            .collect();
        if let Some(g) = &p.global {
            rows.push(vec![
                Cell::text("GLOBAL").with_class("strong"),
                Cell::num(format!("{:.2}", g.statistic), g.statistic),
                Cell::num(g.df.to_string(), g.df as f64),
                Cell::num(pvalue(g.p_value), g.p_value),
            ]);
        }
        Table {
            caption: format!(
                "Proportional-hazards check: scaled Schoenfeld residuals against {} of time",
                p.transform.as_str()
            ),
            heads: heads(&[("term", false), ("χ²", true), ("df", true), ("p", true)]),
            rows,
        }
    });
    let mut rmst_rows = Vec::new();
    let mut rmst_sentences = Vec::new();
    for d in &s.drivers {
        for x in &d.curves.rmst {
            rmst_rows.push(vec![
                Cell::text(d.label.clone()),
                Cell::text(x.group.clone()),
                Cell::num(short(x.tau), x.tau),
                Cell::num(format!("{:.2}", x.rmst), x.rmst),
                Cell::num(format!("{:.2}", x.std_error), x.std_error),
            ]);
        }
        for diff in d
            .curves
            .rmst_differences
            .iter()
            .filter(|x| x.p_value < r.drivers.alpha)
        {
            if r.survival_curve_drivers().contains(&d.driver) {
                rmst_sentences.push(format!(
                    "{} = {}: customers stay on average {:.1} {} {} than at {} in their first {} {} (95 % CI {:.1} to {:.1}, p {}).",
                    d.label,
                    diff.group,
                    diff.difference.abs(),
                    s.unit,
                    if diff.difference > 0.0 { "longer" } else { "shorter" },
                    diff.versus,
                    short(diff.tau),
                    s.unit,
                    diff.ci_low,
                    diff.ci_high,
                    p_is(diff.p_value)
                ));
            }
        }
    }
    let rmst = (!rmst_rows.is_empty()).then(|| Table {
        caption: format!(
            "Restricted mean survival time ({} on the books in the first τ)",
            s.unit
        ),
        heads: heads(&[
            ("driver", false),
            ("level", false),
            ("τ", true),
            ("RMST", true),
            ("std err", true),
        ]),
        rows: rmst_rows,
    });
    let comparison = (!s.comparison.is_empty()).then(|| Table {
        caption: "Two readings of each driver: churn in the window (logistic) and the hazard over tenure (Cox)".into(),
        heads: heads(&[("driver", false), ("logistic model", false), ("Cox model", false), ("Cox q", true)]),
        rows: s
            .comparison
            .iter()
            .map(|c| {
                let word = |x: Option<bool>| match x {
                    Some(true) => "significant",
                    Some(false) => "not significant",
                    None => "not in the model",
                };
                vec![
                    Cell::text(c.label.clone()),
                    Cell::text(word(c.logistic_significant)),
                    Cell::text(word(c.cox_significant)),
                    Cell::opt(c.cox_q_value, pvalue),
                ]
            })
            .collect(),
    });
    let disagreements = s
        .comparison
        .iter()
        .filter_map(|c| c.note.as_ref().map(|n| format!("{}: {n}", c.label)))
        .collect();
    Some(SurvivalView {
        intro,
        overall,
        figures,
        logrank,
        cox_fit,
        cox,
        cox_notes,
        forest,
        cox_tests,
        ph,
        ph_warnings: s.ph_warnings.clone(),
        rmst,
        rmst_sentences,
        comparison,
        disagreements,
        notes: s.notes.clone(),
    })
}

fn label_of(s: &SurvivalReport, driver: &str) -> String {
    s.drivers
        .iter()
        .find(|d| d.driver == driver)
        .map_or(driver.to_string(), |d| d.label.clone())
}
