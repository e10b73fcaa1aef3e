//! `report.html`: one self-contained file (inline CSS, inline SVG charts, a
//! few lines of inline JavaScript to sort tables) rendered with minijinja.
//! This module only formats the result structs into a page model of strings;
//! the template auto-escapes every value, so a reason label or column name
//! can never become markup. The chart SVGs are the one value marked safe:
//! plotters escapes the text it draws into them.

use std::collections::BTreeMap;

use minijinja::Environment;
use serde::Serialize;

use super::format::{currency_unit, money, p_is, percent, pvalue, sig, thousands};
use super::summary::{Light, Summary};
use crate::error::{Error, Result};
use crate::kpis::{Direction, Grain};
use crate::pareto::ParetoRow;
use crate::pipeline::Results;

const TEMPLATE: &str = include_str!("templates/report.html");

/// A rendered chart: its file stem, its PNG bytes, and its SVG (written as
/// a file and inlined in the page).
#[derive(Debug, Clone)]
pub struct RenderedChart {
    pub stem: String,
    pub png: Vec<u8>,
    pub svg: String,
}

/// One table cell: shown text, an optional numeric sort key, a tooltip.
#[derive(Debug, Clone, Serialize, Default)]
struct Cell {
    text: String,
    sort: Option<String>,
    class: Option<&'static str>,
    tip: Option<String>,
}

impl Cell {
    fn text(t: impl Into<String>) -> Self {
        Cell {
            text: t.into(),
            ..Cell::default()
        }
    }
    fn num(t: impl Into<String>, key: f64) -> Self {
        Cell {
            text: t.into(),
            sort: key.is_finite().then(|| format!("{key:.12e}")),
            class: Some("num"),
            ..Cell::default()
        }
    }
    fn opt(x: Option<f64>, f: impl Fn(f64) -> String) -> Self {
        match x {
            Some(v) if !v.is_nan() => Cell::num(f(v), v),
            _ => Cell {
                text: "–".into(),
                class: Some("num"),
                ..Cell::default()
            },
        }
    }
    fn with_class(mut self, c: &'static str) -> Self {
        self.class = Some(c);
        self
    }
    fn with_tip(mut self, t: impl Into<String>) -> Self {
        self.tip = Some(t.into());
        self
    }
}

/// A column header; `num` right-aligns the column.
#[derive(Debug, Clone, Serialize)]
struct Head {
    label: String,
    num: bool,
    tip: Option<String>,
}

fn heads(spec: &[(&str, bool)]) -> Vec<Head> {
    spec.iter()
        .map(|(l, n)| Head {
            label: l.to_string(),
            num: *n,
            tip: None,
        })
        .collect()
}

/// A sortable table.
#[derive(Debug, Clone, Serialize)]
struct Table {
    caption: String,
    heads: Vec<Head>,
    rows: Vec<Vec<Cell>>,
}

/// A chart inlined as SVG, with its caption and the files it was written to.
#[derive(Debug, Clone, Serialize)]
struct Figure {
    svg: String,
    caption: String,
    files: String,
}

