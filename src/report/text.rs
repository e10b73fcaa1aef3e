//! Plain-text renderings for the terminal.

use std::fmt::Write;

use crate::data::LoadSummary;
use crate::format::{fixed, percent, pvalue, sig, thousands};

/// What `churnlab validate` prints.
pub fn load_summary(s: &LoadSummary) -> String {
    let mut o = String::new();
    let a = &s.accounts;
    let _ = writeln!(o, "study: {}", s.study);
    let _ = writeln!(o, "accounts: {} ({} rows)", a.path, thousands(a.rows));
    let _ = writeln!(
        o,
        "  churned: {} of {} ({})",
        thousands(a.churned),
        thousands(a.rows),
        percent(a.churn_rate, 2)
    );
    let _ = writeln!(o, "  ids: {}", a.ids);
    if let Some(r) = &a.reason_column {
        let _ = writeln!(o, "  reason: {r}");
    }
    if let (Some(c), Some(t)) = (&a.revenue_column, a.total_revenue) {
        let _ = writeln!(o, "  revenue: {c} (total {t:.2})");
    }
    for seg in &s.segments {
        let levels: Vec<String> = seg
            .levels
            .iter()
            .take(8)
            .map(|(l, n)| format!("{l} {}", thousands(*n)))
            .collect();
        let more = if seg.levels.len() > 8 {
            format!(", … ({} levels)", seg.levels.len())
        } else {
            String::new()
        };
        let _ = writeln!(o, "  segment {}: {}{more}", seg.column, levels.join(", "));
    }
    let _ = writeln!(o, "drivers:");
    let w = s
        .drivers
        .iter()
        .map(|d| d.column.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let _ = writeln!(
        o,
        "  {:w$}  {:11}  {:>9}  {:>9}  {:>12}  flags",
        "column", "kind", "n", "missing", "mean/levels"
    );
    for d in &s.drivers {
        let spread = match (d.mean, d.levels) {
            (Some(m), _) => sig(m),
            (None, Some(l)) => format!("{l} levels"),
            _ => "–".into(),
        };
        let mut flags = vec![
            if d.controllable {
                "controllable"
            } else {
                "not controllable"
            }
            .to_string(),
            format!("{:?}", d.indicator).to_lowercase(),
        ];
        if d.constant {
            flags.push("CONSTANT".into());
        }
        let _ = writeln!(
            o,
            "  {:w$}  {:11}  {:>9}  {:>9}  {:>12}  {}",
            d.column,
            d.kind.as_str(),
            thousands(d.n),
            thousands(d.missing),
            spread,
            flags.join(", ")
        );
    }
    if let Some(r) = &s.revenue {
        let _ = writeln!(
            o,
            "revenue: {} ({} rows, {} to {}, {} months)",
            r.path,
            thousands(r.rows),
            r.first_month,
            r.last_month,
            r.months
        );
    }
    if let Some(line) = super::survival_text::durations_line(s) {
        let _ = writeln!(o, "{line}");
    }
    if let Some(line) = super::renewals_text::renewals_line(s) {
        let _ = writeln!(o, "{line}");
    }
    if s.warnings.is_empty() {
        let _ = writeln!(o, "warnings: none");
    } else {
        let _ = writeln!(o, "warnings ({}):", s.warnings.len());
        for w in &s.warnings {
            let _ = writeln!(o, "  - {}", w.message);
        }
    }
    o
}

/// A Pareto ranking as an aligned table.
pub fn pareto_ranking(
    title: &str,
    rows: &[crate::pareto::ParetoRow],
    by: crate::pareto::Measure,
) -> String {
    use crate::pareto::Measure;
    let mut o = String::new();
    let _ = writeln!(o, "{title}");
    let w = rows
        .iter()
        .map(|r| r.reason.chars().count())
        .max()
        .unwrap_or(6)
        .clamp(6, 44);
    let other = match by {
        Measure::Frequency => "rank by revenue",
        Measure::Revenue => "rank by count",
    };
    let _ = writeln!(
        o,
        "  {:>3}  {:w$}  {:>8}  {:>14}  {:>7}  {:>7}  {:>15}  vital few",
        "#", "reason", "count", "revenue", "share", "cum.", other
    );
    for r in rows {
        let name: String = if r.reason.chars().count() > w {
            format!("{}…", r.reason.chars().take(w - 1).collect::<String>())
        } else {
            r.reason.clone()
        };
        let _ = writeln!(
            o,
            "  {:>3}  {:w$}  {:>8}  {:>14.2}  {:>7}  {:>7}  {:>15}  {}",
            r.rank,
            name,
            thousands(r.count),
            r.revenue,
            percent(r.share, 1),
            percent(r.cumulative_share, 1),
            r.rank_other,
            if r.vital_few { "yes" } else { "" }
        );
    }
    o
}

/// What `churnlab drivers` prints: the screening table, the model in
/// statsmodels' layout, the per-driver LR tests, and the notes.
pub fn drivers(r: &crate::drivers::DriverReport) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Univariate screening (q: {}, alpha {})",
        r.correction.describe(),
        r.alpha
    );
    let w = r
        .univariate
        .iter()
        .map(|u| u.driver.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let _ = writeln!(
        o,
        "  {:w$}  {:12}  {:>10}  {:>8}  {:>8}  {:>8} {:13}  {:>7}  {:>6}",
        "driver", "test", "statistic", "p", "q", "effect", "", "n", "miss"
    );
    for u in &r.univariate {
        let _ = writeln!(
            o,
            "  {:w$}  {:12}  {:>10}  {:>8}  {:>8}  {:>8} {:13}  {:>7}  {:>6}",
            u.driver,
            u.test,
            sig(u.statistic),
            pvalue(u.p_value),
            pvalue(u.q_value),
            sig(u.effect_size),
            u.effect_measure,
            thousands(u.n),
            thousands(u.n_missing)
        );
    }
    if let Some(m) = &r.model {
        model(&mut o, m);
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "Drivers in the model (likelihood-ratio test of dropping each)"
    );
    let _ = writeln!(
        o,
        "  {:w$}  {:>9}  {:>3}  {:>8}  {:>8}  {:>8}  {:>8}  verdict",
        "driver", "LR chi²", "df", "p", "q", "AME pp", "AME/SD"
    );
    for d in &r.drivers {
        let verdict = d.verdict.describe(d.note.as_deref());
        let _ = writeln!(
            o,
            "  {:w$}  {:>9}  {:>3}  {:>8}  {:>8}  {:>8}  {:>8}  {verdict}",
            d.driver,
            fixed(d.lr_statistic, 2),
            d.df.map_or("–".into(), |v| v.to_string()),
            d.p_value.map_or("–".into(), pvalue),
            d.q_value.map_or("–".into(), pvalue),
            fixed(d.ame_pp, 2),
            fixed(d.ame_per_sd_pp, 2)
        );
    }
    for c in &r.confounding {
        let _ = writeln!(o);
        let _ = writeln!(o, "Confounding: {}", c.message);
    }
    if let Some(om) = &r.outcome_model {
        let f = &om.fit;
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "OLS of {} on the other drivers: n = {}, R² = {:.4}, adj. R² = {:.4}, F = {:.2} on ({}, {}) df, p = {}",
            om.outcome,
            thousands(f.n),
            f.r_squared,
            f.adj_r_squared,
            f.f_statistic,
            f.df_model,
            f.df_resid,
            pvalue(f.f_p_value)
        );
        for c in &f.coefficients {
            let _ = writeln!(
                o,
                "  {:28}  {:>10.4}  {:>9.4}  {:>8.3}  {:>8}  [{:.4}, {:.4}]",
                c.term,
                c.estimate,
                c.std_error,
                c.t,
                pvalue(c.p_value),
                c.ci_low,
                c.ci_high
            );
        }
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(o);
        for wn in &r.warnings {
            let _ = writeln!(o, "warning: {}", wn.message);
        }
    }
    o
}

