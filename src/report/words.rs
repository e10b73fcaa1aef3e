//! Sentences that more than one renderer says (the HTML page, the terminal
//! text), written once so the views cannot drift apart.

use crate::format::{percent, sig};
use crate::kpis::Efficiency;
use crate::spc::{Dispersion, Kind, Runs};

/// The efficiency finding in one sentence: how many CSM books churn outside
/// the 3-sigma funnel limits for their size.
pub fn funnel_sentence(e: &Efficiency) -> String {
    format!(
        "Logo churn per {} book: {} books, overall {}. {} book(s) churn above and {} below the 3-sigma funnel limits for their size; only those differ by more than chance.",
        e.owner_column,
        e.owners.len(),
        percent(e.center, 1),
        e.n_above,
        e.n_below
    )
}

/// The run-chart verdict of a phase (Anhøj's rules), in one sentence.
pub fn runs_sentence(r: &Runs) -> String {
    if r.useful == 0 {
        return "Run chart (Anhøj): every point is on the median, so runs cannot be judged.".into();
    }
    let mut s = format!(
        "Run chart (Anhøj, median {}): longest run {} point{} (more than {} signals a shift), {} crossing{} of the median (fewer than {} signals one), over {} points off the median",
        sig(r.center),
        r.longest_run,
        if r.longest_run == 1 { "" } else { "s" },
        r.longest_run_max,
        r.crossings,
        if r.crossings == 1 { "" } else { "s" },
        r.crossings_min,
        r.useful
    );
    s.push_str(match (r.long_run, r.few_crossings) {
        (false, false) => ": no signal, the variation looks random.",
        (true, false) => ": signal, an unusually long run.",
        (false, true) => ": signal, unusually few crossings.",
        (true, true) => ": signal, an unusually long run and unusually few crossings.",
    });
    s
}

/// The P- or U-chart diagnostic in one sentence, with the chart it points to.
pub fn dispersion_sentence(d: &Dispersion) -> String {
    let model = match d.recommended {
        Kind::P | Kind::LaneyP => "binomial",
        _ => "Poisson",
    };
    format!(
        "Dispersion diagnostic: observed ÷ expected ({model}) variation σz = {}; Pearson X² = {} on {} df (factor {}), p {} for more and {} for less variation than {model}: {}, so judge by the {}.",
        sig(d.ratio),
        sig(d.pearson),
        d.df,
        sig(d.factor),
        crate::format::p_is(d.p_over),
        crate::format::p_is(d.p_under),
        d.verdict(),
        d.recommended.title()
    )
}

/// The Cox model's fit statistics in one sentence (the report and the terminal).
pub fn cox_fit(c: &crate::survival::CoxReport) -> String {
    use crate::format::{fixed, p_is};
    format!(
        "Log partial likelihood {:.2} (null {:.2}); LR χ² {:.1} on {} df, p {}; Wald χ² {:.1}, p {}; score χ² {}; concordance (Harrell's C) {}; AIC {:.1}.",
        c.log_partial_likelihood,
        c.log_partial_likelihood_null,
        c.lr_statistic,
        c.lr_df,
        p_is(c.lr_p_value),
        c.wald_statistic,
        p_is(c.wald_p_value),
        c.score_statistic.map_or("–".into(), |v| format!("{v:.1}")),
        fixed(c.concordance, 3),
        c.aic
    )
}
