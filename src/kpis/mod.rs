//! Retention KPIs: period KPIs from the MRR table ([`period`]), account and
//! efficiency KPIs from the accounts table ([`account`]), the
//! effectiveness-KPI recommendation from the driver evidence ([`recommend`]),
//! and the flat KPI feed dashboards read.

pub mod account;
pub mod period;
pub mod recommend;

use serde::Serialize;

use crate::config::StudyConfig;
use crate::data::Study;
use crate::drivers::DriverReport;
pub use account::{Efficiency, GroupKpis};
pub use period::{Grain, PeriodKpis, PeriodRow};
pub use recommend::{Candidate, Recommendation, Verdict};

/// Which way is good for a KPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    HigherIsBetter,
    LowerIsBetter,
    /// Context, not a target (e.g. cohort size).
    Neutral,
}

impl Direction {
    /// The direction a driver KPI points, from the model's sign
    /// (`Candidate::higher_is_better`).
    pub fn of_higher_is_better(h: Option<bool>) -> Self {
        match h {
            Some(true) => Direction::HigherIsBetter,
            Some(false) => Direction::LowerIsBetter,
            None => Direction::Neutral,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::HigherIsBetter => "higher_is_better",
            Direction::LowerIsBetter => "lower_is_better",
            Direction::Neutral => "neutral",
        }
    }
}

/// A KPI's name, unit, direction and definition, as printed in the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Definition {
    pub kpi: String,
    pub label: String,
    /// `fraction`, `currency`, `accounts`, `points`, `days`, `score`.
    pub unit: &'static str,
    pub direction: Direction,
    pub definition: String,
}

/// One row of the KPI feed: one KPI in one period (and segment).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedRow {
    pub kpi: String,
    pub period: String,
    /// `month`, `quarter`, `ttm`, `ytd`, or `snapshot` for account KPIs.
    pub grain: String,
    /// `segment=SMB`, or `all`.
    pub segment: String,
    pub value: Option<f64>,
    pub unit: &'static str,
    pub direction: Direction,
    pub definition: String,
    /// `in control` / `signal`, from the control charts when they run.
    pub status: Option<String>,
    /// The period runs past the data.
    pub partial: bool,
    /// Change from the previous period of the same grain.
    pub change_prev: Option<f64>,
    /// Change from the same period a year earlier.
    pub change_yoy: Option<f64>,
    /// Evidence for recommended drivers.
    pub q_value: Option<f64>,
    pub ame: Option<f64>,
    pub arr_at_stake: Option<f64>,
}

/// Everything the KPI stage computes.
#[derive(Debug, Clone, Serialize)]
pub struct KpiReport {
    /// The month (or `all`) account snapshots refer to.
    pub as_of: String,
    pub definitions: Vec<Definition>,
    pub periods: Option<PeriodKpis>,
    pub accounts: Vec<GroupKpis>,
    pub efficiency: Option<Efficiency>,
    pub recommendation: Option<Recommendation>,
    pub feed: Vec<FeedRow>,
    /// Control charts of the monthly KPIs (empty without a revenue table).
    pub control: Vec<KpiControl>,
    pub notes: Vec<String>,
}

/// One KPI's control chart.
#[derive(Debug, Clone, Serialize)]
pub struct KpiControl {
    /// The feed KPI it judges.
    pub kpi: String,
    /// File stem of its picture under `charts/`.
    pub stem: String,
    pub title: String,
    pub chart: crate::spc::ControlChart,
}

/// Laney p′ and p charts of monthly logo churn, XmR charts of monthly GRR,
/// NRR and ARPA (Western Electric rules), on non-partial month rows.
fn control_charts(p: &PeriodKpis) -> Vec<KpiControl> {
    use crate::spc::{chart, Kind, Options, Series};
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
            out.push(KpiControl {
                kpi: "logo_churn_rate".into(),
                stem: stem.into(),
                title: title.into(),
                chart: c,
            });
        }
    }
    let picks: [(&str, &str, Pick); 3] = [
        ("grr", "Monthly GRR, individuals (XmR) chart", |r| r.grr),
        ("nrr", "Monthly NRR, individuals (XmR) chart", |r| r.nrr),
        ("arpa", "Monthly ARPA, individuals (XmR) chart", |r| r.arpa),
    ];
    for (kpi, title, pick) in picks {
        let values: Vec<f64> = rows.iter().map(|r| pick(r).unwrap_or(f64::NAN)).collect();
        let s = Series {
            labels: labels.clone(),
            values,
            ..Series::default()
        };
        if let Ok(c) = chart(&s, &Options::new(Kind::Xmr)) {
            out.push(KpiControl {
                kpi: kpi.into(),
                stem: format!("control_{kpi}_xmr"),
                title: title.into(),
                chart: c,
            });
        }
    }
    out
}

