//! The study config: a TOML file that maps the user's own column names onto
//! the roles of the data contract (`docs/data-contract.md`). Only
//! `accounts.path`, `accounts.churned` and one driver are required.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

mod check;
pub mod drivers;
mod engine;
pub mod renewals;
pub mod survival;
use check::describe_toml_error;
pub use check::{nearest, SLIDE_KPIS, SLIDE_MAX};
pub use drivers::{DriverConfig, DriverKind, Indicator};
pub use engine::EngineConfig;
pub use renewals::RenewalsConfig;
pub use survival::{SurvivalConfig, TimeUnit};

/// A whole study config, as written in `study.toml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StudyConfig {
    /// Study metadata; `name` defaults to the config file's stem.
    #[serde(default)]
    pub study: StudySection,
    /// The accounts table (one row per customer account).
    pub accounts: AccountsConfig,
    /// Candidate drivers, in the order they are reported.
    #[serde(default)]
    pub drivers: Vec<DriverConfig>,
    /// Optional monthly MRR table; without it the period KPIs are skipped.
    pub revenue: Option<RevenueConfig>,
    /// Optional renewals due: a table, or derived from start dates and a term.
    pub renewals: Option<RenewalsConfig>,
    /// Pareto of cancellation reasons.
    #[serde(default)]
    pub pareto: ParetoConfig,
    /// Driver statistics: significance level, correction, bins, outcome.
    #[serde(default)]
    pub analysis: AnalysisConfig,
    /// Retention KPIs and the effectiveness-KPI recommendation.
    #[serde(default)]
    pub kpis: KpiConfig,
    /// Time to churn: durations, horizons, the Cox model's ties and strata.
    #[serde(default)]
    pub survival: SurvivalConfig,
    /// Where runs write.
    #[serde(default)]
    pub output: OutputConfig,
    /// Where the tables live when they are not files: a SQL engine.
    pub engine: Option<EngineConfig>,
    /// Folder of the config file; relative paths resolve against it.
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// The config file itself, for messages.
    #[serde(skip)]
    pub source: PathBuf,
}

/// `[study]`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StudySection {
    /// Shown in reports and used for the default output folder.
    pub name: Option<String>,
    /// Currency of the revenue columns, shown with money in the report:
    /// a symbol (`$`, `€`) before amounts, a code (`USD`) after a space.
    pub currency: Option<String>,
}

/// `[accounts]`: role → column name in the user's accounts file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AccountsConfig {
    /// `.csv`, `.parquet` or `.ndjson`/`.jsonl`, chosen by extension.
    /// Empty when the table is on an engine (`table` or `query`).
    #[serde(default)]
    pub path: PathBuf,
    /// On an engine: the table (`schema.accounts`; on Spark also
    /// `parquet:/path/to/folder`) …
    pub table: Option<String>,
    /// … or a query whose rows are the accounts.
    pub query: Option<String>,
    /// Unique account id; when absent, 1-based row numbers stand in.
    pub id: Option<String>,
    /// The outcome: 0/1, true/false, yes/no, or labels listed in `churned_values`.
    pub churned: String,
    /// Labels that mean "churned" (after trimming, in any case).
    #[serde(default)]
    pub churned_values: Vec<String>,
    /// Labels that mean "retained"; when given, any other label is an error.
    #[serde(default)]
    pub retained_values: Vec<String>,
    /// Cancellation reason (free-text label); blank = "(not given)".
    pub reason: Option<String>,
    /// Revenue weight of an account (ARR, monthly charge, …), ≥ 0.
    pub revenue: Option<String>,
    /// Grouping columns (segment, region, …).
    #[serde(default)]
    pub segments: Vec<String>,
    /// The owner (CSM) column; efficiency KPIs group by it.
    pub owner: Option<String>,
    /// Contract start date, `YYYY-MM-DD`.
    pub start_date: Option<String>,
    /// Churn date, `YYYY-MM-DD`; empty for active accounts.
    pub end_date: Option<String>,
    /// Extra cell texts that mean "missing" besides blank cells (e.g. `"NA"`).
    #[serde(default)]
    pub missing_values: Vec<String>,
}

