//! `[survival]`: how time to churn is measured and analysed. Without the
//! section the stage still runs whenever the accounts have start and end
//! dates, with these defaults.

use serde::{Deserialize, Serialize};

use crate::stats::survival::km::ConfType;
use crate::stats::survival::zph::TimeTransform;
use crate::stats::survival::Ties;

/// The unit durations are counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    /// Days / 30.4375 (the mean month of 365.25 days / 12).
    #[default]
    Months,
    Weeks,
    Days,
}

impl TimeUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Months => "months",
            TimeUnit::Weeks => "weeks",
            TimeUnit::Days => "days",
        }
    }
    /// Days per unit.
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Months => 30.4375,
            TimeUnit::Weeks => 7.0,
            TimeUnit::Days => 1.0,
        }
    }
}

/// `[survival]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SurvivalConfig {
    /// Run the stage (default true; it is skipped, with a note, when the
    /// accounts have neither dates nor a tenure column).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// A column holding each account's tenure (in `unit`s), with
    /// `accounts.churned` as the event, instead of durations from the dates.
    pub tenure: Option<String>,
    /// Unit of the durations: months (default), weeks or days.
    #[serde(default)]
    pub unit: TimeUnit,
    /// The study window, `[first day, last day]` as `YYYY-MM-DD`: active
    /// accounts are censored at its end, and accounts that started before
    /// it enter the risk sets at its start. Default: the revenue table's
    /// months; without one, the day after the latest end date, and no
    /// delayed entry.
    pub window: Option<[chrono::NaiveDate; 2]>,
    /// Accounts that started before the window enter the risk set at the
    /// window's start (delayed entry). Default true; false treats them as
    /// followed from their start date, which overstates survival.
    #[serde(default = "yes")]
    pub left_truncation: bool,
    /// Times at which survival is reported (default 12, 24, 36 months, or
    /// 365, 730, 1095 days).
    pub horizons: Option<Vec<f64>>,
    /// Horizon of the restricted mean survival time (default the last of
    /// `horizons` the data reaches).
    pub tau: Option<f64>,
    /// Ties in the Cox model: efron (default) or breslow.
    #[serde(default)]
    pub ties: Ties,
    /// Scale of the Kaplan–Meier intervals: log-log (default), log or plain.
    #[serde(default)]
    pub conf_type: ConfType,
    /// Time transform of the proportional-hazards test: rank (default) or km.
    #[serde(default)]
    pub transform: TimeTransform,
    /// A categorical column (a segment or driver) to stratify the Cox model
    /// and the log-rank tests by.
    pub strata: Option<String>,
    /// Drivers that get Kaplan–Meier curves in the report (default: the
    /// recommended drivers; every driver gets its table in results.json).
    pub curves: Option<Vec<String>>,
    /// Drivers that enter the Cox model (default: every driver).
    pub covariates: Option<Vec<String>>,
}

fn yes() -> bool {
    true
}

impl Default for SurvivalConfig {
    fn default() -> Self {
        SurvivalConfig {
            enabled: true,
            tenure: None,
            unit: TimeUnit::default(),
            window: None,
            left_truncation: true,
            horizons: None,
            tau: None,
            ties: Ties::default(),
            conf_type: ConfType::default(),
            transform: TimeTransform::default(),
            strata: None,
            curves: None,
            covariates: None,
        }
    }
}

impl SurvivalConfig {
    /// The report horizons in the study's unit.
    pub fn horizons(&self) -> Vec<f64> {
        self.horizons.clone().unwrap_or_else(|| match self.unit {
            TimeUnit::Months => vec![12.0, 24.0, 36.0],
            TimeUnit::Weeks => vec![13.0, 26.0, 52.0],
            TimeUnit::Days => vec![365.0, 730.0, 1095.0],
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::StudyConfig;
    use std::path::Path;

    /// A date the window cannot read is quoted, with how dates are written
    /// (chrono alone says "input contains invalid characters").
    #[test]
    fn an_unreadable_window_date_is_quoted() {
        let text = "[accounts]\npath = \"a.csv\"\nchurned = \"churned\"\nstart_date = \"s\"\n[[drivers]]\ncolumn = \"x\"\nkind = \"numeric\"\n[survival]\nwindow = [\"2023-01-01\", \"end of 2024\"]\n";
        let m = StudyConfig::from_toml(text, Path::new("s.toml"))
            .unwrap_err()
            .to_string();
        assert!(m.contains("line 9 (in [survival])"), "{m}");
        assert!(
            m.contains("\"end of 2024\" is not a date; write dates as \"YYYY-MM-DD\""),
            "{m}"
        );
    }

    #[test]
    fn survival_window_is_two_ordered_dates() {
        let ok = String::from("[accounts]\npath = \"a.csv\"\nchurned = \"churned\"\n[[drivers]]\ncolumn = \"x\"\nkind = \"numeric\"\n[survival]\nwindow = [\"2023-01-01\", \"2024-12-31\"]\n");
        let c = StudyConfig::from_toml(
            &ok.replace(
                "churned = \"churned\"",
                "churned = \"churned\"\nstart_date = \"s\"",
            ),
            Path::new("s.toml"),
        )
        .unwrap();
        assert_eq!(
            c.survival.window.map(|w| w[1].to_string()),
            Some("2024-12-31".into())
        );
        let reversed = ok.replace(
            "\"2023-01-01\", \"2024-12-31\"",
            "\"2024-12-31\", \"2023-01-01\"",
        );
        let m = StudyConfig::from_toml(&reversed, Path::new("s.toml"))
            .unwrap_err()
            .to_string();
        assert!(m.contains("the first day must come before the last"), "{m}");
        let bad = ok.replace("2024-12-31", "2024-13-31");
        assert!(StudyConfig::from_toml(&bad, Path::new("s.toml")).is_err());
    }
}