/// Fewest start-month cohorts a driver chart needs.
const MIN_COHORTS: usize = 6;

/// Each recommended driver over start-month cohorts: are new accounts still
/// getting the training, onboarding, adoption … the model rewards? An X̄-S
/// chart of the cohort values (numeric, ordinal) or a Laney p′ chart of the
/// share with yes (binary), over the revenue window's months (else the last
/// 24 start months). Needs `accounts.start_date`; returns a note when a
/// driver cannot be charted.
fn driver_charts(
    a: &crate::data::Accounts,
    rec: &Recommendation,
    window: Option<(crate::data::parse::Month, crate::data::parse::Month)>,
) -> (Vec<KpiControl>, Option<String>) {
    use crate::data::parse::Month;
    use crate::spc::{chart, Kind, Options, Series};
    let picked: Vec<&Candidate> = rec
        .recommended()
        .filter(|c| c.kind != crate::config::DriverKind::Categorical)
        .collect();
    if picked.is_empty() {
        return (Vec::new(), None);
    }
    let Some(start) = &a.start_date else {
        return (
            Vec::new(),
            Some("No start-date column (accounts.start_date), so the recommended driver KPIs are not charted over start-month cohorts; their status stays empty.".into()),
        );
    };
    let months: Vec<Option<Month>> = start.values.iter().map(|d| d.map(Month::of)).collect();
    let (first, last) = match window {
        Some(w) => w,
        None => match months.iter().flatten().max() {
            Some(&m) => (m.plus(-23), m),
            None => return (Vec::new(), None),
        },
    };
    let n_months = (last.0 - first.0 + 1).max(0) as usize;
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for c in picked {
        let Some(d) = a.drivers.iter().find(|d| d.config.column == c.driver) else {
            continue;
        };
        let crate::data::DriverValues::Numeric(v) = &d.values else {
            continue;
        };
        let mut groups: Vec<Vec<f64>> = vec![Vec::new(); n_months];
        for (x, m) in v.iter().zip(&months) {
            if let Some(m) = m.filter(|m| *m >= first && *m <= last) {
                if !x.is_nan() {
                    groups[(m.0 - first.0) as usize].push(*x);
                }
            }
        }
        let kept: Vec<(String, Vec<f64>)> = groups
            .into_iter()
            .enumerate()
            .filter(|(_, g)| g.len() >= 2)
            .map(|(i, g)| (first.plus(i as i32).to_string(), g))
            .collect();
        if kept.len() < MIN_COHORTS {
            skipped.push(c.label.clone());
            continue;
        }
        let labels: Vec<String> = kept.iter().map(|(l, _)| l.clone()).collect();
        let binary = c.kind == crate::config::DriverKind::Binary;
        let (series, kind, what) = if binary {
            (
                Series {
                    labels,
                    values: kept.iter().map(|(_, g)| g.iter().sum()).collect(),
                    sizes: Some(kept.iter().map(|(_, g)| g.len() as f64).collect()),
                    ..Series::default()
                },
                Kind::LaneyP,
                "share with yes, Laney p′ chart",
            )
        } else {
            (
                Series {
                    labels,
                    values: kept
                        .iter()
                        .map(|(_, g)| g.iter().sum::<f64>() / g.len() as f64)
                        .collect(),
                    groups: Some(kept.into_iter().map(|(_, g)| g).collect()),
                    ..Series::default()
                },
                Kind::XbarS,
                "cohort mean, Xbar-S chart",
            )
        };
        match chart(&series, &Options::new(kind)) {
            Ok(ch) => out.push(KpiControl {
                kpi: format!("driver:{}", c.driver),
                stem: format!("control_driver_{}", crate::config::slug(&c.driver)),
                title: format!("{} by start-month cohort, {what}", c.label),
                chart: ch,
            }),
            Err(_) => skipped.push(c.label.clone()),
        }
    }
    let note = (!skipped.is_empty()).then(|| {
        format!(
            "Not charted over start-month cohorts (fewer than {MIN_COHORTS} months with two or more new accounts, or no variation): {}.",
            skipped.join(", ")
        )
    });
    (out, note)
}

