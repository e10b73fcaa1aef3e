//! The typed study dataset every analysis consumes, and the stage that builds
//! it from the user's files: read ([`read`]) → convert cells ([`parse`]) →
//! convert each role and check the data-contract rules ([`load`],
//! [`accounts`], [`driver_columns`], [`ids`], [`revenue`]) → describe
//! ([`summary`]). The rules are those of `docs/data-contract.md`.

pub mod accounts;
pub mod aggregates;
pub mod driver_columns;
pub mod durations;
pub mod guard;
pub mod ids;
pub mod load;
pub mod parse;
pub mod read;
pub mod renewals;
pub mod revenue;
pub mod summary;
mod warnings;

use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Serialize;

use crate::config::DriverConfig;
pub use durations::Durations;
pub use load::load_study;
pub use parse::Month;
pub use revenue::Revenue;
pub use summary::LoadSummary;

/// Code used in [`Categorical::codes`] for a missing cell.
pub const MISSING: u32 = u32::MAX;

/// A whole study, validated: the accounts, the optional MRR table, and the
/// soft problems found on the way.
#[derive(Debug, Clone)]
pub struct Study {
    pub name: String,
    pub accounts: Accounts,
    pub revenue: Option<Revenue>,
    /// Time to churn per account, when dates or a tenure column give it.
    pub durations: Option<Durations>,
    /// Renewals due, when the config has `[renewals]`.
    pub renewals: Option<renewals::Renewals>,
    pub warnings: Vec<Warning>,
}

/// One row per account; every vector has one entry per row, in file order.
#[derive(Debug, Clone)]
pub struct Accounts {
    pub path: PathBuf,
    /// The id column, or `None` when row numbers stand in for ids.
    pub id_column: Option<String>,
    pub ids: Vec<String>,
    pub churn_column: String,
    pub churned: Vec<bool>,
    /// Cancellation reason labels (trimmed; `None` = blank).
    pub reason: Option<Labels>,
    /// A coarser reason level for drill-downs (`[pareto] category`).
    pub reason_category: Option<Labels>,
    /// Period labels for the reason-mix comparison (`[pareto] period_column`).
    pub period_labels: Option<Labels>,
    /// Revenue weight (ARR or similar); NaN = missing.
    pub revenue: Option<Numbers>,
    pub segments: Vec<Categorical>,
    pub owner: Option<Categorical>,
    pub start_date: Option<Dates>,
    pub end_date: Option<Dates>,
    /// The tenure column of `[survival] tenure`, when durations come from it.
    pub tenure: Option<Numbers>,
    pub drivers: Vec<Driver>,
    /// Account-KPI columns named under `[kpis]` (NaN = no answer).
    pub metrics: Vec<Numbers>,
}

impl Accounts {
    /// Why the outcome cannot be analysed, when every account is on one side
    /// of it (none churned, all churned, or a single row): one sentence for
    /// `validate`'s warning and for the stages that refuse.
    pub fn one_class(&self) -> Option<String> {
        one_class(self.churned.len(), self.n_churned())
    }

    /// [`Accounts::one_class`] as an input error naming the file and column.
    pub fn one_class_error(&self) -> Option<crate::error::Error> {
        self.one_class().map(|message| crate::error::Error::Column {
            path: self.path.clone(),
            column: self.churn_column.clone(),
            message,
        })
    }

    /// The `[kpis]` column called `name`, if loaded.
    pub fn metric(&self, name: &str) -> Option<&Numbers> {
        self.metrics.iter().find(|m| m.column == name)
    }

    pub fn len(&self) -> usize {
        self.churned.len()
    }
    pub fn is_empty(&self) -> bool {
        self.churned.is_empty()
    }
    pub fn n_churned(&self) -> usize {
        self.churned.iter().filter(|c| **c).count()
    }
}

/// Why `n` accounts of which `k` churned cannot be analysed, if all are
/// of one class: the one message for a file and for an engine's table.
pub fn one_class(n: usize, k: usize) -> Option<String> {
    (n > 0 && (k == 0 || k == n)).then(|| {
        let what = if n == 1 {
            "the study has a single account".to_string()
        } else if k == 0 {
            format!("no account is churned (0 of {n})")
        } else {
            format!("every account is churned ({n} of {n})")
        };
        format!(
            "{what}: the analyses need both churned and retained accounts; check accounts.churned and churned_values"
        )
    })
}

/// Free-text labels of one column.
#[derive(Debug, Clone)]
pub struct Labels {
    pub column: String,
    pub values: Vec<Option<String>>,
}

/// Numbers of one column; NaN marks a missing cell.
#[derive(Debug, Clone)]
pub struct Numbers {
    pub column: String,
    pub values: Vec<f64>,
}

/// Dates of one column.
#[derive(Debug, Clone)]
pub struct Dates {
    pub column: String,
    pub values: Vec<Option<NaiveDate>>,
}

/// A label column coded as integers: `levels[codes[i]]`, or [`MISSING`].
///
/// Levels are ordered by descending frequency, then by name, so the most
/// frequent level (the default reference) comes first and order is stable.
#[derive(Debug, Clone, Serialize)]
pub struct Categorical {
    pub column: String,
    pub levels: Vec<String>,
    pub counts: Vec<usize>,
    #[serde(skip)]
    pub codes: Vec<u32>,
    pub n_missing: usize,
}

