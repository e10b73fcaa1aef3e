//! Control charts of the KPIs: Laney p′ and p charts of monthly logo churn,
//! XmR charts of monthly GRR, NRR and ARPA, and each recommended driver over
//! start-month cohorts; and each chart's [`Status`], judged here once so that
//! every view (summary, report, feed) shows the same light.

use serde::Serialize;

use crate::data::Month;
use crate::spc::{chart, ControlChart, Kind, Options, Point, Rule, Runs, Series};

use super::definitions::{Direction, KpiKey, Pick};
use super::feed::FeedRow;
use super::period::{Grain, PeriodKpis, PeriodRow};

/// One KPI's control chart.
#[derive(Debug, Clone, Serialize)]
pub struct KpiControl {
    /// The feed KPI it judges.
    pub kpi: KpiKey,
    /// File stem of its picture under `charts/`.
    pub stem: String,
    pub title: String,
    pub chart: ControlChart,
    /// This chart judges its KPI (status, feed, summary). Logo churn is drawn
    /// as a p and a Laney p′ chart; the one its dispersion diagnostic
    /// recommends judges. A drifting level is judged by its change chart.
    pub judges: bool,
    /// The chart plots the KPI's month-over-month change, not its level.
    pub change: bool,
    /// Which way is better, as the KPI's feed rows say.
    #[serde(skip)]
    pub direction: Direction,
    /// The judgement of the latest points, for the status lights.
    #[serde(skip)]
    pub status: Status,
}

impl KpiControl {
    pub(super) fn new(kpi: KpiKey, stem: String, title: String, chart: ControlChart) -> Self {
        KpiControl {
            kpi,
            stem,
            title,
            status: Status::of_chart(&chart, Direction::Neutral),
            chart,
            judges: true,
            change: false,
            direction: Direction::Neutral,
        }
    }

    /// Takes the direction from the feed rows of its KPI and judges the
    /// status with it.
    pub(super) fn judge(&mut self, feed: &[FeedRow]) {
        self.direction = feed
            .iter()
            .find(|f| f.kpi == self.kpi)
            .map_or(Direction::Neutral, |f| f.direction);
        self.status = Status::of_chart(&self.chart, self.direction);
    }
}

/// A status light's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Colour {
    Green,
    Amber,
    Red,
    Grey,
}

impl Colour {
    pub fn as_str(self) -> &'static str {
        match self {
            Colour::Green => "green",
            Colour::Amber => "amber",
            Colour::Red => "red",
            Colour::Grey => "grey",
        }
    }
}

/// What a KPI's control chart says about its latest points.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// No point to judge.
    NoChart,
    /// The latest point breaks `rules`, in the good (`better`) or bad direction.
    Signal {
        at: String,
        rules: Vec<Rule>,
        better: bool,
    },
    /// One of the two points before the latest breaks `rules`; the latest is
    /// in control.
    Recent { at: String, rules: Vec<Rule> },
    /// No point breaks a 3σ rule lately, but the run chart of the latest
    /// phase signals (Anhøj): a shift or trend the limits do not show.
    /// `from` and `to` label the longest run.
    Runs {
        through: String,
        runs: Runs,
        from: String,
        to: String,
    },
    /// The last three points are in control.
    InControl { through: String },
}

impl Status {
    /// Judges `c`, latest point first: a signal there is amber when it goes
    /// the good way and red when it goes the bad way (or the KPI has no good
    /// way); a signal in one of the two points before is amber; so is a
    /// run-chart signal (Anhøj) in the latest phase; else green.
    pub fn of_chart(c: &ControlChart, direction: Direction) -> Self {
        let Some(last) = c.points.last() else {
            return Status::NoChart;
        };
        if !last.violations.is_empty() {
            let up = last.value > last.center;
            let better = match direction {
                Direction::HigherIsBetter => up,
                Direction::LowerIsBetter => !up,
                Direction::Neutral => false,
            };
            return Status::Signal {
                at: last.label.clone(),
                rules: last.violations.clone(),
                better,
            };
        }
        let recent = c
            .points
            .iter()
            .rev()
            .take(3)
            .find(|p| !p.violations.is_empty());
        match recent {
            Some(p) => Status::Recent {
                at: p.label.clone(),
                rules: p.violations.clone(),
            },
            None => match c.runs().filter(|r| r.signal()) {
                Some(r) => {
                    let label = |i: usize| {
                        c.points
                            .get(i.wrapping_sub(1))
                            .map_or(String::new(), |p| p.label.clone())
                    };
                    Status::Runs {
                        through: last.label.clone(),
                        runs: *r,
                        from: label(r.longest_first),
                        to: label(r.longest_last),
                    }
                }
                None => Status::InControl {
                    through: last.label.clone(),
                },
            },
        }
    }