/// The status text of a chart's point.
fn point_status(p: &crate::spc::Point) -> String {
    if p.violations.is_empty() {
        "in control".to_string()
    } else {
        format!(
            "signal: {}",
            p.violations
                .iter()
                .map(|r| r.code())
                .collect::<Vec<_>>()
                .join(",")
        )
    }
}

/// Fills the feed's `status` for monthly rows from the charts (Laney p′
/// judges logo churn and logo retention); a recommended driver's snapshot
/// row gets the status of its latest start-month cohort.
fn fill_status(feed: &mut [FeedRow], control: &[KpiControl]) {
    for k in control {
        if k.chart.chart == "p" {
            continue;
        }
        if k.kpi.starts_with("driver:") {
            if let Some(p) = k.chart.points.last() {
                let status = format!("{} (start cohort {})", point_status(p), p.label);
                for f in feed.iter_mut().filter(|f| f.kpi == k.kpi) {
                    f.status = Some(status.clone());
                }
            }
            continue;
        }
        let targets: Vec<&str> = if k.kpi == "logo_churn_rate" {
            vec!["logo_churn_rate", "logo_retention"]
        } else {
            vec![k.kpi.as_str()]
        };
        for p in &k.chart.points {
            let status = point_status(p);
            for f in feed.iter_mut().filter(|f| {
                f.grain == "month" && f.period == p.label && targets.contains(&f.kpi.as_str())
            }) {
                f.status = Some(status.clone());
            }
        }
    }
}

/// The KPI feed document: `kpis.json`, and what `--format json` prints.
#[derive(Debug, Serialize)]
pub struct FeedDoc<'a> {
    pub study: &'a str,
    pub as_of: &'a str,
    pub kpis: Vec<&'a FeedRow>,
    pub recommendation: Vec<&'a Candidate>,
    pub definitions: &'a [Definition],
    pub notes: &'a [String],
}

impl<'a> FeedDoc<'a> {
    /// The feed of `r`, keeping only `grain` among month/quarter rows if given.
    pub fn of(study: &'a str, r: &'a KpiReport, grain: Option<Grain>) -> Self {
        FeedDoc {
            study,
            as_of: &r.as_of,
            kpis: r.feed.iter().filter(|f| keep_grain(f, grain)).collect(),
            recommendation: r
                .recommendation
                .as_ref()
                .map_or(Vec::new(), |rec| rec.candidates.iter().collect()),
            definitions: &r.definitions,
            notes: &r.notes,
        }
    }
}

/// Whether a feed row belongs with `grain` (month/quarter rows of the other grain are dropped).
pub fn keep_grain(f: &FeedRow, grain: Option<Grain>) -> bool {
    match grain {
        None => true,
        Some(g) => !matches!(f.grain.as_str(), "month" | "quarter") || f.grain == g.as_str(),
    }
}

type Pick = fn(&PeriodRow) -> Option<f64>;

/// The period KPIs: key, label, unit, direction, definition, value.
const PERIOD_KPIS: &[(&str, &str, &str, Direction, &str, Pick)] = &[
    ("active_start", "Active accounts at start", "accounts", Direction::Neutral,
     "Accounts billed (MRR > 0) in the start month: the period's cohort.",
     |r| Some(r.counts.cohort as f64)),
    ("new_accounts", "New accounts", "accounts", Direction::HigherIsBetter,
     "Accounts billed in the end month, not in the start month, and never billed before it; outside the cohort.",
     |r| Some(r.counts.new as f64)),
    ("reactivated_accounts", "Reactivated accounts", "accounts", Direction::HigherIsBetter,
     "Accounts billed in the end month, not in the start month, but billed at some month before it; reported apart, not as expansion.",
     |r| Some(r.counts.reactivated as f64)),
    ("churned_accounts", "Churned accounts", "accounts", Direction::LowerIsBetter,
     "Cohort accounts with no MRR in the end month.",
     |r| Some(r.counts.churned as f64)),
    ("logo_churn_rate", "Logo churn rate", "fraction", Direction::LowerIsBetter,
     "Cohort accounts with no MRR in the end month / cohort size.",
     |r| r.logo_churn_rate),
    ("logo_retention", "Logo retention", "fraction", Direction::HigherIsBetter,
     "1 − logo churn rate.",
     |r| r.logo_retention),
    ("starting_mrr", "Starting MRR", "currency", Direction::Neutral,
     "The cohort's MRR in the start month.",
     |r| Some(r.counts.starting_mrr)),
    ("churned_mrr", "Churned MRR", "currency", Direction::LowerIsBetter,
     "Starting MRR of cohort accounts with no MRR in the end month.",
     |r| Some(r.counts.churned_mrr)),
    ("contraction_mrr", "Contraction MRR", "currency", Direction::LowerIsBetter,
     "Summed decreases of cohort accounts still billed in the end month.",
     |r| Some(r.counts.contraction_mrr)),
    ("expansion_mrr", "Expansion MRR", "currency", Direction::HigherIsBetter,
     "Summed increases of cohort accounts still billed in the end month.",
     |r| Some(r.counts.expansion_mrr)),
    ("grr", "Gross revenue retention (GRR)", "fraction", Direction::HigherIsBetter,
     "(starting MRR − churned MRR − contraction MRR) / starting MRR; never above 100 %.",
     |r| r.grr),
    ("nrr", "Net revenue retention (NRR)", "fraction", Direction::HigherIsBetter,
     "(starting MRR − churned MRR − contraction MRR + expansion MRR) / starting MRR.",
     |r| r.nrr),
    ("arpa", "ARPA", "currency", Direction::HigherIsBetter,
     "Total MRR in the end month / accounts billed in the end month.",
     |r| r.arpa),
];