/// The model's block of [`drivers`] (fit, statistics, coefficients), as statsmodels lays it out.
pub fn model(o: &mut String, m: &crate::drivers::model::LogitModel) {
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "Logistic regression of churned on all drivers ({}{})",
        match m.method {
            crate::stats::logit::Method::Newton => "maximum likelihood, Newton",
            crate::stats::logit::Method::Firth => "Firth's bias-reduced fit",
        },
        if m.converged {
            ", converged"
        } else {
            ", NOT converged"
        }
    );
    let _ = writeln!(
        o,
        "  n = {}  (left out for missing values: {})   events = {}   iterations = {}",
        thousands(m.n),
        thousands(m.n_dropped_missing),
        thousands(m.events),
        m.iterations
    );
    let _ = writeln!(
        o,
        "  log-likelihood = {:.3}   null = {:.3}   McFadden pseudo-R² = {:.4}",
        m.log_likelihood, m.ll_null, m.pseudo_r2
    );
    let _ = writeln!(
        o,
        "  LLR chi² = {:.2} on {} df, p = {}   AIC = {:.1}   BIC = {:.1}   AUC = {:.4}",
        m.llr,
        m.llr_df,
        pvalue(m.llr_p_value),
        m.aic,
        m.bic,
        m.auc
    );
    let tw = m
        .coefficients
        .iter()
        .map(|c| c.term.chars().count())
        .max()
        .unwrap_or(9)
        .max(9);
    let _ = writeln!(
        o,
        "  {:tw$}  {:>9}  {:>9}  {:>8}  {:>8}  {:>9}  {:>9}  {:>8}  {:>7}  {:>8}  {:>6}",
        "term",
        "coef",
        "std err",
        "z",
        "P>|z|",
        "[0.025",
        "0.975]",
        "OR",
        "AME pp",
        "AME/SD",
        "VIF"
    );
    for c in &m.coefficients {
        let _ = writeln!(
            o,
            "  {:tw$}  {:>9.4}  {:>9.4}  {:>8.3}  {:>8}  {:>9.4}  {:>9.4}  {:>8.4}  {:>7}  {:>8}  {:>6}",
            c.term,
            c.estimate,
            c.std_error,
            c.z,
            pvalue(c.p_value),
            c.ci_low,
            c.ci_high,
            c.odds_ratio,
            fixed(c.ame_pp, 2),
            fixed(c.ame_per_sd_pp, 2),
            fixed(c.vif, 2)
        );
    }
    for d in &m.dropped_terms {
        let _ = writeln!(o, "  dropped {}: {}", d.term, d.reason);
    }
    if let Some(s) = &m.separation {
        let _ = writeln!(o, "  SEPARATION ({}): {}", s.drivers.join(", "), s.message);
    }
}