#[derive(Debug, Clone, Serialize)]
struct ParetoView {
    intro: String,
    figures: Vec<Figure>,
    by_count: Table,
    by_revenue: Option<Table>,
    segments: Option<Table>,
    mix_shift: Option<String>,
    movers: Option<Table>,
    notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
struct DriversView {
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

#[derive(Debug, Clone, Serialize)]
struct KpisView {
    intro: String,
    quarters: Option<Table>,
    months: Option<Table>,
    trailing: Vec<String>,
    accounts: Option<Table>,
    recommendation: Option<Table>,
    recommendation_method: Option<String>,
    efficiency: Option<String>,
    owners: Option<Table>,
    funnel: Option<Figure>,
    notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
struct ControlView {
    title: String,
    figure: Option<Figure>,
    light: Light,
    limits: Vec<String>,
    rules: String,
    signals: Option<Table>,
    reading: String,
}

#[derive(Debug, Clone, Serialize)]
struct AppendixView {
    quality: Table,
    drivers: Table,
    dropped: Vec<String>,
    warnings: Vec<String>,
    notes: Vec<String>,
    definitions: Table,
    methods: Vec<Method>,
}

#[derive(Debug, Clone, Serialize)]
struct Method {
    name: &'static str,
    text: &'static str,
    reference: &'static str,
}

#[derive(Debug, Clone, Serialize)]
struct Page {
    study: String,
    generated_at: String,
    version: String,
    summary: Summary,
    pareto: Option<ParetoView>,
    pareto_missing: Option<String>,
    drivers: DriversView,
    kpis: KpisView,
    control: Vec<ControlView>,
    appendix: AppendixView,
}

/// Renders the report page.
///
/// # Errors
/// Only a broken template (a bug), reported as an analysis error.
pub fn render(r: &Results, summary: &Summary, charts: &[RenderedChart]) -> Result<String> {
    let svgs: BTreeMap<&str, &str> = charts
        .iter()
        .map(|c| (c.stem.as_str(), c.svg.as_str()))
        .collect();
    let figure = |stem: &str, caption: String| -> Option<Figure> {
        svgs.get(stem).map(|svg| Figure {
            svg: inline_svg(svg, &caption),
            caption,
            files: format!("charts/{stem}.png, charts/{stem}.svg"),
        })
    };
    let page = Page {
        study: r.study.clone(),
        generated_at: r.generated_at.clone(),
        version: r.churnlab_version.to_string(),
        summary: summary.clone(),
        pareto: r
            .pareto
            .as_ref()
            .map(|p| pareto_view(p, &figure, &currency_unit(r.currency.as_deref()))),
        pareto_missing: r.pareto.is_none().then(|| {
            "No cancellation-reason column in the config, so the reasons are not ranked."
                .to_string()
        }),
        drivers: drivers_view(r, &figure),
        kpis: kpis_view(r, &figure),
        control: control_views(r, &figure),
        appendix: appendix_view(r),
    };
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.add_template("report.html", TEMPLATE)
        .map_err(template_err)?;
    let tpl = env.get_template("report.html").map_err(template_err)?;
    tpl.render(&page).map_err(template_err)
}

fn template_err(e: minijinja::Error) -> Error {
    Error::Analysis {
        analysis: "html report",
        message: format!("template: {e:#}"),
    }
}

/// Makes a plotters SVG fit for inlining in HTML: the root element loses its
/// fixed size and namespace URL (HTML5 does not need it) and gains an
/// accessible name. Everything after the root tag is kept as written.
fn inline_svg(svg: &str, caption: &str) -> String {
    let body = svg.trim_start_matches(|c: char| c != '<');
    let body = body
        .strip_prefix("<?xml")
        .map(|rest| rest.split_once("?>").map_or(rest, |(_, b)| b).trim_start())
        .unwrap_or(body);
    let Some(end) = body.find('>') else {
        return String::new();
    };
    let root = &body[..end];
    let view = attr(root, "viewBox").unwrap_or_default();
    format!(
        "<svg viewBox=\"{}\" class=\"chart\" role=\"img\" aria-label=\"{}\"{}",
        escape_attr(&view),
        escape_attr(caption),
        &body[end..]
    )
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!("{name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(tag[start..start + len].to_string())
}

fn escape_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn pareto_rows(rows: &[ParetoRow], by_revenue: bool) -> Vec<Vec<Cell>> {
    rows.iter()
        .map(|r| {
            let reason = Cell::text(r.reason.clone());
            let reason = if r.vital_few {
                reason.with_class("strong")
            } else {
                reason
            };
            let mut cells = vec![Cell::num(r.rank.to_string(), r.rank as f64), reason];
            let count = Cell::num(thousands(r.count), r.count as f64);
            let revenue = Cell::num(money(r.revenue), r.revenue);
            // The ranking's own measure first, the other one after the shares.
            let (own, other) = if by_revenue {
                (revenue, count)
            } else {
                (count, revenue)
            };
            cells.push(own);
            cells.push(Cell::num(percent(r.share, 1), r.share));
            cells.push(Cell::num(
                percent(r.cumulative_share, 1),
                r.cumulative_share,
            ));
            cells.push(other);
            cells.push(Cell::num(r.rank_other.to_string(), r.rank_other as f64));
            cells.push(Cell::text(if r.vital_few { "yes" } else { "" }));
            cells
        })
        .collect()
}

fn pareto_view(
    p: &crate::pareto::ParetoReport,
    figure: &dyn Fn(&str, String) -> Option<Figure>,
    unit: &str,
) -> ParetoView {
    let lost = format!("lost revenue{unit}");
    use crate::pareto::Measure;
    use crate::report::charts::pareto::ParetoChart;
    let rev = p.revenue_column.clone().unwrap_or_default();
    let mut figures = Vec::new();
    if let Some(f) = figure(
        ParetoChart::stem(Measure::Frequency),
        "Cancellation reasons by number of churned accounts".into(),
    ) {
        figures.push(f);
    }
    if let Some(f) = figure(
        ParetoChart::stem(Measure::Revenue),
        format!("Cancellation reasons by lost revenue ({rev})"),
    ) {
        figures.push(f);
    }
    let intro = format!(
        "Reasons come from the column `{}`{}. {} churned accounts gave {} distinct reasons ({} gave none). The vital few are the fewest top reasons that cover {} of the accounts that gave a reason; they are in bold. A reason's rank by count and by revenue can differ a lot: a reason common among small accounts costs less than a rarer one among large accounts.",
        p.reason_column,
        p.revenue_column
            .as_ref()
            .map_or(String::new(), |c| format!(", lost revenue from `{c}`")),
        thousands(p.n_churned),
        p.overall
            .by_frequency
            .iter()
            .filter(|r| r.kind == crate::pareto::RowKind::Reason)
            .count(),
        thousands(p.overall.n_not_given),
        percent(p.overall.cutoff, 0)
    );
    let by_count = Table {
        caption: "Ranked by number of churned accounts".into(),
        heads: heads(&[
            ("#", true),
            ("reason", false),
            ("accounts", true),
            ("share", true),
            ("cumulative", true),
            (lost.as_str(), true),
            ("rank by revenue", true),
            ("vital few", false),
        ]),
        rows: pareto_rows(&p.overall.by_frequency, false),
    };
    let by_revenue = p.overall.by_revenue.as_ref().map(|rows| Table {
        caption: format!("Ranked by lost revenue ({rev})"),
        heads: heads(&[
            ("#", true),
            ("reason", false),
            (lost.as_str(), true),
            ("share", true),
            ("cumulative", true),
            ("accounts", true),
            ("rank by count", true),
            ("vital few", false),
        ]),
        rows: pareto_rows(rows, true),
    });
    let segments = (!p.segments.is_empty()).then(|| Table {
        caption: "Top reason within each segment".into(),
        heads: heads(&[
            ("segment", false),
            ("level", false),
            ("churned", true),
            ("top by count", false),
            ("share", true),
            ("top by revenue", false),
            ("share", true),
        ]),
        rows: p
            .segments
            .iter()
            .map(|s| {
                let f = s.pareto.by_frequency.first();
                let v = s.pareto.by_revenue.as_ref().and_then(|v| v.first());
                vec![
                    Cell::text(s.column.clone()),
                    Cell::text(s.level.clone()),
                    Cell::num(thousands(s.pareto.total_count), s.pareto.total_count as f64),
                    Cell::text(f.map_or("–".into(), |r| r.reason.clone())),
                    Cell::opt(f.map(|r| r.share), |x| percent(x, 1)),
                    Cell::text(v.map_or("–".into(), |r| r.reason.clone())),
                    Cell::opt(v.map(|r| r.share), |x| percent(x, 1)),
                ]
            })
            .collect(),
    });
    let (mix_shift, movers) = match &p.mix_shift {
        Some(m) => (
            Some(format!(
                "Did the reason mix change? {} ({} churned) against {} ({} churned), by {}: chi-square {} on {} df, p {}{}.",
                m.latest,
                thousands(m.n_latest),
                m.previous,
                thousands(m.n_previous),
                m.source,
                sig(m.test.statistic),
                m.test.dof,
                p_is(m.test.p_value),
                if m.test.share_expected_below_5 > 0.2 {
                    format!(
                        " ({} of cells expect fewer than 5 accounts, so read the p-value with care)",
                        percent(m.test.share_expected_below_5, 0)
                    )
                } else {
                    String::new()
                }
            )),
            Some(Table {
                caption: "Reasons whose share moved most (|adjusted residual| > 2 stands out)".into(),
                heads: heads(&[
                    ("reason", false),
                    (m.previous.as_str(), true),
                    (m.latest.as_str(), true),
                    ("change", true),
                    ("adj. residual", true),
                ]),
                rows: m
                    .movers
                    .iter()
                    .take(8)
                    .map(|mv| {
                        let resid = Cell::num(format!("{:+.2}", mv.adjusted_residual), mv.adjusted_residual);
                        vec![
                            Cell::text(mv.reason.clone()),
                            Cell::num(percent(mv.share_previous, 1), mv.share_previous)
                                .with_tip(format!("{} accounts", thousands(mv.count_previous))),
                            Cell::num(percent(mv.share_latest, 1), mv.share_latest)
                                .with_tip(format!("{} accounts", thousands(mv.count_latest))),
                            Cell::num(format!("{:+.1} pp", 100.0 * mv.change), mv.change),
                            if mv.adjusted_residual.abs() > 2.0 {
                                resid.with_class("num strong")
                            } else {
                                resid
                            },
                        ]
                    })
                    .collect(),
            }),
        ),
        None => (None, None),
    };
    ParetoView {
        intro,
        figures,
        by_count,
        by_revenue,
        segments,
        mix_shift,
        movers,
        notes: p.notes.clone(),
    }
}

fn drivers_view(r: &Results, figure: &dyn Fn(&str, String) -> Option<Figure>) -> DriversView {
    use crate::report::charts::forest::ForestChart;
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
                crate::stats::logit::Method::Newton => "Logistic regression, maximum likelihood",
                crate::stats::logit::Method::Firth => "Logistic regression, Firth's bias-reduced fit (the data separate)",
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
                let verdict = match (e.in_model, e.significant, e.univariate_significant) {
                    (false, _, _) => format!("not in model: {}", e.note.clone().unwrap_or_default()),
                    (true, true, _) => "significant".into(),
                    (true, false, true) => "significant alone only (confounded)".into(),
                    (true, false, false) => "not significant".into(),
                };
                let v = Cell::text(verdict);
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
            "Odds ratios of churn with 95 % confidence intervals (multivariable model)".into(),
        ),
        tests,
        confounding: d.confounding.iter().map(|c| c.message.clone()).collect(),
        warnings: d.warnings.iter().map(|w| w.message.clone()).collect(),
    }
}

fn kpis_view(r: &Results, figure: &dyn Fn(&str, String) -> Option<Figure>) -> KpisView {
    let k = &r.kpis;
    let unit = currency_unit(r.currency.as_deref());
    let money_head = |h: &str| format!("{h}{unit}");
    let (arpa, starting, churned_mrr, contraction, expansion, stake) = (
        money_head("ARPA"),
        money_head("starting MRR"),
        money_head("churned MRR"),
        money_head("contraction"),
        money_head("expansion"),
        money_head("ARR at stake"),
    );
    let period_table = |g: Grain, caption: &str| -> Option<Table> {
        let p = k.periods.as_ref()?;
        let rows: Vec<_> = p.of(g).collect();
        if rows.is_empty() {
            return None;
        }
        Some(Table {
            caption: caption.to_string(),
            heads: heads(&[
                ("period", false),
                ("cohort", true),
                ("churned", true),
                ("new", true),
                ("logo churn", true),
                ("GRR", true),
                ("NRR", true),
                (arpa.as_str(), true),
                (starting.as_str(), true),
                (churned_mrr.as_str(), true),
                (contraction.as_str(), true),
                (expansion.as_str(), true),
            ]),
            rows: rows
                .iter()
                .map(|row| {
                    let c = &row.counts;
                    let period = Cell::text(format!(
                        "{}{}",
                        row.period,
                        if row.partial { " (partial)" } else { "" }
                    ));
                    vec![
                        period,
                        Cell::num(thousands(c.cohort), c.cohort as f64),
                        Cell::num(thousands(c.churned), c.churned as f64),
                        Cell::num(thousands(c.new), c.new as f64),
                        Cell::opt(row.logo_churn_rate, |x| percent(x, 2)),
                        Cell::opt(row.grr, |x| percent(x, 1)),
                        Cell::opt(row.nrr, |x| percent(x, 1)),
                        Cell::opt(row.arpa, money),
                        Cell::num(money(c.starting_mrr), c.starting_mrr),
                        Cell::num(money(c.churned_mrr), c.churned_mrr),
                        Cell::num(money(c.contraction_mrr), c.contraction_mrr),
                        Cell::num(money(c.expansion_mrr), c.expansion_mrr),
                    ]
                })
                .collect(),
        })
    };
    let mut trailing = Vec::new();
    if let Some(p) = &k.periods {
        for g in [Grain::Ttm, Grain::Ytd] {
            if let Some(row) = p.of(g).last() {
                trailing.push(format!(
                    "{} at {}: GRR {}, NRR {}, logo churn {} of {} accounts ({} → {}).",
                    g.as_str().to_uppercase(),
                    row.period,
                    row.grr.map_or("–".into(), |x| percent(x, 1)),
                    row.nrr.map_or("–".into(), |x| percent(x, 1)),
                    row.logo_churn_rate.map_or("–".into(), |x| percent(x, 1)),
                    thousands(row.counts.cohort),
                    row.start_month,
                    row.end_month
                ));
            }
        }
    }
    let has_account = k
        .accounts
        .iter()
        .any(|g| g.nps.is_some() || g.time_to_value.is_some() || !g.means.is_empty());
    let accounts = has_account.then(|| Table {
        caption: format!("Account KPIs as of {}", k.as_of),
        heads: heads(&[
            ("group", false),
            ("accounts", true),
            ("churned", true),
            ("NPS", true),
            ("NPS 95 % CI", true),
            ("NPS answered", true),
            ("time to value, median (days)", true),
            ("time to value, p75 (days)", true),
            ("means", false),
        ]),
        rows: k
            .accounts
            .iter()
            .map(|g| {
                vec![
                    Cell::text(g.key()),
                    Cell::num(thousands(g.accounts), g.accounts as f64),
                    Cell::num(thousands(g.churned), g.churned as f64),
                    Cell::opt(g.nps.as_ref().map(|n| n.nps), |x| format!("{x:+.1}")),
                    Cell::text(g.nps.as_ref().map_or("–".into(), |n| {
                        format!("[{:+.1}, {:+.1}]", n.ci_low, n.ci_high)
                    }))
                    .with_class("num"),
                    Cell::opt(g.nps.as_ref().map(|n| n.response_rate), |x| percent(x, 0)),
                    Cell::opt(g.time_to_value.as_ref().map(|t| t.median), sig),
                    Cell::opt(g.time_to_value.as_ref().map(|t| t.p75), sig),
                    Cell::text(
                        g.means
                            .iter()
                            .map(|m| format!("{} {}", m.column, sig(m.mean)))
                            .collect::<Vec<_>>()
                            .join("; "),
                    ),
                ]
            })
            .collect(),
    });
    let recommendation = k.recommendation.as_ref().map(|rec| Table {
        caption: format!(
            "Every candidate driver's verdict (recommended: model q < {}, effect at least {} pp, controllable; at most {})",
            rec.alpha,
            100.0 * rec.effect_floor,
            rec.max_recommended
        ),
        heads: heads(&[
            ("rank", true),
            ("driver", false),
            ("verdict", false),
            ("model q", true),
            ("univariate q", true),
            ("effect", true),
            (stake.as_str(), true),
            ("indicator", false),
            ("why", false),
        ]),
        rows: rec
            .candidates
            .iter()
            .map(|c| {
                let verdict = Cell::text(c.verdict.as_str());
                vec![
                    Cell::opt(c.rank.map(|x| x as f64), |x| format!("{x:.0}")),
                    Cell::text(c.label.clone()).with_tip(c.driver.clone()),
                    if c.verdict == crate::kpis::Verdict::Recommended {
                        verdict.with_class("strong")
                    } else {
                        verdict
                    },
                    Cell::opt(c.q_value, pvalue),
                    Cell::num(pvalue(c.univariate_q), c.univariate_q),
                    Cell::opt(c.ame, |x| format!("{:+.1} pp", 100.0 * x)).with_tip(c.ame_basis),
                    Cell::opt(c.arr_at_stake, money)
                        .with_tip(c.counterfactual.clone().unwrap_or_default()),
                    Cell::text(c.indicator.as_str()),
                    Cell::text(c.reason.clone()),
                ]
            })
            .collect(),
    });
    let (efficiency, owners) = match &k.efficiency {
        Some(e) => {
            let flagged: Vec<_> = e.owners.iter().filter(|w| w.signal.is_some()).collect();
            (
                Some(format!(
                    "Logo churn per {} book: {} books, overall {}. {} book(s) churn above and {} below the 3-sigma funnel limits for their size; only those differ by more than chance.",
                    e.owner_column,
                    e.owners.len(),
                    percent(e.center, 1),
                    e.n_above,
                    e.n_below
                )),
                (!flagged.is_empty()).then(|| Table {
                    caption: "Books outside the funnel limits".into(),
                    heads: heads(&[
                        ("owner", false),
                        ("accounts", true),
                        ("churned", true),
                        ("logo churn", true),
                        ("lower limit", true),
                        ("upper limit", true),
                        ("z", true),
                        ("signal", false),
                    ]),
                    rows: flagged
                        .iter()
                        .map(|w| {
                            vec![
                                Cell::text(w.owner.clone()),
                                Cell::num(thousands(w.accounts), w.accounts as f64),
                                Cell::num(thousands(w.churned), w.churned as f64),
                                Cell::num(percent(w.logo_churn_rate, 1), w.logo_churn_rate),
                                Cell::num(percent(w.lcl, 1), w.lcl),
                                Cell::num(percent(w.ucl, 1), w.ucl),
                                Cell::num(format!("{:+.2}", w.z), w.z),
                                Cell::text(w.signal.unwrap_or("")),
                            ]
                        })
                        .collect(),
                }),
            )
        }
        None => (None, None),
    };
    KpisView {
        intro: "Retention KPIs follow the data contract's definitions word for word (see the appendix). A period compares the accounts billed in its start month with the same accounts in its end month; new accounts never count toward retention.".into(),
        quarters: period_table(Grain::Quarter, "Quarterly retention"),
        months: period_table(Grain::Month, "Monthly retention"),
        trailing,
        accounts,
        recommendation,
        recommendation_method: k.recommendation.as_ref().map(|r| r.method.clone()),
        efficiency,
        owners,
        funnel: figure(
            crate::report::charts::funnel::FunnelChart::STEM,
            "Logo churn per CSM book against book size, with 2- and 3-sigma funnel limits".into(),
        ),
        notes: k.notes.clone(),
    }
}

fn control_views(r: &Results, figure: &dyn Fn(&str, String) -> Option<Figure>) -> Vec<ControlView> {
    r.kpis
        .control
        .iter()
        .map(|k| {
            let c = &k.chart;
            let direction = super::summary::direction_of(r, &k.kpi);
            let limits = c
                .phases
                .iter()
                .map(|ph| {
                    let pts = &c.points[ph.first.saturating_sub(1)..ph.last.min(c.points.len())];
                    let lo = pts.iter().map(|p| p.lcl).fold(f64::INFINITY, f64::min);
                    let hi = pts.iter().map(|p| p.ucl).fold(f64::NEG_INFINITY, f64::max);
                    let varies = pts.iter().any(|p| p.ucl != hi || p.lcl != lo);
                    format!(
                        "{}{} to {}: center {}, limits {}{} to {}{}, sigma {}{}, from {} baseline points{}.",
                        if c.phases.len() > 1 { format!("Phase {}, ", ph.phase) } else { String::new() },
                        pts.first().map_or("", |p| p.label.as_str()),
                        pts.last().map_or("", |p| p.label.as_str()),
                        sig(ph.center),
                        if varies { "from " } else { "" },
                        sig(lo),
                        sig(hi),
                        if varies { " (they vary with the subgroup size)" } else { "" },
                        sig(ph.sigma),
                        ph.sigma_z.map_or(String::new(), |z| format!(", overdispersion sigma_z {}", sig(z))),
                        ph.baseline_points,
                        if ph.excluded.is_empty() { String::new() } else { format!(", {} excluded as out of control", ph.excluded.len()) }
                    )
                })
                .collect();
            let flagged: Vec<_> = c.signals().collect();
            let signals = (!flagged.is_empty()).then(|| Table {
                caption: "Points that break a rule".into(),
                heads: heads(&[("point", false), ("value", true), ("center", true), ("LCL", true), ("UCL", true), ("rules", false)]),
                rows: flagged
                    .iter()
                    .map(|p| {
                        vec![
                            Cell::text(p.label.clone()),
                            Cell::num(sig(p.value), p.value),
                            Cell::num(sig(p.center), p.center),
                            Cell::num(sig(p.lcl), p.lcl),
                            Cell::num(sig(p.ucl), p.ucl),
                            Cell::text(p.violations.iter().map(|v| v.code()).collect::<Vec<_>>().join(", ")),
                        ]
                    })
                    .collect(),
            });
            ControlView {
                title: k.title.clone(),
                figure: figure(&k.stem, k.title.clone()),
                light: Light::of_chart(c, direction),
                limits,
                rules: c.rules_note.clone(),
                signals,
                reading: reading(c),
            }
        })
        .collect()
}

/// One paragraph on how to read a chart's signals.
fn reading(c: &crate::spc::ControlChart) -> String {
    let n = c.points.len();
    let flagged = c.signals().count();
    if flagged == 0 {
        return format!("All {n} points are in control: the month-to-month variation is what this process ordinarily produces, so no single month needs an explanation.");
    }
    let sustained = c
        .signals()
        .filter(|p| {
            p.violations
                .iter()
                .any(|r| !matches!(r, crate::spc::Rule::We1 | crate::spc::Rule::Nelson1))
        })
        .count();
    let mut s = format!("{flagged} of {n} points signal a special cause.");
    if flagged * 2 > n {
        s.push_str(" When most points signal, the process is not stable around one level: look for a trend or a shift (for ARPA, steady expansion lifts the level month after month) rather than a single bad month; the limits describe a level the process has left.");
    } else if sustained > 0 {
        s.push_str(" Run-rule signals (not only single points beyond the limits) point to a sustained shift rather than a one-off.");
    } else {
        s.push_str(" Investigate those months: something outside the ordinary happened then.");
    }
    if c.chart == "p" && c.sigma_z.is_none() {
        s.push_str(" A plain p chart assumes binomial variation only; with thousands of accounts per month, real churn varies more than that (overdispersion), so judge with the Laney p′ chart.");
    }
    s
}

fn appendix_view(r: &Results) -> AppendixView {
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
                    Cell::text(df.kpi.clone()).with_class("code"),
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
        text: "p chart with limits per subgroup size; Laney p′ chart (p chart limits widened by the moving-range ratio sigma_z of the standardised points); individuals and moving-range (XmR) charts with sigma = MR̄/d2; constants from ASTM E2587.",
        reference: "Montgomery, D. C. (2019). Introduction to Statistical Quality Control, 8th ed. Wiley; Laney, D. B. (2002). Quality Engineering 14(4), 531–537; Wheeler, D. J. (2000). Understanding Variation.",
    },
    Method {
        name: "Run rules",
        text: "Western Electric rules 1–4 on the standardised points (Nelson rules 1–8 selectable in `churnlab spc`).",
        reference: "Western Electric (1956). Statistical Quality Control Handbook; Nelson, L. S. (1984). J. Quality Technology 16(4), 237–239.",
    },
    Method {
        name: "Funnel plot of CSM books",
        text: "Each book's logo churn against binomial 2- and 3-sigma limits around the overall rate for its size.",
        reference: "Spiegelhalter, D. J. (2005). Statistics in Medicine 24, 1185–1202.",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_root_is_rewritten_for_inlining() {
        let svg = "<svg width=\"1280\" height=\"720\" viewBox=\"0 0 1280 720\" xmlns=\"http://www.w3.org/2000/svg\">\n<rect x=\"0\"/>\n</svg>\n";
        let out = inline_svg(svg, "A \"b\" <c>");
        assert!(out.starts_with("<svg viewBox=\"0 0 1280 720\" class=\"chart\" role=\"img\" aria-label=\"A &quot;b&quot; &lt;c&gt;\">"));
        assert!(!out.contains("http"));
        assert!(out.ends_with("</svg>\n"));
    }
}