/// How a grain's start and end months are chosen.
fn grain_rule(g: Grain) -> &'static str {
    match g {
        Grain::Month => "Month M: start month M−1, end month M.",
        Grain::Quarter => "Quarter: start = last month of the previous quarter, end = last month of the quarter (partial = the data ends before it).",
        Grain::Ttm => "Trailing twelve months at M: start month M−12, end month M.",
        Grain::Ytd => "Year to date at M: start = December of the previous year, end month M.",
    }
}

const PERIOD_RULE: &str = "A period compares a start month with an end month over the cohort of accounts billed (MRR > 0) in the start month. Month M: start M−1, end M. Quarter: start = last month of the previous quarter, end = last month of the quarter. TTM at M: start M−12, end M. YTD at M: start = December of the previous year, end M.";

fn definitions(cfg: &StudyConfig, has_periods: bool) -> Vec<Definition> {
    let mut out = Vec::new();
    if has_periods {
        for (k, l, u, d, text, _) in PERIOD_KPIS {
            out.push(Definition {
                kpi: k.to_string(),
                label: l.to_string(),
                unit: u,
                direction: *d,
                definition: format!("{text} {PERIOD_RULE}"),
            });
        }
    }
    let k = &cfg.kpis;
    if let Some(c) = &k.nps {
        out.push(Definition {
            kpi: "nps".into(),
            label: "Net Promoter Score".into(),
            unit: "points",
            direction: Direction::HigherIsBetter,
            definition: format!("% promoters (answer 9–10) − % detractors (0–6) among accounts with an answer in `{c}`, from −100 to 100; 95 % CI from the trinomial variance."),
        });
        out.push(Definition {
            kpi: "nps_response_rate".into(),
            label: "NPS response rate".into(),
            unit: "fraction",
            direction: Direction::HigherIsBetter,
            definition: format!("Accounts with an answer in `{c}` / accounts."),
        });
    }
    if let Some(c) = &k.time_to_value {
        out.push(Definition {
            kpi: "time_to_value_median".into(),
            label: "Time to value, median".into(),
            unit: "days",
            direction: Direction::LowerIsBetter,
            definition: format!(
                "Median of `{c}` over accounts with a value (linear interpolation)."
            ),
        });
        out.push(Definition {
            kpi: "time_to_value_p75".into(),
            label: "Time to value, 75th percentile".into(),
            unit: "days",
            direction: Direction::LowerIsBetter,
            definition: format!(
                "75th percentile of `{c}` over accounts with a value (linear interpolation)."
            ),
        });
    }
    for c in &k.means {
        out.push(Definition {
            kpi: format!("mean:{c}"),
            label: format!("Mean {}", driver_label(cfg, c)),
            unit: "score",
            // Set from the model's sign when the column is a driver (see `analyse`).
            direction: Direction::HigherIsBetter,
            definition: format!("Mean of `{c}` over accounts with a value."),
        });
    }
    out
}