impl Categorical {
    /// Codes a column of the input table.
    pub fn from_column(
        col: &polars::prelude::Column,
        ctx: parse::Ctx,
    ) -> crate::error::Result<Self> {
        let mut index: rustc_hash::FxHashMap<String, u32> = Default::default();
        let mut levels: Vec<String> = Vec::new();
        let mut codes = Vec::with_capacity(col.len());
        parse::each_text(col, ctx, |_, v| {
            codes.push(match v {
                None => MISSING,
                Some(s) => match index.get(s) {
                    Some(&k) => k,
                    None => {
                        let k = levels.len() as u32;
                        index.insert(s.to_string(), k);
                        levels.push(s.to_string());
                        k
                    }
                },
            });
            Ok(())
        })?;
        Ok(Self::from_codes(ctx.column, levels, codes))
    }

    /// Orders levels by descending count, then name, and recodes.
    fn from_codes(column: &str, raw_levels: Vec<String>, raw_codes: Vec<u32>) -> Self {
        let mut raw_counts = vec![0usize; raw_levels.len()];
        let mut n_missing = 0;
        for &c in &raw_codes {
            if c == MISSING {
                n_missing += 1;
            } else {
                raw_counts[c as usize] += 1;
            }
        }
        let mut order: Vec<usize> = (0..raw_levels.len()).collect();
        order.sort_by(|&a, &b| {
            raw_counts[b]
                .cmp(&raw_counts[a])
                .then_with(|| raw_levels[a].cmp(&raw_levels[b]))
        });
        let mut remap = vec![0u32; raw_levels.len()];
        for (new, &old) in order.iter().enumerate() {
            remap[old] = new as u32;
        }
        Categorical {
            column: column.to_string(),
            levels: order.iter().map(|&k| raw_levels[k].clone()).collect(),
            counts: order.iter().map(|&k| raw_counts[k]).collect(),
            codes: raw_codes
                .into_iter()
                .map(|c| {
                    if c == MISSING {
                        MISSING
                    } else {
                        remap[c as usize]
                    }
                })
                .collect(),
            n_missing,
        }
    }

    /// The label of row `i`, if present.
    pub fn label(&self, i: usize) -> Option<&str> {
        let c = self.codes[i];
        (c != MISSING).then(|| self.levels[c as usize].as_str())
    }
}

/// The values of one candidate driver.
#[derive(Debug, Clone)]
pub enum DriverValues {
    /// Numeric, ordinal (levels mapped to 1..k) and binary (0/1) drivers; NaN = missing.
    Numeric(Vec<f64>),
    /// Categorical drivers.
    Categorical(Categorical),
}

/// One candidate driver: its config and its typed values.
#[derive(Debug, Clone)]
pub struct Driver {
    pub config: DriverConfig,
    pub values: DriverValues,
    pub n_missing: usize,
    /// True when the present values do not vary (or there are none): the
    /// analyses leave it out with a warning.
    pub constant: bool,
}

impl Driver {
    /// The median of the present values of a numeric (or ordinal, or
    /// yes/no) driver; NaN when it has none or is categorical.
    pub fn median(&self) -> f64 {
        let DriverValues::Numeric(v) = &self.values else {
            return f64::NAN;
        };
        let mut x: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
        if x.is_empty() {
            return f64::NAN;
        }
        crate::stats::quantile::quantile_select(&mut x, 0.5)
    }

    /// What a missing value is scored at in a model term reading this
    /// driver (`code`: the level a categorical term tests): the median of a
    /// numeric or ordinal driver, the more common side of a yes/no one, and
    /// whether the tested level is the most common one (levels are ordered
    /// by count, so that is level 0).
    pub fn typical(&self, code: Option<u32>) -> f64 {
        match (&self.values, code) {
            (DriverValues::Numeric(v), _)
                if self.config.kind == crate::config::DriverKind::Binary =>
            {
                let yes = v.iter().filter(|x| **x == 1.0).count();
                let no = v.iter().filter(|x| **x == 0.0).count();
                f64::from(u8::from(yes >= no))
            }
            (DriverValues::Numeric(_), _) => self.median(),
            (DriverValues::Categorical(_), Some(j)) => f64::from(u8::from(j == 0)),
            (DriverValues::Categorical(_), None) => 0.0,
        }
    }

    /// Rows (accounts), with a value or not.
    pub fn len(&self) -> usize {
        match &self.values {
            DriverValues::Numeric(v) => v.len(),
            DriverValues::Categorical(c) => c.codes.len(),
        }
    }

    /// No rows at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Rows with a value.
    pub fn len_present(&self) -> usize {
        match &self.values {
            DriverValues::Numeric(v) => v.len() - self.n_missing,
            DriverValues::Categorical(c) => c.codes.len() - c.n_missing,
        }
    }

    /// Whether row `i` has a value.
    pub fn is_present(&self, i: usize) -> bool {
        match &self.values {
            DriverValues::Numeric(v) => !v[i].is_nan(),
            DriverValues::Categorical(c) => c.codes[i] != MISSING,
        }
    }
}

/// A soft problem: reported, counted, never a silent drop.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Warning {
    /// Machine-readable kind, e.g. `driver_missing`, `driver_constant`.
    pub kind: String,
    /// The column it concerns, if one.
    pub column: Option<String>,
    /// Rows affected.
    pub rows: usize,
    /// One sentence for people.
    pub message: String,
}