/// `[revenue]`: the monthly MRR table.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RevenueConfig {
    /// The MRR file; empty when the table is on an engine.
    #[serde(default)]
    pub path: PathBuf,
    /// On an engine: the table (`schema.revenue`, `parquet:/path`) …
    pub table: Option<String>,
    /// … or a query whose rows are the monthly revenue.
    pub query: Option<String>,
    /// Account id column; must match `accounts.id`.
    #[serde(default = "default_id")]
    pub id: String,
    /// Month column, `YYYY-MM` (or a date, of which the month is used).
    #[serde(default = "default_period")]
    pub period: String,
    /// Monthly recurring revenue billed that month, ≥ 0.
    #[serde(default = "default_mrr")]
    pub mrr: String,
}

fn default_id() -> String {
    "account_id".into()
}
fn default_period() -> String {
    "month".into()
}
fn default_mrr() -> String {
    "mrr".into()
}

/// `[pareto]`: how cancellation reasons are ranked.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ParetoConfig {
    /// Cumulative share that defines the vital few (default 0.8).
    #[serde(default = "default_cutoff")]
    pub cutoff: f64,
    /// Reasons with a smaller share of churned accounts fold into "Other" (default 0: none).
    #[serde(default)]
    pub other_below: f64,
    /// A coarser label column for a drill-down (e.g. `Churn Category` above `Churn Reason`).
    pub category: Option<String>,
    /// Segment columns to split by, one Pareto per level (default: all `accounts.segments`).
    pub split_by: Option<Vec<String>>,
    /// Grain of the reason-mix comparison when periods come from the end
    /// date: month or quarter (default quarter).
    #[serde(default = "default_pareto_period")]
    pub period: Grain,
    /// A column holding each account's period label (sorted as text), instead of the end date.
    pub period_column: Option<String>,
}

impl Default for ParetoConfig {
    fn default() -> Self {
        ParetoConfig {
            cutoff: default_cutoff(),
            other_below: 0.0,
            category: None,
            split_by: None,
            period: default_pareto_period(),
            period_column: None,
        }
    }
}

/// Quarter: the default grain of the reason-mix comparison and of `kpis` tables.
fn default_pareto_period() -> Grain {
    Grain::Quarter
}

fn default_cutoff() -> f64 {
    0.8
}

/// The calendar grain of a period: of a KPI row, of the reason-mix
/// comparison (`[pareto] period`: month or quarter), of `kpis --grain`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Deserialize,
    Serialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Grain {
    Month,
    Quarter,
    /// Trailing twelve months ending at a month.
    #[value(skip)]
    Ttm,
    /// Year to date at a month (start = December of the previous year).
    #[value(skip)]
    Ytd,
    /// Account KPIs as of the last month (NPS, time to value, driver means).
    #[value(skip)]
    Snapshot,
}

impl Grain {
    /// The grains of the period KPIs, in the order the feed lists them.
    pub const PERIODS: [Grain; 4] = [Grain::Month, Grain::Quarter, Grain::Ttm, Grain::Ytd];

    pub fn as_str(self) -> &'static str {
        match self {
            Grain::Month => "month",
            Grain::Quarter => "quarter",
            Grain::Ttm => "ttm",
            Grain::Ytd => "ytd",
            Grain::Snapshot => "snapshot",
        }
    }
}

/// `[analysis]`: how driver evidence is judged.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisConfig {
    /// Significance level for q-values (default 0.05).
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// Multiple-testing correction across drivers (default `bh`).
    #[serde(default)]
    pub correction: crate::stats::multitest::Correction,
    /// Quantile bins for the churn-rate table of a numeric driver (default 5).
    #[serde(default = "default_bins")]
    pub bins: usize,
    /// A numeric or ordinal driver column to model by OLS on the other
    /// drivers (a continuous outcome such as NPS); none by default.
    pub outcome: Option<String>,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        AnalysisConfig {
            alpha: default_alpha(),
            correction: Default::default(),
            bins: default_bins(),
            outcome: None,
        }
    }
}

