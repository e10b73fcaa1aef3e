//! The executive summary as plain data: the verdict in sentences, the
//! recommended KPIs with status lights, the headline retention figures with
//! their quarter-over-quarter change, and the top reasons. The HTML report
//! and `summary.md` (`markdown.rs`) both render this one struct, so they
//! cannot disagree.

use serde::Serialize;

use crate::config::DriverKind;
use crate::format::{money_in, percent, pvalue, sig, thousands};
use crate::kpis::{Direction, Grain, KpiKey, PeriodRow, Status, Verdict};
use crate::pareto::ParetoRow;
use crate::results::Results;

pub use super::cards::{Headline, Light};

/// One recommended effectiveness KPI.
#[derive(Debug, Clone, Serialize)]
pub struct KpiLine {
    pub rank: usize,
    pub label: String,
    pub indicator: &'static str,
    /// Current value, formatted.
    pub value: String,
    /// Effect on churn, e.g. `−4.1 pp churn per +1 SD`.
    pub effect: String,
    pub q_value: String,
    pub arr_at_stake: String,
    /// What to aim for, in words.
    pub target: String,
    pub light: Light,
}

/// One of the top reasons.
#[derive(Debug, Clone, Serialize)]
pub struct TopReason {
    pub rank: usize,
    pub reason: String,
    pub value: String,
    pub share: String,
}

/// The executive summary.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub study: String,
    /// Accounts, churn and the window, in one line.
    pub scope: String,
    /// The verdict, a few sentences.
    pub verdict: Vec<String>,
    pub kpis: Vec<KpiLine>,
    pub headlines: Vec<Headline>,
    pub headline_note: Option<String>,
    /// Renewal rates of the last closed quarter, and the current quarter's
    /// quota closed and attained (none without renewals).
    pub renewal_headlines: Vec<Headline>,
    pub top_by_count: Vec<TopReason>,
    pub top_by_revenue: Vec<TopReason>,
    /// The revenue column the revenue ranking weighs by.
    pub revenue_label: Option<String>,
}

const TOP: usize = 3;

impl Summary {
    /// Reads the summary off a run's results.
    pub fn of(r: &Results) -> Self {
        let a = &r.data.accounts;
        let mut scope = format!(
            "{} accounts, {} churned ({})",
            thousands(a.rows),
            thousands(a.churned),
            percent(a.churn_rate, 1)
        );
        if let Some(rev) = &r.data.revenue {
            scope.push_str(&format!(
                "; monthly revenue {} to {}",
                rev.first_month, rev.last_month
            ));
        }
        Summary {
            study: r.study.clone(),
            scope,
            verdict: verdict(r),
            kpis: kpi_lines(r),
            headlines: headlines(r),
            renewal_headlines: super::summary_renewals::renewal_headlines(r),
            headline_note: if r.kpis.periods.is_none() {
                Some(
                    "No monthly revenue table in the config: GRR, NRR and ARPA are not computed."
                        .into(),
                )
            } else {
                None
            },
            top_by_count: top(r, false),
            top_by_revenue: top(r, true),
            revenue_label: r.pareto.as_ref().and_then(|p| p.revenue_column.clone()),
        }
    }
}

/// Time to churn in one sentence, plus one per driver whose logistic and Cox
/// verdicts disagree.
fn survival_verdict(r: &Results) -> Vec<String> {
    let Some(s) = &r.survival else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let median = match s.kpis.median_lifetime {
        Some(m) => format!("half of the customers have left after {m:.1} {}", s.unit),
        None => {
            "more than half of the customers are still customers at the end of follow-up".into()
        }
    };
    let at = s.kpis.survival_at.map_or(String::new(), |(h, v, _, _)| {
        format!(
            "; {} are still customers {} {} after they start",
            percent(v, 0),
            crate::format::short(h),
            s.unit
        )
    });
    out.push(format!("Time to churn (Kaplan–Meier): {median}{at}."));
    for c in &s.comparison {
        if let Some(n) = &c.note {
            out.push(format!("{}: {n}", c.label));
        }
    }
    out
}

