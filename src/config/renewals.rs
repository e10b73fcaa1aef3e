//! `[renewals]`: the renewals due (data contract §5), from their own table
//! or derived from the accounts' start dates and a contract term.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::StudyConfig;
use crate::error::{Error, Result};

/// `[renewals]`. With `path`, the renewals table maps its columns here (the
/// defaults are the contract's names); without it, renewals are derived:
/// every `term_months` anniversary of `accounts.start_date` inside the
/// revenue table's months is a renewal due.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RenewalsConfig {
    /// `.csv`, `.parquet` or `.ndjson`; absent (and no `table` or `query`)
    /// = derive the renewals.
    pub path: Option<PathBuf>,
    /// On an engine: the renewals table (`schema.renewals`, `parquet:/path`) …
    pub table: Option<String>,
    /// … or a query whose rows are the renewals.
    pub query: Option<String>,
    /// Account id column; must match `accounts.id`.
    #[serde(default = "default_id")]
    pub id: String,
    /// When the term ends (the renewal is due), `YYYY-MM-DD`.
    #[serde(default = "default_renewal_date")]
    pub renewal_date: String,
    /// ARR up for renewal, ≥ 0.
    #[serde(default = "default_arr_due")]
    pub arr_due: String,
    /// The outcome label: one of `renewed_values`, `churned_values`, `open_values`.
    #[serde(default = "default_outcome")]
    pub outcome: String,
    /// ARR of the new term, ≥ 0; blank unless renewed.
    #[serde(default = "default_renewed_arr")]
    pub renewed_arr: String,
    /// When the outcome was decided, `YYYY-MM-DD`; blank while open.
    #[serde(default = "default_closed_date")]
    pub closed_date: String,
    /// Outcome labels meaning renewed (any case; default `renewed`).
    #[serde(default = "default_renewed_values")]
    pub renewed_values: Vec<String>,
    /// Outcome labels meaning churned at renewal (default `churned`).
    #[serde(default = "default_churned_values")]
    pub churned_values: Vec<String>,
    /// Outcome labels meaning not decided yet (default `open`).
    #[serde(default = "default_open_values")]
    pub open_values: Vec<String>,
    /// The contract term in months (default 12): derived renewals fall on
    /// its anniversaries, and a renewal closed more than a term before it
    /// is due is an input error.
    #[serde(default = "default_term")]
    pub term_months: u32,
    /// "Today", `YYYY-MM-DD`: a renewal still open before it is late, and
    /// the forward view starts at it. Default: the day after the revenue
    /// table's last month; without one, the day after the latest renewal
    /// date that is decided.
    #[serde(default, deserialize_with = "as_of_date")]
    pub as_of: Option<chrono::NaiveDate>,
    /// How many renewals at risk the dashboard lists (default 5).
    #[serde(default = "default_top")]
    pub top: usize,
}

impl RenewalsConfig {
    /// Whether the renewals are a table or query on the engine.
    pub fn on_engine(&self) -> bool {
        self.table.is_some() || self.query.is_some()
    }
}

/// `as_of` as `YYYY-MM-DD`, with a message that names the key (a date
/// type's own error says only "input contains invalid characters").
fn as_of_date<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<chrono::NaiveDate>, D::Error> {
    let text: Option<String> = Option::deserialize(d)?;
    text.map(|t| {
        chrono::NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").map_err(|_| {
            serde::de::Error::custom(format!(
                "as_of = `{t}` is not a date; write it as YYYY-MM-DD, e.g. \"2025-01-01\""
            ))
        })
    })
    .transpose()
}

fn default_id() -> String {
    "account_id".into()
}
fn default_renewal_date() -> String {
    "renewal_date".into()
}
fn default_arr_due() -> String {
    "arr_due".into()
}
fn default_outcome() -> String {
    "outcome".into()
}
fn default_renewed_arr() -> String {
    "renewed_arr".into()
}
fn default_closed_date() -> String {
    "closed_date".into()
}
fn default_renewed_values() -> Vec<String> {
    vec!["renewed".into()]
}
fn default_churned_values() -> Vec<String> {
    vec!["churned".into()]
}
fn default_open_values() -> Vec<String> {
    vec!["open".into()]
}
fn default_term() -> u32 {
    12
}
fn default_top() -> usize {
    5
}