fn default_alpha() -> f64 {
    0.05
}

fn default_bins() -> usize {
    5
}

/// `[kpis]`: which account columns feed the account KPIs, and how drivers
/// are turned into recommended effectiveness KPIs.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KpiConfig {
    /// Column with 0–10 survey answers; NPS = % promoters (9–10) − % detractors (0–6).
    pub nps: Option<String>,
    /// Column with days from contract start to first value (median and p75 reported).
    pub time_to_value: Option<String>,
    /// Further account columns whose mean is a KPI (e.g. `training_quality`).
    #[serde(default)]
    pub means: Vec<String>,
    /// Smallest |effect| that makes a driver material, in percentage points of
    /// churn probability (per SD for numeric drivers; default 1).
    #[serde(default = "default_effect_floor")]
    pub effect_floor_pp: f64,
    /// Most drivers recommended as KPIs (default 7, per the usual 5–7 guidance).
    #[serde(default = "default_max_recommended")]
    pub max_recommended: usize,
    /// Period grain shown by `churnlab kpis` tables: month or quarter
    /// (default quarter).
    #[serde(default = "default_pareto_period")]
    pub grain: Grain,
    /// The KPIs on the one-slide dashboard (`charts/kpi_slide.png`), by feed
    /// key: `grr`, `nrr`, `logo_churn_rate`, … or `driver:<column>`; default
    /// the recommended effectiveness KPIs with GRR, NRR, logo churn and the
    /// gross dollar renewal rate.
    pub slide: Option<Vec<String>>,
}

impl Default for KpiConfig {
    fn default() -> Self {
        KpiConfig {
            nps: None,
            time_to_value: None,
            means: Vec::new(),
            effect_floor_pp: default_effect_floor(),
            max_recommended: default_max_recommended(),
            grain: default_pareto_period(),
            slide: None,
        }
    }
}

impl KpiConfig {
    /// Every column the account KPIs read, with its role.
    pub fn columns(&self) -> Vec<(&str, &'static str)> {
        let mut out = Vec::new();
        if let Some(c) = &self.nps {
            out.push((c.as_str(), "NPS answer (kpis.nps)"));
        }
        if let Some(c) = &self.time_to_value {
            out.push((c.as_str(), "time to value (kpis.time_to_value)"));
        }
        for c in &self.means {
            out.push((c.as_str(), "KPI mean (kpis.means)"));
        }
        out
    }

    /// The rule a KPI column's numbers keep, if it has one: (low, high,
    /// whole numbers only, why), checked the same in a file and an engine.
    pub fn bounds(&self, col: &str) -> Option<(f64, f64, bool, &'static str)> {
        if self.nps.as_deref() == Some(col) {
            Some((
                0.0,
                10.0,
                true,
                "an NPS answer must be a whole number from 0 to 10",
            ))
        } else if self.time_to_value.as_deref() == Some(col) {
            Some((
                0.0,
                f64::INFINITY,
                false,
                "days to value cannot be negative",
            ))
        } else {
            None
        }
    }
}

fn default_effect_floor() -> f64 {
    1.0
}

fn default_max_recommended() -> usize {
    7
}

/// `[output]`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    /// Output folder; default `reports/<study-name>` (relative to the working directory).
    pub dir: Option<PathBuf>,
}

