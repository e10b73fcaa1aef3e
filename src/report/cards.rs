//! The pieces of a summary card: the status light of a KPI's control chart
//! in words and colour, and one headline figure with its change. Shared by
//! the summary's retention and renewal cards, the KPI slide and the
//! report's charts; and the one wording of a KPI's change.

use serde::Serialize;

use crate::kpis::{Colour, Status};
use crate::spc::rules::codes;
use crate::spc::Runs;

/// A status light as shown: the colour of the KPI's judged [`Status`] and
/// the judgement in words.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Light {
    pub colour: &'static str,
    pub text: String,
}

impl Light {
    pub(super) fn grey(text: &str) -> Self {
        Light {
            colour: Colour::Grey.as_str(),
            text: text.to_string(),
        }
    }

    /// Words a chart's status.
    pub fn of(status: &Status) -> Self {
        let text = match status {
            Status::NoChart => "no chart".to_string(),
            Status::Signal { at, rules, better } => format!(
                "signal at {at} ({}), {} than usual",
                codes(rules, ", "),
                if *better { "better" } else { "worse" }
            ),
            Status::Recent { at, rules } => {
                format!("signal at {at} ({}); latest in control", codes(rules, ", "))
            }
            Status::Runs {
                through,
                runs,
                from,
                to,
            } => run_signal(through, runs, from, to),
            Status::InControl { through } => format!("in control through {through}"),
        };
        Light {
            colour: status.colour().as_str(),
            text,
        }
    }
}

/// A run-chart signal in words, naming Anhøj's rule that fired.
fn run_signal(through: &str, r: &Runs, from: &str, to: &str) -> String {
    let mut why = Vec::new();
    if r.long_run {
        why.push(format!(
            "a run of {} points {} the median, {from} to {to} (Anhøj long run: more than {} is unusual)",
            r.longest_run,
            if r.longest_above { "above" } else { "below" },
            r.longest_run_max
        ));
    }
    if r.few_crossings {
        why.push(format!(
            "only {} crossings of the median (Anhøj crossings: fewer than {} is unusual)",
            r.crossings, r.crossings_min
        ));
    }
    format!(
        "no 3σ signal through {through}, but the run chart signals a shift: {}",
        why.join("; ")
    )
}

/// One headline retention figure.
#[derive(Debug, Clone, Serialize)]
pub struct Headline {
    pub label: String,
    pub period: String,
    pub value: String,
    /// e.g. `+1.2 pp vs 2024-Q3`.
    pub change: String,
    /// `good`, `bad` or `flat`, for colouring the change.
    pub change_class: &'static str,
    pub light: Light,
}

/// A KPI's change from `before` to `now`, worded against the period
/// `against` (`+1.2 pp vs 2024-Q3` for a rate, `+3.4 %` otherwise), and
/// whether it is `good`, `bad` or `flat` (under 0.05 pp or 0.05 %) for a
/// KPI where higher is better when `higher_is_better`.
pub fn change(
    now: f64,
    before: f64,
    is_rate: bool,
    higher_is_better: bool,
    against: &str,
) -> (String, &'static str) {
    let d = now - before;
    let flat = if is_rate {
        d.abs() < 0.0005
    } else {
        before == 0.0 || (d / before).abs() < 0.0005
    };
    let text = if is_rate && flat {
        format!("no change vs {against}")
    } else if is_rate {
        format!("{:+.1} pp vs {against}", 100.0 * d)
    } else if before != 0.0 {
        format!("{:+.1} % vs {against}", 100.0 * d / before)
    } else {
        format!("vs {against}")
    };
    let class = if flat {
        "flat"
    } else if (d > 0.0) == higher_is_better {
        "good"
    } else {
        "bad"
    };
    (text, class)
}
