//! The appendix of `report.html`: rows read and used, the drivers as
//! loaded, warnings and notes, every KPI definition and the methods with
//! their references.

use serde::Serialize;

use super::{heads, Cell, Table};
use crate::format::{percent, sig, thousands};
use crate::kpis::Direction;
use crate::results::Results;

#[derive(Debug, Clone, Serialize)]
pub(super) struct AppendixView {
    quality: Table,
    drivers: Table,
    dropped: Vec<String>,
    warnings: Vec<String>,
    notes: Vec<String>,
    definitions: Table,
    methods: Vec<Method>,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct Method {
    name: &'static str,
    text: &'static str,
    reference: &'static str,
}

pub(super) fn appendix_view(r: &Results) -> AppendixView {
    let d = &r.data;
    let a = &d.accounts;
    let mut rows = vec![
        vec![Cell::text("accounts file"), Cell::text(a.path.clone())],
        vec![
            Cell::text("accounts read"),
            Cell::num(thousands(a.rows), a.rows as f64),
        ],
        vec![
            Cell::text("churned"),
            Cell::text(format!(
                "{} ({})",
                thousands(a.churned),
                percent(a.churn_rate, 2)
            ))
            .with_class("num"),
        ],
        vec![Cell::text("account ids"), Cell::text(a.ids.clone())],
    ];
    if let Some(c) = &a.reason_column {
        rows.push(vec![Cell::text("reason column"), Cell::text(c.clone())]);
    }
    if let Some(c) = &a.revenue_column {
        rows.push(vec![Cell::text("revenue column"), Cell::text(c.clone())]);
    }
    if let Some(m) = &r.drivers.model {
        rows.push(vec![
            Cell::text("used in the multivariable model"),
            Cell::num(thousands(m.n), m.n as f64),
        ]);
        rows.push(vec![
            Cell::text("left out of the model (a driver missing)"),
            Cell::num(thousands(m.n_dropped_missing), m.n_dropped_missing as f64),
        ]);
    }
    if let Some(rev) = &d.revenue {
        rows.push(vec![
            Cell::text("revenue file"),
            Cell::text(rev.path.clone()),
        ]);
        rows.push(vec![
            Cell::text("revenue rows"),
            Cell::num(thousands(rev.rows), rev.rows as f64),
        ]);
        rows.push(vec![
            Cell::text("revenue months"),
            Cell::text(format!(
                "{} to {} ({} months)",
                rev.first_month, rev.last_month, rev.months
            )),
        ]);
    }
    let dropped = r
        .drivers
        .model
        .as_ref()
        .map(|m| {
            m.missing_by_driver
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(c, n)| format!("{c}: {} accounts have no value", thousands(*n)))
                .collect()
        })
        .unwrap_or_default();
    let drivers = Table {
        caption: "Drivers as loaded".into(),
        heads: heads(&[
            ("column", false),
            ("label", false),
            ("kind", false),
            ("controllable", false),
            ("indicator", false),
            ("present", true),
            ("missing", true),
            ("mean / levels", true),
        ]),
        rows: d
            .drivers
            .iter()
            .map(|x| {
                vec![
                    Cell::text(x.column.clone()),
                    Cell::text(x.label.clone()),
                    Cell::text(x.kind.as_str()),
                    Cell::text(if x.controllable { "yes" } else { "no" }),
                    Cell::text(x.indicator.as_str()),
                    Cell::num(thousands(x.n), x.n as f64),
                    Cell::num(thousands(x.missing), x.missing as f64),
                    match (x.mean, x.levels) {
                        (Some(m), _) => Cell::num(sig(m), m),
                        (None, Some(l)) => Cell::num(format!("{l} levels"), l as f64),
                        _ => Cell::text("–"),
                    },
                ]
            })
            .collect(),
    };
    let definitions = Table {
        caption: "KPI definitions".into(),
        heads: heads(&[
            ("KPI", false),
            ("key", false),
            ("unit", false),
            ("better", false),
            ("definition", false),
        ]),
        rows: r
            .kpis
            .definitions
            .iter()
            .map(|df| {
                vec![
                    Cell::text(df.label.clone()),
                    Cell::text(df.kpi.to_string()).with_class("code"),
                    Cell::text(df.unit),
                    Cell::text(match df.direction {
                        Direction::HigherIsBetter => "higher",
                        Direction::LowerIsBetter => "lower",
                        Direction::Neutral => "–",
                    }),
                    Cell::text(df.definition.clone()),
                ]
            })
            .collect(),
    };
    let mut notes = r.notes.clone();
    notes.extend(r.kpis.notes.iter().cloned());
    AppendixView {
        quality: Table {
            caption: "Rows read and used".into(),
            heads: heads(&[("what", false), ("value", false)]),
            rows,
        },
        drivers,
        dropped,
        warnings: d.warnings.iter().map(|w| w.message.clone()).collect(),
        notes,
        definitions,
        methods: METHODS.to_vec(),
    }
}