impl StudyConfig {
    /// Reads and checks a study config.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, [`Error::Config`] for bad
    /// TOML, unknown keys (naming the nearest valid key), missing required
    /// keys and inconsistent settings.
    pub fn from_path(path: &Path) -> Result<Self> {
        let config_err = |message: &str| Error::Config {
            path: path.to_path_buf(),
            message: message.to_string(),
        };
        if path.is_dir() {
            return Err(config_err(
                "is a folder; pass the study's TOML file, e.g. data/demo/study.toml",
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, "cannot read config", e))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            config_err(&format!(
                "is not UTF-8 text (byte {} cannot be read); save the config as UTF-8",
                e.utf8_error().valid_up_to() + 1
            ))
        })?;
        Self::from_toml(&text, path)
    }

    /// Parses config text; `path` is used for messages and to resolve relative paths.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self> {
        let mut cfg: StudyConfig = toml::from_str(text).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            message: describe_toml_error(&e, text),
        })?;
        cfg.source = path.to_path_buf();
        cfg.base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        cfg.check()?;
        Ok(cfg)
    }

    /// Re-runs the consistency rules after command-line overrides.
    ///
    /// # Errors
    /// [`Error::Config`] as [`StudyConfig::from_toml`].
    pub fn recheck(&self) -> Result<()> {
        self.check()
    }

    /// The study name: `[study] name`, else the config file's stem.
    pub fn name(&self) -> String {
        self.study.name.clone().unwrap_or_else(|| {
            self.source
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "study".into())
        })
    }

    /// Resolves a config-relative path.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }

    /// The output folder: `[output] dir` (config-relative) or `reports/<slug>`.
    pub fn output_dir(&self) -> PathBuf {
        match &self.output.dir {
            Some(d) => self.resolve(d),
            None => PathBuf::from("reports").join(slug(&self.name())),
        }
    }
}

/// A file-system-safe name: lower-case ASCII letters, digits and `-`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "study".into()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[accounts]
path = "a.csv"
churned = "churned"
[[drivers]]
column = "x"
kind = "numeric"
"#;

    #[test]
    fn minimal_config_has_defaults() {
        let c = StudyConfig::from_toml(MINIMAL, Path::new("/tmp/q3.toml")).unwrap();
        assert_eq!(c.name(), "q3");
        assert_eq!(c.accounts.id, None);
        assert!(!c.drivers[0].controllable);
        assert_eq!(c.drivers[0].indicator, Indicator::Leading);
        assert_eq!(c.resolve(Path::new("a.csv")), PathBuf::from("/tmp/a.csv"));
        assert_eq!(c.output_dir(), PathBuf::from("reports/q3"));
    }

    #[test]
    fn unknown_key_names_nearest_and_line() {
        let text = MINIMAL.replace("path = ", "pth = ");
        let e = StudyConfig::from_toml(&text, Path::new("s.toml")).unwrap_err();
        let m = e.to_string();
        assert!(m.contains("unknown key `pth`"), "{m}");
        assert!(m.contains("did you mean `path`?"), "{m}");
        assert!(m.contains("line 3 (in [accounts])"), "{m}");
    }

    #[test]
    fn unknown_kind_names_nearest() {
        let text = MINIMAL.replace("\"numeric\"", "\"numerik\"");
        let m = StudyConfig::from_toml(&text, Path::new("s.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            m.contains("unknown value `numerik`; did you mean `numeric`?"),
            "{m}"
        );
    }

    #[test]
    fn no_drivers_is_an_error() {
        let text = "[accounts]\npath = \"a.csv\"\nchurned = \"c\"\n";
        let m = StudyConfig::from_toml(text, Path::new("s.toml"))
            .unwrap_err()
            .to_string();
        assert!(m.contains("no [[drivers]]"), "{m}");
    }

    #[test]
    fn missing_required_key() {
        let text = "[accounts]\npath = \"a.csv\"\n[[drivers]]\ncolumn = \"x\"\nkind = \"binary\"\n";
        let m = StudyConfig::from_toml(text, Path::new("s.toml"))
            .unwrap_err()
            .to_string();
        assert!(m.contains("required key `churned` is missing"), "{m}");
    }

    #[test]
    fn slug_is_safe() {
        assert_eq!(slug("Q3 driver study!"), "q3-driver-study");
        assert_eq!(slug("***"), "study");
    }
}
