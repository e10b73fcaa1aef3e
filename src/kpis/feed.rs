//! The flat KPI feed dashboards read (`kpis.csv`, `kpis.json`, the
//! `kpi_values` table): one row per KPI × period × segment, with the change
//! from the previous period and a year earlier. Each monthly row's status is
//! filled in from its control chart by [`super::control`].

use serde::Serialize;

use crate::config::{DriverKind, Grain};
use crate::data::{Accounts, DriverValues, Month};

use super::definitions::{grain_rule, Definition, Direction, KpiKey, PERIOD_KPIS};
use super::period::{PeriodKpis, PeriodRow};
use super::{Candidate, GroupKpis, KpiReport, Recommendation};

/// One row of the KPI feed: one KPI in one period (and segment).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedRow {
    pub kpi: KpiKey,
    pub period: String,
    /// Month, quarter, TTM, YTD, or snapshot for account KPIs.
    pub grain: Grain,
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
        Some(g) => !matches!(f.grain, Grain::Month | Grain::Quarter) || f.grain == g,
    }
}

pub(super) fn blank(kpi: KpiKey, period: &str, grain: Grain, d: &Definition) -> FeedRow {
    FeedRow {
        kpi,
        period: period.to_string(),
        grain,
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
pub(super) fn steps(g: Grain) -> (i32, i32) {
    match g {
        Grain::Month | Grain::Ttm | Grain::Ytd | Grain::Snapshot => (1, 12),
        Grain::Quarter => (3, 12),
    }
}

/// A recommended driver's value in the feed: the mean over accounts with a
/// value (the share with yes), or a categorical driver's share in its most
/// common level (`top_level`).
#[derive(Debug, Clone, PartialEq)]
pub struct DriverValue {
    pub driver: String,
    pub value: f64,
    pub top_level: Option<String>,
}

impl DriverValue {
    /// The value of driver `column` of the accounts `a`, in memory.
    pub fn of_accounts(a: &Accounts, column: &str) -> Option<Self> {
        let d = a.drivers.iter().find(|d| d.config.column == column)?;
        let (value, top_level) = match &d.values {
            DriverValues::Numeric(v) => {
                let s: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
                (s.iter().sum::<f64>() / s.len().max(1) as f64, None)
            }
            DriverValues::Categorical(cat) => (
                cat.counts[0] as f64 / (cat.codes.len() - cat.n_missing).max(1) as f64,
                Some(cat.levels[0].clone()),
            ),
        };
        Some(DriverValue {
            driver: column.to_string(),
            value,
            top_level,
        })
    }
}

/// Every feed row: the period KPIs at each grain, the account snapshots per
/// group, and one row per recommended driver (its value among `values`).
pub(super) fn feed(
    defs: &[Definition],
    periods: Option<&PeriodKpis>,
    accounts: &[GroupKpis],
    rec: Option<&Recommendation>,
    values: &[DriverValue],
    as_of: &str,
) -> Vec<FeedRow> {
    let def = |k: &KpiKey| defs.iter().find(|d| &d.kpi == k);
    let mut out = Vec::new();
    if let Some(p) = periods {
        for (key, _, _, _, text, pick) in PERIOD_KPIS {
            let key = KpiKey::Named(key);
            let Some(d) = def(&key) else { continue };
            for g in Grain::PERIODS {
                let rows: Vec<&PeriodRow> = p.of(g).collect();
                let (prev, yoy) = steps(g);
                let find = |end: Month| {
                    rows.iter()
                        .find(|r| r.end_month == end && !r.partial)
                        .and_then(|r| pick(r))
                };
                for r in &rows {
                    let v = pick(r);
                    let mut f = blank(key.clone(), &r.period, g, d);
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
        let mut push = |kpi: KpiKey, v: f64| {
            if let Some(d) = def(&kpi) {
                let mut f = blank(kpi, as_of, Grain::Snapshot, d);
                f.segment = seg.clone();
                f.value = Some(v);
                out.push(f);
            }
        };
        if let Some(n) = &gk.nps {
            push(KpiKey::Named("nps"), n.nps);
            push(KpiKey::Named("nps_response_rate"), n.response_rate);
        }
        if let Some(t) = &gk.time_to_value {
            push(KpiKey::Named("time_to_value_median"), t.median);
            push(KpiKey::Named("time_to_value_p75"), t.p75);
        }
        for m in &gk.means {
            push(KpiKey::Mean(m.column.clone()), m.mean);
        }
    }
    if let Some(rec) = rec {
        for c in rec.recommended() {
            let Some(dv) = values.iter().find(|v| v.driver == c.driver) else {
                continue;
            };
            let value = dv.value;
            let (unit, what) = match &dv.top_level {
                None if c.kind == DriverKind::Binary => (
                    "fraction",
                    format!("Share of accounts with {} = yes", c.label),
                ),
                None => (
                    "score",
                    format!("Mean of {} over accounts with a value", c.label),
                ),
                Some(level) => (
                    "fraction",
                    format!(
                        "Share of accounts in the most common {} level, {level}",
                        c.label
                    ),
                ),
            };
            let direction = Direction::of_higher_is_better(c.higher_is_better);
            out.push(FeedRow {
                kpi: KpiKey::Driver(c.driver.clone()),
                period: as_of.to_string(),
                grain: Grain::Snapshot,
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

/// Adds the survival KPIs to the feed and the definitions: the median
/// lifetime and survival at the first horizon, as of the KPIs' last month.
pub fn add_survival(k: &mut KpiReport, s: &crate::survival::SurvivalReport) {
    let unit: &'static str = s.unit;
    let how = &s.source.description;
    let mut defs = vec![(
        "median_lifetime",
        "Median customer lifetime",
        unit,
        Direction::HigherIsBetter,
        format!("Kaplan–Meier median of time to churn ({unit}): the first tenure at which the estimated share still a customer is at most 50 %; blank when it never falls that low. {how}"),
        s.kpis.median_lifetime,
    )];
    if let Some((h, v, _, _)) = s.kpis.survival_at {
        defs.push((
            "survival_first_horizon",
            "Survival at the first horizon",
            "fraction",
            Direction::HigherIsBetter,
            format!("Kaplan–Meier share of customers still a customer {} {unit} after their start. {how}", crate::format::short(h)),
            Some(v),
        ));
    }
    for (key, label, unit, direction, definition, value) in defs {
        let d = Definition {
            kpi: KpiKey::Named(key),
            label: label.to_string(),
            unit,
            direction,
            definition,
        };
        let mut row = blank(d.kpi.clone(), &k.as_of, Grain::Snapshot, &d);
        row.value = value;
        k.feed.push(row);
        k.definitions.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StudyConfig;

    /// The textbook fixture (`tests/data/kpis`, hand-computed in its README).
    fn textbook() -> KpiReport {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/kpis/study.toml");
        let cfg = StudyConfig::from_path(&path).expect("config");
        let study = crate::data::load_study(&cfg).expect("study");
        crate::kpis::analyse(&study, None, &cfg)
    }

    #[test]
    fn keys_read_as_the_feed_writes_them() {
        assert_eq!(KpiKey::Named("grr").to_string(), "grr");
        assert_eq!(KpiKey::Mean("quality".into()).to_string(), "mean:quality");
        assert_eq!(KpiKey::Driver("nps".into()).to_string(), "driver:nps");
        assert_eq!(
            serde_json::to_string(&KpiKey::Driver("a b".into())).unwrap(),
            "\"driver:a b\""
        );
    }

    /// Every period KPI appears once per period row and grain, with the
    /// row's own value, and a month's change is the difference from the
    /// month before (none into a partial period).
    #[test]
    fn feed_rows_mirror_the_period_table() {
        let r = textbook();
        let p = r.periods.as_ref().expect("periods");
        for g in Grain::PERIODS {
            let rows: Vec<&PeriodRow> = p.of(g).collect();
            let grr: Vec<&FeedRow> = r
                .feed
                .iter()
                .filter(|f| f.kpi == KpiKey::Named("grr") && f.grain == g)
                .collect();
            assert_eq!(grr.len(), rows.len(), "{g:?}");
            for (f, row) in grr.iter().zip(&rows) {
                assert_eq!(f.period, row.period);
                assert_eq!(f.value, row.grr);
                assert_eq!(f.partial, row.partial);
            }
        }
        let q2 = r
            .feed
            .iter()
            .find(|f| f.kpi == KpiKey::Named("grr") && f.period == "2024-Q2")
            .unwrap();
        assert!((q2.value.unwrap() - 0.90).abs() < 1e-12);
        let months: Vec<&FeedRow> = r
            .feed
            .iter()
            .filter(|f| f.kpi == KpiKey::Named("logo_churn_rate") && f.grain == Grain::Month)
            .collect();
        for w in months.windows(2) {
            if let (Some(a), Some(b), false, false) =
                (w[0].value, w[1].value, w[0].partial, w[1].partial)
            {
                assert_eq!(w[1].change_prev, Some(b - a), "{}", w[1].period);
            }
        }
        assert!(r
            .feed
            .iter()
            .filter(|f| f.partial)
            .all(|f| f.change_prev.is_none()));
    }

    /// Account KPIs are snapshot rows; `keep_grain` drops only the other
    /// calendar grain's rows.
    #[test]
    fn snapshots_and_grain_filter() {
        let r = textbook();
        let nps = r
            .feed
            .iter()
            .find(|f| f.kpi == KpiKey::Named("nps") && f.segment == "all")
            .unwrap();
        assert_eq!(nps.grain, Grain::Snapshot);
        assert_eq!(nps.value, Some(0.0));
        assert!(r
            .feed
            .iter()
            .any(|f| f.kpi == KpiKey::Mean("quality".into())));
        let kept: Vec<&FeedRow> = r
            .feed
            .iter()
            .filter(|f| keep_grain(f, Some(Grain::Quarter)))
            .collect();
        assert_eq!(
            kept.len(),
            r.feed.iter().filter(|f| f.grain != Grain::Month).count()
        );
        assert!(kept.iter().any(|f| f.grain == Grain::Quarter));
        assert!(kept.iter().any(|f| f.grain == Grain::Snapshot));
        assert_eq!(
            r.feed.iter().filter(|f| keep_grain(f, None)).count(),
            r.feed.len()
        );
    }
}