const METHODS: &[Method] = &[
    Method {
        name: "Pareto ranking",
        text: "Reasons of churned accounts ranked by count and by lost revenue; blank reasons are kept as \"(not given)\"; the vital few reach the cut-off share of accounts that gave a reason.",
        reference: "Juran, J. M. (1951). Quality Control Handbook. McGraw-Hill.",
    },
    Method {
        name: "Reason-mix shift",
        text: "Pearson chi-square test of homogeneity of the reason mix between the two latest periods, with adjusted residuals per reason.",
        reference: "Agresti, A. (2013). Categorical Data Analysis, 3rd ed., §2.4. Wiley.",
    },
    Method {
        name: "Numeric and ordinal drivers",
        text: "Welch's t-test with Hedges' g, and the Mann–Whitney U test (exact for small samples without ties, otherwise the normal approximation with tie and continuity correction) with the rank-biserial correlation.",
        reference: "Welch, B. L. (1947). Biometrika 34, 28–35; Mann, H. B. & Whitney, D. R. (1947). Ann. Math. Stat. 18, 50–60.",
    },
    Method {
        name: "Yes/no and categorical drivers",
        text: "Chi-square test (Yates' correction for 2×2 tables), Fisher's exact test, Cramér's V, the odds ratio with Woolf's interval, Wilson intervals for churn rates.",
        reference: "Fisher, R. A. (1922). J. R. Stat. Soc. 85, 87–94; Wilson, E. B. (1927). JASA 22, 209–212.",
    },
    Method {
        name: "Multiple testing",
        text: "q-values by the Benjamini–Hochberg false-discovery-rate procedure (Holm or Bonferroni when configured).",
        reference: "Benjamini, Y. & Hochberg, Y. (1995). J. R. Stat. Soc. B 57, 289–300.",
    },
    Method {
        name: "Multivariable logistic regression",
        text: "Maximum likelihood by Newton's method on complete cases; Wald standard errors, z tests and 95 % intervals; odds ratios; likelihood-ratio test per driver; average marginal effects with delta-method standard errors; variance inflation factors. Firth's penalised likelihood when the data separate.",
        reference: "Hosmer, D. W., Lemeshow, S. & Sturdivant, R. X. (2013). Applied Logistic Regression, 3rd ed. Wiley; Firth, D. (1993). Biometrika 80, 27–38.",
    },
    Method {
        name: "Retention KPIs",
        text: "GRR, NRR, logo churn and ARPA per month, quarter, trailing twelve months and year to date, on the cohort billed in the start month (the data contract's definitions).",
        reference: "churnlab data contract; SaaS Capital, \"Net revenue retention\" definitions.",
    },
    Method {
        name: "NPS",
        text: "% promoters − % detractors, with a 95 % interval from the trinomial variance.",
        reference: "Reichheld, F. F. (2003). Harvard Business Review 81(12), 46–54; Rocks, B. (2016), NPS margin of error.",
    },
    Method {
        name: "Control charts",
        text: "p chart with limits per subgroup size; Laney p′ chart (p chart limits widened by the moving-range ratio sigma_z of the standardised points) and its rate analogue, Laney u′; individuals and moving-range (XmR) charts with sigma = MR̄/d2; X̄-S charts of cohort means; constants from ASTM E2587.",
        reference: "Montgomery, D. C. (2019). Introduction to Statistical Quality Control, 8th ed. Wiley; Laney, D. B. (2002). Quality Engineering 14(4), 531–537; Wheeler, D. J. (2000). Understanding Variation.",
    },
    Method {
        name: "Run rules",
        text: "Western Electric rules 1–4 on the standardised points (Nelson rules 1–8 selectable in `churnlab spc`).",
        reference: "Western Electric (1956). Statistical Quality Control Handbook; Nelson, L. S. (1984). J. Quality Technology 16(4), 237–239.",
    },
    Method {
        name: "Run-chart rules",
        text: "Every chart's series around its median (points on it skipped): an unusually long run on one side (longer than round(log2 n) + 3) or unusually few crossings of the median (fewer than the lower 5 % quantile of binomial(n − 1, 1/2)) signals a shift or trend that 3-sigma limits can miss in short series.",
        reference: "Anhøj, J. & Olesen, A. V. (2014). PLoS ONE 9(11), e113825; Anhøj, J. (2015). qicharts2 (R package).",
    },
    Method {
        name: "Dispersion diagnostic",
        text: "For p and u charts: Laney's sigma_z as the ratio of observed to expected (binomial or Poisson) variation, and Pearson's dispersion test X² = Σ z² on k − 1 df; the Laney chart is recommended when the test rejects at 5 % either way.",
        reference: "Laney, D. B. (2002). Quality Engineering 14(4), 531–537; McCullagh, P. & Nelder, J. A. (1989). Generalized Linear Models, 2nd ed., §4.5. Chapman & Hall.",
    },
    Method {
        name: "Funnel plot of CSM books",
        text: "Each book's logo churn against binomial 2- and 3-sigma limits around the overall rate for its size.",
        reference: "Spiegelhalter, D. J. (2005). Statistics in Medicine 24, 1185–1202.",
    },
];