    pub fn colour(&self) -> Colour {
        match self {
            Status::NoChart => Colour::Grey,
            Status::Signal { better: true, .. } | Status::Recent { .. } | Status::Runs { .. } => {
                Colour::Amber
            }
            Status::Signal { better: false, .. } => Colour::Red,
            Status::InControl { .. } => Colour::Green,
        }
    }
}

/// Laney p′ and p charts of monthly logo churn, XmR charts of monthly GRR,
/// NRR and ARPA (Western Electric rules), on non-partial month rows.
pub fn control_charts(p: &PeriodKpis) -> Vec<KpiControl> {
    let rows: Vec<&PeriodRow> = p
        .of(Grain::Month)
        .filter(|r| r.counts.cohort > 0 && r.grr.is_some())
        .collect();
    if rows.len() < 3 {
        return Vec::new();
    }
    let labels: Vec<String> = rows.iter().map(|r| r.period.clone()).collect();
    let mut out = Vec::new();
    let counts = Series {
        labels: labels.clone(),
        values: rows.iter().map(|r| r.counts.churned as f64).collect(),
        sizes: Some(rows.iter().map(|r| r.counts.cohort as f64).collect()),
        ..Series::default()
    };
    for (kind, stem, title) in [
        (
            Kind::LaneyP,
            "control_logo_churn_laney",
            "Monthly logo churn, Laney p′ chart",
        ),
        (
            Kind::P,
            "control_logo_churn_p",
            "Monthly logo churn, p chart",
        ),
    ] {
        if let Ok(c) = chart(&counts, &Options::new(kind)) {
            out.push(KpiControl::new(
                KpiKey::LOGO_CHURN,
                stem.into(),
                title.into(),
                c,
            ));
        }
    }
    // Of the two logo-churn charts, the diagnostic's choice judges.
    let recommended = out
        .iter()
        .find_map(|k| k.chart.dispersion().map(|d| d.recommended));
    for k in &mut out {
        k.judges = recommended.map_or(true, |r| r == k.chart.chart);
    }
    let picks: [(&'static str, &str, Pick); 3] = [
        ("grr", "Monthly GRR", |r| r.grr),
        ("nrr", "Monthly NRR", |r| r.nrr),
        ("arpa", "Monthly ARPA", |r| r.arpa),
    ];
    for (kpi, name, pick) in picks {
        let values: Vec<f64> = rows.iter().map(|r| pick(r).unwrap_or(f64::NAN)).collect();
        let s = Series {
            labels: labels.clone(),
            values: values.clone(),
            ..Series::default()
        };
        let Ok(c) = chart(&s, &Options::new(Kind::Xmr)) else {
            continue;
        };
        let mut level = KpiControl::new(
            KpiKey::Named(kpi),
            format!("control_{kpi}_xmr"),
            format!("{name}, individuals (XmR) chart"),
            c,
        );
        // A level that drifts (its run chart signals: ARPA lifted by steady
        // expansion) is judged by its month-over-month change instead: a
        // trend is not a special cause to chase every month.
        let change = level
            .chart
            .runs()
            .is_some_and(|r| r.signal())
            .then(|| {
                let d = Series {
                    labels: labels[1..].to_vec(),
                    values: values.windows(2).map(|w| w[1] - w[0]).collect(),
                    ..Series::default()
                };
                chart(&d, &Options::new(Kind::Xmr)).ok()
            })
            .flatten();
        match change {
            Some(d) => {
                level.judges = false;
                out.push(level);
                let mut c = KpiControl::new(
                    KpiKey::Named(kpi),
                    format!("control_{kpi}_change_xmr"),
                    format!("{name}, month-over-month change, individuals (XmR) chart"),
                    d,
                );
                c.change = true;
                out.push(c);
            }
            None => out.push(level),
        }
    }
    out
}

/// The renewal rates' charts over the months before the as-of date with a
/// decided renewal (`rows`: the monthly rows of everyone): the logo renewal
/// rate as a p chart, or Laney p′ when its diagnostic finds the months vary
/// more than binomial noise; the gross and net dollar renewal rates as XmR
/// charts. Fewer than three such months: no charts.
pub(super) fn renewal_charts(
    rows: &[&crate::renewals::RenewalRow],
    as_of: Month,
) -> Vec<KpiControl> {
    let rows: Vec<_> = rows
        .iter()
        .filter(|r| r.sums.decided > 0 && r.end_month < as_of)
        .collect();
    if rows.len() < 3 {
        return Vec::new();
    }
    let labels: Vec<String> = rows.iter().map(|r| r.period.clone()).collect();
    let mut out = Vec::new();
    let logo = Series {
        labels: labels.clone(),
        values: rows.iter().map(|r| r.sums.renewed as f64).collect(),
        sizes: Some(rows.iter().map(|r| r.sums.decided as f64).collect()),
        ..Series::default()
    };
    if let Ok((c, title)) =
        diagnosed_chart(&logo, Kind::P, Kind::LaneyP, "Monthly logo renewal rate")
    {
        out.push(KpiControl::new(
            KpiKey::Named("logo_renewal_rate"),
            "control_logo_renewal_rate".into(),
            title,
            c,
        ));
    }
    let dollar = crate::renewals::RENEWAL_KPIS
        .iter()
        .filter(|x| x.key.ends_with("dollar_renewal_rate"));
    for x in dollar {
        let (kpi, name) = (x.key, format!("Monthly {}", x.label.to_lowercase()));
        let s = Series {
            labels: labels.clone(),
            values: rows
                .iter()
                .map(|r| (x.pick)(r).unwrap_or(f64::NAN))
                .collect(),
            ..Series::default()
        };
        if let Ok(c) = chart(&s, &Options::new(Kind::Xmr)) {
            out.push(KpiControl::new(
                KpiKey::Named(kpi),
                format!("control_{kpi}_xmr"),
                format!("{name}, individuals (XmR) chart"),
                c,
            ));
        }
    }
    out
}

/// The `plain` chart of `series` (p or u), or its Laney version when the
/// plain chart's dispersion diagnostic finds the subgroups vary more or less
/// than binomial (Poisson) noise (Laney 2002); `what` names the statistic.
pub(super) fn diagnosed_chart(
    series: &Series,
    plain: Kind,
    laney: Kind,
    what: &str,
) -> crate::error::Result<(ControlChart, String)> {
    let base = chart(series, &Options::new(plain))?;
    if base.dispersion().is_some_and(|d| d.recommended == laney) {
        Ok((
            chart(series, &Options::new(laney))?,
            format!("{what}, {}", laney.title()),
        ))
    } else {
        Ok((base, format!("{what}, {}", plain.title())))
    }
}

/// The status text of a chart's point.
fn point_status(p: &Point) -> String {
    if p.violations.is_empty() {
        "in control".to_string()
    } else {
        format!("signal: {}", crate::spc::rules::codes(&p.violations, ","))
    }
}

/// Fills the feed's `status` for monthly rows from the charts (Laney p′
/// judges logo churn and logo retention); a recommended driver's snapshot
/// row gets the status of its latest start-month cohort.
pub(super) fn fill_status(feed: &mut [FeedRow], control: &[KpiControl]) {
    for k in control {
        if !k.judges {
            continue;
        }
        if matches!(k.kpi, KpiKey::Driver(_)) {
            if let Some(p) = k.chart.points.last() {
                let status = format!("{} (start cohort {})", point_status(p), p.label);
                for f in feed.iter_mut().filter(|f| f.kpi == k.kpi) {
                    f.status = Some(status.clone());
                }
            }
            continue;
        }
        let targets: Vec<KpiKey> = if k.kpi == KpiKey::LOGO_CHURN {
            vec![KpiKey::LOGO_CHURN, KpiKey::Named("logo_retention")]
        } else {
            vec![k.kpi.clone()]
        };
        for p in &k.chart.points {
            let status = point_status(p);
            for f in feed.iter_mut().filter(|f| {
                f.grain == Grain::Month
                    && f.segment == "all"
                    && f.period == p.label
                    && targets.contains(&f.kpi)
            }) {
                f.status = Some(status.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(v: &[f64]) -> Series {
        Series {
            labels: (1..=v.len()).map(|i| format!("m{i:02}")).collect(),
            values: v.to_vec(),
            ..Series::default()
        }
    }

    /// A step up halfway: no point breaks 3σ on an XmR chart judged by rule 1
    /// alone, but the run chart's rules fire, so the light is amber and
    /// names the run (the first of the two longest: m01 to m10, below the
    /// median).
    #[test]
    fn a_run_chart_signal_turns_the_light_amber() {
        let v: Vec<f64> = (0..20)
            .map(|i| if i < 10 { 1.0 } else { 1.5 } + if i % 2 == 0 { 0.2 } else { -0.2 })
            .collect();
        let mut o = Options::new(Kind::Xmr);
        o.rules = vec![Rule::We1];
        let c = chart(&series(&v), &o).unwrap();
        assert_eq!(c.signals().count(), 0, "no 3σ signal");
        match Status::of_chart(&c, Direction::HigherIsBetter) {
            Status::Runs { runs, from, to, .. } => {
                assert!(runs.long_run && runs.few_crossings);
                assert_eq!((runs.longest_run, runs.longest_above), (10, false));
                assert_eq!((from.as_str(), to.as_str()), ("m01", "m10"));
            }
            s => panic!("expected a run-chart signal, got {s:?}"),
        }
        assert_eq!(
            Status::of_chart(&c, Direction::Neutral).colour(),
            Colour::Amber
        );
        // Random-looking variation around one level: green.
        let flat: Vec<f64> = (0..20)
            .map(|i| 1.0 + if i % 2 == 0 { 0.2 } else { -0.2 })
            .collect();
        let c = chart(&series(&flat), &o).unwrap();
        assert_eq!(
            Status::of_chart(&c, Direction::Neutral).colour(),
            Colour::Green
        );
    }
}
