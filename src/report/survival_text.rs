//! The survival result as terminal text (`churnlab survival`): how time was
//! measured, the curves' medians and horizons, the log-rank tests, the Cox
//! table, the PH check, the RMST and the comparison with the logistic model.

use std::fmt::Write;

use crate::format::{fixed, p_is, pvalue, short, sig, thousands};
use crate::survival::{KmGroup, SurvivalReport};

/// A time with its unit, or the reason there is none.
fn time(x: Option<f64>) -> String {
    x.map_or("not reached".into(), short)
}

fn groups_table(o: &mut String, groups: &[KmGroup], horizons: &[f64]) {
    let w = groups
        .iter()
        .map(|g| g.group.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    let mut head = format!(
        "  {:w$}  {:>9}  {:>7}  {:>22}",
        "group", "n", "events", "median [95 % CI]"
    );
    for h in horizons {
        let _ = write!(head, "  {:>8}", format!("S({})", short(*h)));
    }
    let _ = writeln!(o, "{head}");
    for g in groups {
        let med = format!(
            "{} [{}, {}]",
            time(g.median),
            g.median_ci_low.map_or("–".into(), short),
            g.median_ci_high.map_or("–".into(), short)
        );
        let mut line = format!(
            "  {:w$}  {:>9}  {:>7}  {:>22}",
            g.group,
            thousands(g.n),
            thousands(g.events),
            med
        );
        for h in &g.at_horizons {
            let _ = write!(line, "  {:>8}", fixed(h.survival, 3));
        }
        let _ = writeln!(o, "{line}");
    }
}

/// What `churnlab survival --format table` prints.
pub fn survival(r: &SurvivalReport) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Time to churn ({}): {} accounts, {} churned",
        r.unit,
        thousands(r.n),
        thousands(r.events)
    );
    let _ = writeln!(o, "{}", r.source.description);
    let _ = writeln!(o, "\nKaplan–Meier ({} intervals):", r.conf_type.as_str());
    groups_table(&mut o, &r.kaplan_meier.groups, &r.horizons);
    if let Some(l) = &r.logrank {
        let _ = writeln!(
            o,
            "  log-rank χ² = {:.3} on {} df, p {}",
            l.statistic,
            l.df,
            p_is(l.p_value)
        );
    }
    for d in &r.drivers {
        let Some(l) = &d.curves.logrank else { continue };
        let _ = writeln!(
            o,
            "\n{} — log-rank χ² = {:.3} on {} df, p {}{}",
            d.label,
            l.statistic,
            l.df,
            p_is(l.p_value),
            d.curves
                .stratified_logrank
                .as_ref()
                .map_or(String::new(), |s| format!(
                    " (stratified: χ² = {:.3}, p {})",
                    s.statistic,
                    p_is(s.p_value)
                ))
        );
        groups_table(&mut o, &d.curves.groups, &r.horizons);
    }
    if let Some(c) = &r.cox {
        let _ = writeln!(
            o,
            "\nCox proportional hazards ({} ties, {}): {} accounts, {} events{}",
            c.ties.as_str(),
            c.method,
            thousands(c.n),
            thousands(c.events),
            c.strata
                .as_ref()
                .map_or(String::new(), |s| format!(", stratified by {s}"))
        );
        let w = c
            .coefficients
            .iter()
            .map(|t| t.term.chars().count())
            .max()
            .unwrap_or(4)
            .max(4);
        let _ = writeln!(
            o,
            "  {:w$}  {:>10}  {:>9}  {:>8}  {:>8}  {:>8}  {:>17}  {:>10}",
            "term", "coef", "se", "z", "p", "HR", "HR 95 % CI", "HR per SD"
        );
        for t in &c.coefficients {
            let _ = writeln!(
                o,
                "  {:w$}  {:>10}  {:>9}  {:>8.3}  {:>8}  {:>8}  {:>17}  {:>10}",
                t.term,
                sig(t.estimate),
                sig(t.std_error),
                t.z,
                pvalue(t.p_value),
                sig(t.hazard_ratio),
                format!("[{}, {}]", sig(t.hr_ci_low), sig(t.hr_ci_high)),
                t.hr_per_sd.map_or("–".into(), sig)
            );
        }
        let _ = writeln!(o, "  {}", crate::report::words::cox_fit(c));
        if let Some(s) = &c.separation {
            let _ = writeln!(o, "  note: {s}");
        }
        for t in &c.dropped_terms {
            let _ = writeln!(o, "  left out: {} ({})", t.term, t.reason);
        }
        let _ = writeln!(o, "  per-driver LR tests:");
        for t in &c.driver_tests {
            let _ = writeln!(
                o,
                "    {:w$}  χ² = {:>9.3} on {} df  p {:>9}  q {:>9}{}",
                t.driver,
                t.lr_statistic,
                t.df,
                p_is(t.p_value),
                p_is(t.q_value),
                if t.significant { "  significant" } else { "" }
            );
        }
    }
    if let Some(ph) = &r.ph_test {
        let _ = writeln!(
            o,
            "\nProportional-hazards check (scaled Schoenfeld residuals, {} transform):",
            ph.transform.as_str()
        );
        for t in &ph.terms {
            let _ = writeln!(
                o,
                "  {:30}  χ² = {:>8.3}  p = {}",
                t.term,
                t.statistic,
                pvalue(t.p_value)
            );
        }
        if let Some(g) = &ph.global {
            let _ = writeln!(
                o,
                "  {:30}  χ² = {:>8.3} on {} df  p = {}",
                "GLOBAL",
                g.statistic,
                g.df,
                pvalue(g.p_value)
            );
        }
        for w in &r.ph_warnings {
            let _ = writeln!(o, "  warning: {w}");
        }
    }
    if !r.rmst.is_empty() {
        let _ = writeln!(o, "\nRestricted mean survival time:");
        for x in &r.rmst {
            let _ = writeln!(
                o,
                "  {:24}  RMST({}) = {} ± {} (SE)",
                x.group,
                short(x.tau),
                sig(x.rmst),
                sig(x.std_error)
            );
        }
    }
    for c in r.comparison.iter().filter(|c| c.note.is_some()) {
        let _ = writeln!(
            o,
            "\n{}: {}",
            c.label,
            c.note.as_deref().unwrap_or_default()
        );
    }
    for n in &r.notes {
        let _ = writeln!(o, "note: {n}");
    }
    o
}

/// `validate`'s line on how time to churn is measured.
pub fn durations_line(s: &crate::data::LoadSummary) -> Option<String> {
    let d = s.durations.as_ref()?;
    let window = d
        .window
        .as_ref()
        .map_or(String::new(), |(a, b)| format!(", window {a} to {b}"));
    let entry = if d.left_truncation {
        format!(
            ", {} accounts enter at the window's start (delayed entry)",
            thousands(s.left_truncated)
        )
    } else {
        String::new()
    };
    Some(format!(
        "durations: from {} ({}) in {}{window}{entry}",
        d.kind,
        d.columns.join(", "),
        d.unit
    ))
}
