//! What `churnlab renewals --format table` prints: where the renewals come
//! from and the renewal KPIs of everyone per period of one grain
//! (`--table kpis`), the renewals at risk (`at-risk`), and the backtest's
//! measures (`validation`).

use std::fmt::Write;

use crate::config::Grain;
use crate::format::{money, percent, thousands};
use crate::forward::ForwardReport;
use crate::renewals::RenewalReport;

/// The renewal KPIs of everyone at `grain`, one line per period.
pub fn renewals(r: &RenewalReport, grain: Grain) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "renewals: {} ({} renewed, {} churned, {} open, {} late) from {}; as of {}, term {} months",
        thousands(r.renewals),
        thousands(r.renewed),
        thousands(r.churned),
        thousands(r.open),
        thousands(r.late),
        r.source,
        r.as_of,
        r.term_months
    );
    let _ = writeln!(
        o,
        "\n  {:8}  {:>6}  {:>14}  {:>14}  {:>7}  {:>7}  {:>7}  {:>7}  {:>7}  {:>6}  {:>5}",
        grain.as_str(),
        "due",
        "quota",
        "closed",
        "closed%",
        "gross$",
        "net$",
        "logo",
        "attain",
        "open",
        "late"
    );
    let pc = |x: Option<f64>| x.map_or("–".into(), |v| percent(v, 1));
    for x in r.of(grain, "all") {
        let s = &x.sums;
        let _ = writeln!(
            o,
            "  {:8}  {:>6}  {:>14}  {:>14}  {:>7}  {:>7}  {:>7}  {:>7}  {:>7}  {:>6}  {:>5}",
            x.period,
            thousands(s.due),
            money(s.quota),
            money(s.closed),
            pc(x.closed_share),
            pc(x.gross_dollar_renewal_rate),
            pc(x.net_dollar_renewal_rate),
            pc(x.logo_renewal_rate),
            pc(x.quota_attainment),
            thousands(s.open),
            thousands(s.late)
        );
    }
    let _ = writeln!(
        o,
        "\nEvery grain (month, quarter, YTD), segment and owner: --format csv or json."
    );
    o
}

/// `validate`'s line on the renewals loaded, when the study has them.
pub fn renewals_line(s: &crate::data::LoadSummary) -> Option<String> {
    let r = s.renewals.as_ref()?;
    Some(format!(
        "renewals: {} rows ({} open), due {} to {}, as of {}, from {}",
        thousands(r.rows),
        thousands(r.open),
        r.first_due.as_deref().unwrap_or("–"),
        r.last_due.as_deref().unwrap_or("–"),
        r.as_of,
        r.source
    ))
}

/// The renewals at risk: the verdict, then the top `top` with their levers.
pub fn at_risk(f: &ForwardReport, top: usize) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}", f.verdict);
    let _ = writeln!(
        o,
        "{} open renewals due {} to {} ({} ARR due, {} expected lost); the top {}:",
        thousands(f.open_renewals),
        f.window.0,
        f.window.1,
        money(f.arr_due),
        money(f.expected_arr_lost),
        top.min(f.at_risk.len())
    );
    for (why, n) in &f.unscored {
        let _ = writeln!(o, "  ({} not scored: {why})", thousands(*n));
    }
    for x in f.at_risk.iter().take(top) {
        let _ = writeln!(
            o,
            "\n  {:>3}. {} (owner {}, ARR {}, due {}{}): {} risk ({}–{}), {} expected lost",
            x.rank,
            x.account,
            x.owner.as_deref().unwrap_or("–"),
            money(x.risk.arr_due),
            x.risk.due,
            if x.risk.late { ", late" } else { "" },
            percent(x.risk.probability, 1),
            percent(x.risk.probability_low, 1),
            percent(x.risk.probability_high, 1),
            money(x.risk.expected_arr_lost)
        );
        for l in &x.levers {
            let _ = writeln!(o, "       lever: {}", l.text);
        }
        if !x.imputed.is_empty() {
            let _ = writeln!(
                o,
                "       scored at the typical value: {}",
                x.imputed.join(", ")
            );
        }
    }
    o
}

/// The backtest's measures, out of time and in sample, and the verdict.
pub fn validation(f: &ForwardReport) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{}\n{}", f.verdict, crate::forward::FIT_RULE);
    let Some(b) = &f.backtest else {
        return o;
    };
    let _ = writeln!(
        o,
        "\nrenewals due {} to {}, scored as of {} (out of time: refitted on {} accounts, {} churns)",
        b.window.0,
        b.window.1,
        b.cutoff,
        thousands(b.model_n),
        thousands(b.model_events)
    );
    let _ = writeln!(
        o,
        "\n  {:12} {:>9} {:>8} {:>9} {:>21} {:>7} {:>9} {:>18} {:>6}",
        "scores",
        "renewals",
        "churned",
        "mean",
        "AUC (DeLong 95% CI)",
        "Brier",
        "cal. int",
        "cal. slope (CI)",
        "lift"
    );
    for (name, m) in [
        ("out of time", &b.out_of_time),
        ("in sample", &b.in_sample),
        ("all due", &b.out_of_time_all_due),
    ] {
        let auc = m.discrimination.map_or("–".into(), |d| {
            format!("{:.3} ({:.3}–{:.3})", d.auc, d.ci_low, d.ci_high)
        });
        let (ci, cs) = m.calibration.map_or(("–".into(), "–".into()), |c| {
            (
                format!("{:+.2}", c.intercept),
                format!(
                    "{:.2} ({:.2}–{:.2})",
                    c.slope, c.slope_ci_low, c.slope_ci_high
                ),
            )
        });
        let _ = writeln!(
            o,
            "  {:12} {:>9} {:>8} {:>9} {:>21} {:>7.4} {:>9} {:>18} {:>6}",
            name,
            thousands(m.n),
            thousands(m.events),
            percent(m.mean_predicted, 2),
            auc,
            m.brier,
            ci,
            cs,
            m.top_decile_lift.map_or("–".into(), |v| format!("{v:.2}x"))
        );
    }
    let _ = writeln!(
        o,
        "\n  deciles of out-of-time risk: predicted → observed (95% CI)"
    );
    for (k, d) in b.out_of_time.deciles.iter().enumerate() {
        let _ = writeln!(
            o,
            "  {:>4}  {:>7} → {:>7} ({}–{}), {} of {}",
            k + 1,
            percent(d.predicted, 2),
            percent(d.observed, 2),
            percent(d.ci_low, 1),
            percent(d.ci_high, 1),
            d.events,
            d.n
        );
    }
    o
}