/// The KPI stage for a terminal: period KPIs at `grain`, TTM and YTD at the
/// last month, account KPIs, efficiency signals and the recommendation.
pub fn kpis(r: &crate::kpis::KpiReport, grain: crate::kpis::Grain) -> String {
    use crate::format::money;
    let mut o = String::new();
    if let Some(p) = &r.periods {
        super::kpi_text::periods(&mut o, p, grain);
    }
    super::kpi_text::accounts(&mut o, &r.as_of, &r.accounts, r.efficiency.as_ref());
    if let Some(rec) = &r.recommendation {
        let _ = writeln!(
            o,
            "Effectiveness-KPI recommendation (q < {}, |effect| ≥ {} pp, controllable; at most {})",
            rec.alpha,
            100.0 * rec.effect_floor,
            rec.max_recommended
        );
        let w = rec
            .candidates
            .iter()
            .map(|c| c.label.chars().count())
            .max()
            .unwrap_or(6)
            .max(6);
        let _ = writeln!(
            o,
            "  {:>4}  {:w$}  {:20}  {:>8}  {:>9}  {:>14}  {:8}",
            "rank", "driver", "verdict", "q", "effect", "ARR at stake", "kind"
        );
        for c in &rec.candidates {
            let _ = writeln!(
                o,
                "  {:>4}  {:w$}  {:20}  {:>8}  {:>9}  {:>14}  {:8}",
                c.rank.map_or(String::new(), |k| k.to_string()),
                c.label,
                c.verdict.as_str(),
                c.q_value.map_or("–".into(), pvalue),
                c.ame
                    .map_or("–".into(), |a| format!("{:+.1} pp", 100.0 * a)),
                c.arr_at_stake.map_or("–".into(), money),
                c.indicator.as_str()
            );
        }
        for c in &rec.candidates {
            let _ = writeln!(o, "  - {}: {}", c.label, c.reason);
        }
        let _ = writeln!(o, "  {}", rec.method);
        let _ = writeln!(o);
    }
    for n in &r.notes {
        let _ = writeln!(o, "Note: {n}");
    }
    o
}