fn driver_label(cfg: &StudyConfig, col: &str) -> String {
    cfg.drivers
        .iter()
        .find(|d| d.column == col)
        .map_or(col.to_string(), |d| d.display_label().to_string())
}

/// The KPIs that need no driver statistics: per period, per account group
/// and per owner, with their notes. [`analyse`] = [`base`] then [`complete`];
/// a run computes the base beside the driver stage.
#[derive(Debug, Clone)]
pub struct BaseKpis {
    periods: Option<PeriodKpis>,
    accounts: Vec<GroupKpis>,
    efficiency: Option<account::Efficiency>,
    notes: Vec<String>,
}

/// Computes [`BaseKpis`].
pub fn base(study: &Study, cfg: &StudyConfig) -> BaseKpis {
    let mut notes = Vec::new();
    let periods = match &study.revenue {
        Some(rev) => {
            let p = period::period_kpis(rev);
            notes.extend(p.skipped.iter().map(|s| format!("Period skipped: {s}.")));
            Some(p)
        }
        None => {
            notes.push("No revenue table ([revenue] in the config), so the period KPIs (GRR, NRR, logo churn per period, ARPA) are skipped.".into());
            None
        }
    };
    crate::timing::mark("period KPIs");
    let k = &cfg.kpis;
    let cols = account::Columns {
        nps: k.nps.as_deref(),
        time_to_value: k.time_to_value.as_deref(),
        means: &k.means,
    };
    let accounts = account::account_kpis(&study.accounts, &cols);
    crate::timing::mark("account KPIs");
    let efficiency = account::efficiency(&study.accounts);
    if efficiency.is_none() {
        notes.push(
            "No owner column (accounts.owner), so the efficiency KPIs per CSM are skipped.".into(),
        );
    }
    BaseKpis {
        periods,
        accounts,
        efficiency,
        notes,
    }
}

/// Computes every KPI the data supports. `drivers` is the driver stage's
/// report, if it ran (needed for the recommendation).
pub fn analyse(study: &Study, drivers: Option<&DriverReport>, cfg: &StudyConfig) -> KpiReport {
    complete(base(study, cfg), study, drivers, cfg)
}

/// Adds to `base` what needs the driver statistics: the recommendation,
/// the definitions' directions, the control charts and the feed.
pub fn complete(
    base: BaseKpis,
    study: &Study,
    drivers: Option<&DriverReport>,
    cfg: &StudyConfig,
) -> KpiReport {
    let BaseKpis {
        periods,
        accounts,
        efficiency,
        mut notes,
    } = base;
    let as_of = match &periods {
        Some(p) => p.last_month.to_string(),
        None => "all".to_string(),
    };
    let k = &cfg.kpis;
    let recommendation = drivers.map(|r| recommend::recommend(&study.accounts, r, k));
    crate::timing::mark("recommendation");
    let mut definitions = definitions(cfg, periods.is_some());
    // A mean of a driver column points the way the model says.
    if let Some(rec) = &recommendation {
        for d in definitions.iter_mut() {
            if let Some(col) = d.kpi.strip_prefix("mean:") {
                if let Some(c) = rec.candidates.iter().find(|c| c.driver == col) {
                    if c.higher_is_better.is_some() {
                        d.direction = Direction::of_higher_is_better(c.higher_is_better);
                    }
                }
            }
        }
    }
    let mut control = periods.as_ref().map_or_else(Vec::new, control_charts);
    crate::timing::mark("control charts");
    if let Some(rec) = &recommendation {
        let window = periods.as_ref().map(|p| (p.first_month, p.last_month));
        let (charts, note) = driver_charts(&study.accounts, rec, window);
        control.extend(charts);
        notes.extend(note);
    }
    crate::timing::mark("driver charts");
    let mut feed = feed(
        &definitions,
        periods.as_ref(),
        &accounts,
        recommendation.as_ref(),
        &study.accounts,
        &as_of,
    );
    fill_status(&mut feed, &control);
    crate::timing::mark("KPI feed");
    KpiReport {
        as_of,
        definitions,
        periods,
        accounts,
        efficiency,
        recommendation,
        feed,
        control,
        notes,
    }
}

fn blank(kpi: String, period: &str, grain: &str, d: &Definition) -> FeedRow {
    FeedRow {
        kpi,
        period: period.to_string(),
        grain: grain.to_string(),
        segment: "all".into(),
        value: None,
        unit: d.unit,
        direction: d.direction,
        definition: d.definition.clone(),
        status: None,
        partial: false,
        change_prev: None,
        change_yoy: None,
        q_value: None,
        ame: None,
        arr_at_stake: None,
    }
}