fn verdict(r: &Results) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(rec) = &r.kpis.recommendation {
        let names: Vec<String> = rec.recommended().map(|c| c.label.clone()).collect();
        let n = r.drivers.drivers.len();
        if names.is_empty() {
            out.push(format!(
                "None of the {n} candidate drivers is significant, controllable and large enough to recommend as an effectiveness KPI."
            ));
        } else {
            out.push(format!(
                "{} of {n} candidate drivers move churn, can be influenced by the team, and clear the effect floor: {}. Track these as the team's effectiveness KPIs.",
                names.len(),
                join_names(&names)
            ));
        }
        for c in &rec.candidates {
            if c.verdict == Verdict::Confounded {
                out.push(format!("{}: {}", c.label, c.reason));
            }
        }
        let biggest = rec
            .recommended()
            .filter_map(|c| c.arr_at_stake.map(|s| (c, s)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((c, stake)) = biggest.filter(|(_, s)| *s > 0.0) {
            out.push(format!(
                "The largest lever is {}: {} would keep about {} of churned revenue over a window like this one (model-based estimate).",
                c.label,
                c.counterfactual
                    .clone()
                    .unwrap_or_else(|| "moving the accounts on its worse side".into())
                    .trim_end_matches('.')
                    .chars()
                    .enumerate()
                    .map(|(i, ch)| if i == 0 { ch.to_ascii_lowercase() } else { ch })
                    .collect::<String>(),
                money_in(stake, r.currency.as_deref())
            ));
        }
    } else if r.drivers.model.is_none() {
        out.push("The multivariable model could not be fitted, so no KPI is recommended; see the driver section.".into());
    }
    if let Some(p) = &r.pareto {
        let by_count = p.overall.by_frequency.first();
        let by_rev = p.overall.by_revenue.as_ref().and_then(|v| v.first());
        match (by_count, by_rev) {
            (Some(c), Some(v)) if c.reason != v.reason => out.push(format!(
                "The most frequent cancellation reason is {} ({} of churned accounts), but the most expensive is {} ({} of lost revenue).",
                c.reason,
                percent(c.share, 0),
                v.reason,
                percent(v.share, 0)
            )),
            (Some(c), _) => out.push(format!(
                "The top cancellation reason is {} ({} of churned accounts).",
                c.reason,
                percent(c.share, 0)
            )),
            _ => {}
        }
    }
    out.extend(survival_verdict(r));
    let signals: Vec<String> = r
        .kpis
        .control
        .iter()
        .filter(|k| k.judges)
        .filter_map(|k| {
            let last = k.chart.points.last()?;
            (!last.violations.is_empty()).then(|| format!("{} at {}", k.title, last.label))
        })
        .collect();
    if !r.kpis.control.is_empty() {
        if signals.is_empty() {
            out.push(
                "The latest month of every charted retention KPI is within its control limits."
                    .into(),
            );
        } else {
            out.push(format!(
                "Special-cause signal in the latest month: {}.",
                signals.join("; ")
            ));
        }
    }
    out
}

fn join_names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [a] => a.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn kpi_lines(r: &Results) -> Vec<KpiLine> {
    let Some(rec) = &r.kpis.recommendation else {
        return Vec::new();
    };
    rec.recommended()
        .map(|c| {
            let key = KpiKey::Driver(c.driver.clone());
            let feed = r.kpis.feed.iter().find(|f| f.kpi == key);
            let value = feed.and_then(|f| f.value).map_or("–".into(), |v| {
                if feed.is_some_and(|f| f.unit == "fraction") {
                    percent(v, 1)
                } else {
                    sig(v)
                }
            });
            let effect = c.ame.map_or("–".into(), |a| {
                let basis = match c.kind {
                    DriverKind::Numeric | DriverKind::Ordinal => " per +1 SD",
                    DriverKind::Binary => ", yes vs no",
                    DriverKind::Categorical => ", largest level",
                };
                format!("{:+.1} pp churn{basis}", 100.0 * a)
            });
            let target = match (c.kind, c.higher_is_better) {
                (DriverKind::Categorical, _) | (_, None) => c
                    .counterfactual
                    .clone()
                    .unwrap_or_else(|| format!("move {}", c.label)),
                (_, Some(true)) => format!("raise {}", c.label),
                (_, Some(false)) => format!("lower {}", c.label),
            };
            KpiLine {
                rank: c.rank.unwrap_or(0),
                label: c.label.clone(),
                indicator: c.indicator.as_str(),
                value,
                effect,
                q_value: c.q_value.map_or("–".into(), pvalue),
                arr_at_stake: c
                    .arr_at_stake
                    .map_or("–".into(), |x| money_in(x, r.currency.as_deref())),
                target,
                light: r.kpis.control.iter().find(|k| k.kpi == key).map_or_else(
                    || Light::grey("not charted: no start-month cohorts"),
                    |k| {
                        let mut l = Light::of(&k.status);
                        l.text = format!("{} (new-account cohorts)", l.text);
                        l
                    },
                ),
            }
        })
        .collect()
}

/// GRR, NRR, logo churn and ARPA for the latest complete quarter, with the
/// change from the quarter before and the light of the monthly chart.
fn headlines(r: &Results) -> Vec<Headline> {
    let Some(p) = &r.kpis.periods else {
        return Vec::new();
    };
    let quarters: Vec<_> = p.of(Grain::Quarter).filter(|q| !q.partial).collect();
    let Some(cur) = quarters.last() else {
        return Vec::new();
    };
    let prev = quarters.len().checked_sub(2).map(|i| quarters[i]);
    type Get = fn(&PeriodRow) -> Option<f64>;
    let items: [(&'static str, &str, Direction, Get, bool); 4] = [
        (
            "grr",
            "Gross revenue retention",
            Direction::HigherIsBetter,
            |q| q.grr,
            true,
        ),
        (
            "nrr",
            "Net revenue retention",
            Direction::HigherIsBetter,
            |q| q.nrr,
            true,
        ),
        (
            "logo_churn_rate",
            "Logo churn",
            Direction::LowerIsBetter,
            |q| q.logo_churn_rate,
            true,
        ),
        (
            "arpa",
            "ARPA (MRR per account)",
            Direction::HigherIsBetter,
            |q| q.arpa,
            false,
        ),
    ];
    items
        .iter()
        .filter_map(|(kpi, label, dir, get, is_rate)| {
            let v = get(cur)?;
            let value = if *is_rate {
                percent(v, 1)
            } else {
                money_in(v, r.currency.as_deref())
            };
            let (change, class) = match prev.and_then(|q| get(q).map(|b| (q, b))) {
                Some((q, b)) => super::cards::change(
                    v,
                    b,
                    *is_rate,
                    *dir == Direction::HigherIsBetter,
                    &q.period,
                ),
                None => ("no earlier quarter".to_string(), "flat"),
            };
            let chart = r
                .kpis
                .control
                .iter()
                .find(|k| k.kpi == KpiKey::Named(kpi) && k.judges);
            let light = chart.map_or(Light::of(&Status::NoChart), |k| {
                let mut l = Light::of(&k.status);
                if k.change {
                    l.text = format!("{} (month-over-month change)", l.text);
                }
                l
            });
            Some(Headline {
                label: label.to_string(),
                period: cur.period.clone(),
                value,
                change,
                change_class: class,
                light,
            })
        })
        .collect()
}

fn top(r: &Results, by_revenue: bool) -> Vec<TopReason> {
    let Some(p) = &r.pareto else {
        return Vec::new();
    };
    let rows: &[ParetoRow] = if by_revenue {
        match &p.overall.by_revenue {
            Some(v) => v,
            None => return Vec::new(),
        }
    } else {
        &p.overall.by_frequency
    };
    rows.iter()
        .take(TOP)
        .map(|row| TopReason {
            rank: row.rank,
            reason: row.reason.clone(),
            value: if by_revenue {
                money_in(row.revenue, r.currency.as_deref())
            } else {
                thousands(row.count)
            },
            share: percent(row.share, 1),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run-chart signal's light names Anhøj's rule and the run.
    #[test]
    fn run_signal_light_names_the_rule() {
        let runs = crate::spc::runs::anhoj(
            &[
                1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0,
            ],
            2.0,
            1,
        );
        let l = Light::of(&Status::Runs {
            through: "2024-12".into(),
            runs,
            from: "2024-01".into(),
            to: "2024-08".into(),
        });
        assert_eq!(l.colour, "amber");
        assert!(l.text.contains("Anhøj long run"), "{}", l.text);
        assert!(l.text.contains("Anhøj crossings"), "{}", l.text);
        assert!(l.text.contains("2024-01 to 2024-08"), "{}", l.text);
    }

    #[test]
    fn names_join_in_english() {
        let n = |v: &[&str]| join_names(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(n(&["A"]), "A");
        assert_eq!(n(&["A", "B"]), "A and B");
        assert_eq!(n(&["A", "B", "C"]), "A, B and C");
    }
}