/// A control chart for a terminal: limits per phase, then every point.
pub fn control_chart(title: &str, c: &crate::spc::ControlChart) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{title} ({} chart)", c.chart);
    for ph in &c.phases {
        let pts = &c.points[ph.first - 1..ph.last];
        let lo = pts.iter().map(|p| p.lcl).fold(f64::INFINITY, f64::min);
        let hi = pts.iter().map(|p| p.ucl).fold(f64::NEG_INFINITY, f64::max);
        let lcl_txt = if pts.iter().all(|p| p.lcl == lo) {
            sig(lo)
        } else {
            format!("{}…", sig(lo))
        };
        let ucl_txt = if pts.iter().all(|p| p.ucl == hi) {
            sig(hi)
        } else {
            format!("…{}", sig(hi))
        };
        let _ = writeln!(
            o,
            "  phase {} (points {}–{}): center {}, LCL {}, UCL {}, sigma {}{}; limits from {} points{}",
            ph.phase,
            ph.first,
            ph.last,
            sig(ph.center),
            lcl_txt,
            ucl_txt,
            sig(ph.sigma),
            ph.sigma_z
                .map_or(String::new(), |z| format!(", sigma_z {}", sig(z))),
            ph.baseline_points,
            if ph.excluded.is_empty() {
                String::new()
            } else {
                format!(
                    " (revised: excluded {})",
                    ph.excluded
                        .iter()
                        .map(|i| i.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        );
    }
    for ph in &c.phases {
        let tag = if c.phases.len() > 1 {
            format!("phase {}: ", ph.phase)
        } else {
            String::new()
        };
        if let Some(r) = &ph.runs {
            let _ = writeln!(o, "  {tag}{}", super::words::runs_sentence(r));
        }
        if let Some(d) = &ph.dispersion {
            let _ = writeln!(o, "  {tag}{}", super::words::dispersion_sentence(d));
        }
    }
    let _ = writeln!(o, "  rules: {}", c.rules_note);
    let _ = writeln!(
        o,
        "  {:>5}  {:12}  {:>12}  {:>12}  {:>12}  {:>12}  signals",
        "#", "label", "value", "LCL", "center", "UCL"
    );
    for p in &c.points {
        let _ = writeln!(
            o,
            "  {:>5}  {:12}  {:>12}  {:>12}  {:>12}  {:>12}  {}",
            p.index,
            p.label,
            sig(p.value),
            sig(p.lcl),
            sig(p.center),
            sig(p.ucl),
            crate::spc::rules::codes(&p.violations, ",")
        );
    }
    let n = c.signals().count();
    let _ = writeln!(
        o,
        "  {} of {} points signal{}",
        n,
        c.points.len(),
        if n == 0 { ": in control" } else { "" }
    );
    if let Some(s) = &c.secondary {
        let out = s.signals().count();
        let _ = writeln!(
            o,
            "  {} chart: center {}, {} point{} beyond its limits",
            s.chart,
            sig(s.center),
            out,
            if out == 1 { "" } else { "s" }
        );
    }
    o
}