/// Months between two rows' nominal ends that make "previous" and "a year ago".
fn steps(g: Grain) -> (i32, i32) {
    match g {
        Grain::Month | Grain::Ttm | Grain::Ytd => (1, 12),
        Grain::Quarter => (3, 12),
    }
}

fn feed(
    defs: &[Definition],
    periods: Option<&PeriodKpis>,
    accounts: &[GroupKpis],
    rec: Option<&Recommendation>,
    a: &crate::data::Accounts,
    as_of: &str,
) -> Vec<FeedRow> {
    let def = |k: &str| defs.iter().find(|d| d.kpi == k);
    let mut out = Vec::new();
    if let Some(p) = periods {
        for (key, _, _, _, text, pick) in PERIOD_KPIS {
            let Some(d) = def(key) else { continue };
            for g in [Grain::Month, Grain::Quarter, Grain::Ttm, Grain::Ytd] {
                let rows: Vec<&PeriodRow> = p.of(g).collect();
                let (prev, yoy) = steps(g);
                let find = |end: crate::data::Month| {
                    rows.iter()
                        .find(|r| r.end_month == end && !r.partial)
                        .and_then(|r| pick(r))
                };
                for r in &rows {
                    let v = pick(r);
                    let mut f = blank(key.to_string(), &r.period, g.as_str(), d);
                    f.definition = format!("{text} {}", grain_rule(g));
                    f.value = v;
                    f.partial = r.partial;
                    if !(r.partial || g == Grain::Ytd && r.end_month.month() == 1) {
                        f.change_prev = v.zip(find(r.end_month.plus(-prev))).map(|(a, b)| a - b);
                    }
                    if !r.partial {
                        f.change_yoy = v.zip(find(r.end_month.plus(-yoy))).map(|(a, b)| a - b);
                    }
                    out.push(f);
                }
            }
        }
    }
    for gk in accounts {
        let seg = gk.key();
        let mut push = |kpi: &str, v: f64| {
            if let Some(d) = def(kpi) {
                let mut f = blank(kpi.to_string(), as_of, "snapshot", d);
                f.segment = seg.clone();
                f.value = Some(v);
                out.push(f);
            }
        };
        if let Some(n) = &gk.nps {
            push("nps", n.nps);
            push("nps_response_rate", n.response_rate);
        }
        if let Some(t) = &gk.time_to_value {
            push("time_to_value_median", t.median);
            push("time_to_value_p75", t.p75);
        }
        for m in &gk.means {
            push(&format!("mean:{}", m.column), m.mean);
        }
    }
    if let Some(rec) = rec {
        for c in rec.recommended() {
            let d = a.drivers.iter().find(|d| d.config.column == c.driver);
            let Some(d) = d else { continue };
            let (value, unit, what) = match &d.values {
                crate::data::DriverValues::Numeric(v) => {
                    let s: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
                    let m = s.iter().sum::<f64>() / s.len().max(1) as f64;
                    if c.kind == crate::config::DriverKind::Binary {
                        (
                            m,
                            "fraction",
                            format!("Share of accounts with {} = yes", c.label),
                        )
                    } else {
                        (
                            m,
                            "score",
                            format!("Mean of {} over accounts with a value", c.label),
                        )
                    }
                }
                crate::data::DriverValues::Categorical(cat) => (
                    cat.counts[0] as f64 / (cat.codes.len() - cat.n_missing).max(1) as f64,
                    "fraction",
                    format!(
                        "Share of accounts in the most common {} level, {}",
                        c.label, cat.levels[0]
                    ),
                ),
            };
            let direction = Direction::of_higher_is_better(c.higher_is_better);
            out.push(FeedRow {
                kpi: format!("driver:{}", c.driver),
                period: as_of.to_string(),
                grain: "snapshot".into(),
                segment: "all".into(),
                value: Some(value),
                unit,
                direction,
                definition: format!(
                    "{what}. Recommended effectiveness KPI ({}, rank {}): {}",
                    c.indicator.as_str(),
                    c.rank.unwrap_or(0),
                    c.reason
                ),
                status: None,
                partial: false,
                change_prev: None,
                change_yoy: None,
                q_value: c.q_value,
                ame: c.ame,
                arr_at_stake: c.arr_at_stake,
            });
        }
    }
    out
}