impl StudyConfig {
    /// `[renewals]`: a term of 1–120 months, a list of 1–50 at risk, labels
    /// that say one thing each; derived renewals need start dates and the
    /// revenue table, a table needs the account id.
    pub(super) fn check_renewals(&self) -> Result<()> {
        let Some(r) = &self.renewals else {
            return Ok(());
        };
        let bad = |message: String| {
            Err(Error::Config {
                path: self.source.clone(),
                message: format!("[renewals] {message}"),
            })
        };
        if !(1..=120).contains(&r.term_months) {
            return bad(format!(
                "term_months = {} must be between 1 and 120",
                r.term_months
            ));
        }
        if !(1..=50).contains(&r.top) {
            return bad(format!("top = {} must be between 1 and 50", r.top));
        }
        let lists = [
            ("renewed_values", &r.renewed_values),
            ("churned_values", &r.churned_values),
            ("open_values", &r.open_values),
        ];
        for (i, (name, list)) in lists.iter().enumerate() {
            if list.iter().all(|v| v.trim().is_empty()) {
                return bad(format!("{name} is empty; list the labels of that outcome"));
            }
            for (other, olist) in &lists[i + 1..] {
                if let Some(v) = list.iter().find(|v| {
                    olist
                        .iter()
                        .any(|o| o.trim().eq_ignore_ascii_case(v.trim()))
                }) {
                    return bad(format!(
                        "the label `{v}` is in both {name} and {other}; each label must mean one outcome"
                    ));
                }
            }
        }
        let sources = [r.path.is_some(), r.table.is_some(), r.query.is_some()];
        match sources.iter().filter(|x| **x).count() {
            0 if self.accounts.start_date.is_none() || self.revenue.is_none() => bad(
                "without a path, renewals are derived from accounts.start_date and the [revenue] table; set both, or give the renewals table's path (or its table on an engine)"
                    .into(),
            ),
            0 => Ok(()),
            1 if self.accounts.id.is_none() => bad(
                "a renewals table needs accounts.id to link its rows to accounts; set accounts.id"
                    .into(),
            ),
            1 => Ok(()),
            _ => bad("give one of `path`, `table` and `query`, not several".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::StudyConfig;
    use std::path::Path;

    const BASE: &str = "[accounts]\npath = \"a.csv\"\nid = \"id\"\nchurned = \"churned\"\n[[drivers]]\ncolumn = \"x\"\nkind = \"numeric\"\n";

    fn parse(extra: &str) -> Result<StudyConfig, String> {
        StudyConfig::from_toml(&format!("{BASE}{extra}"), Path::new("s.toml"))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_the_contract_names() {
        let c = parse("[renewals]\npath = \"r.csv\"\n").unwrap();
        let r = c.renewals.unwrap();
        assert_eq!(
            (r.id.as_str(), r.renewal_date.as_str(), r.arr_due.as_str()),
            ("account_id", "renewal_date", "arr_due")
        );
        assert_eq!((r.term_months, r.top), (12, 5));
        assert_eq!(r.renewed_values, ["renewed"]);
    }

    #[test]
    fn a_label_of_two_outcomes_is_refused() {
        let m = parse("[renewals]\npath = \"r.csv\"\nchurned_values = [\"Lost\", \"open\"]\n")
            .unwrap_err();
        assert!(
            m.contains("`open` is in both churned_values and open_values"),
            "{m}"
        );
    }

    #[test]
    fn derived_renewals_need_start_dates_and_revenue() {
        let m = parse("[renewals]\nterm_months = 12\n").unwrap_err();
        assert!(
            m.contains("accounts.start_date and the [revenue] table"),
            "{m}"
        );
        let m = parse("[renewals]\npath = \"r.csv\"\nterm_months = 0\n").unwrap_err();
        assert!(m.contains("term_months = 0"), "{m}");
    }
}
