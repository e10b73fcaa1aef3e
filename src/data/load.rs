//! Builds a validated [`Study`] from a study config: reads the accounts (and
//! revenue) files, converts every role to its type, and applies the
//! data-contract rules. Hard violations are errors naming file, column, row and
//! value; soft ones (missing driver values, a driver with no variance, …)
//! become counted [`Warning`]s.

use std::path::{Path, PathBuf};

use super::accounts::convert_accounts;
use super::ids::id_index;
use super::parse::{self, Ctx};
use super::read::{read_table, ColumnRequest, ReadOptions, Table, Want};
use super::{revenue, Study};
#[cfg(test)]
use super::{Accounts, Warning};
use crate::config::{DriverKind, RenewalsConfig, StudyConfig};
use crate::error::{Error, Result};

/// Loads and validates everything the config names.
///
/// # Errors
/// Any violation of the data contract's hard rules, as an [`Error`] naming
/// the file, column, 1-based row and value.
pub fn load_study(cfg: &StudyConfig) -> Result<Study> {
    let revenue_on_engine = cfg
        .revenue
        .as_ref()
        .is_some_and(|r| r.path.as_os_str().is_empty());
    let renewals_on_engine = cfg.renewals.as_ref().is_some_and(RenewalsConfig::on_engine);
    if cfg.accounts.path.as_os_str().is_empty() || revenue_on_engine || renewals_on_engine {
        return Err(Error::Config {
            path: cfg.source.clone(),
            message: "the tables are on an engine; of the commands, `validate`, `pareto`, `drivers`, `kpis`, `survival`, `renewals --table kpis` and `run` (every stage but the renewals at risk) run there so far — the other commands need the tables as files (path = …)".into(),
        });
    }
    let mut warnings = Vec::new();
    let (path, table) = read_accounts(cfg)?;
    let ids = account_ids(cfg, &table, &path)?;
    // A duplicate id is reported after the other columns' errors, as when
    // everything ran one step after the other.
    let index = cfg.accounts.id.as_ref().map(|col| {
        let c = Ctx {
            path: &path,
            column: col,
            missing_tokens: &[],
        };
        id_index(&ids, c)
    });
    // The revenue file is parsed while the other account columns convert.
    let (converted, early) = rayon::join(
        || convert_accounts(cfg, &table, path.clone(), &mut warnings),
        || match (&cfg.revenue, &index) {
            (Some(rc), Some(Ok(index))) => {
                revenue::parse_early(&cfg.resolve(&rc.path), rc, index, &ids)
            }
            _ => revenue::Early::default(),
        },
    );
    // Freeing the polars table takes a while: off the critical path.
    crate::background::drop_in_background(table);
    let mut accounts = converted?;
    crate::timing::mark("accounts converted");
    if let Some(message) = accounts.one_class() {
        warnings.push(super::Warning {
            kind: "outcome_one_class".into(),
            column: Some(accounts.churn_column.clone()),
            rows: accounts.len(),
            message,
        });
    }
    let index_ok = index.transpose()?.is_some();
    accounts.ids = ids;
    // The renewals table is read while the revenue links (both need only
    // the accounts); its default as-of date then comes from the revenue.
    let (revenue, renewals) = rayon::join(
        || -> Result<Option<super::Revenue>> {
            match &cfg.revenue {
                Some(rc) => {
                    if !index_ok {
                        return Err(Error::Config {
                            path: cfg.source.clone(),
                            message: "[revenue] needs accounts.id to link its rows to accounts; set accounts.id to the account id column".into(),
                        });
                    }
                    Ok(Some(revenue::load_revenue(
                        &cfg.resolve(&rc.path),
                        rc,
                        &accounts,
                        early,
                        &cfg.accounts.missing_values,
                        &mut warnings,
                    )?))
                }
                None => Ok(None),
            }
        },
        || renewals_table(cfg, &accounts),
    );
    let revenue = revenue?;
    crate::timing::mark("revenue linked");
    let durations = super::durations::durations(&accounts, revenue.as_ref(), cfg, &mut warnings)?;
    let renewals = match (renewals?, &cfg.renewals) {
        (Some(mut r), Some(rc)) => {
            r.default_as_of(rc, revenue.as_ref());
            Some(r)
        }
        (None, Some(rc)) => revenue
            .as_ref()
            .map(|rev| super::renewals::derive_renewals(&accounts, rev, rc.term_months, rc.as_of)),
        (r, None) => r,
    };
    crate::timing::mark("renewals");
    Ok(Study {
        name: cfg.name(),
        accounts,
        revenue,
        durations,
        renewals,
        warnings,
    })
}

/// The renewals table of `[renewals]`, when it names one (without a path
/// the renewals are derived once the revenue is loaded).
fn renewals_table(
    cfg: &StudyConfig,
    accounts: &super::Accounts,
) -> Result<Option<super::renewals::Renewals>> {
    let Some((rc, p)) = cfg
        .renewals
        .as_ref()
        .and_then(|rc| Some((rc, rc.path.as_ref()?)))
    else {
        return Ok(None);
    };
    let c = Ctx {
        path: &accounts.path,
        column: cfg.accounts.id.as_deref().unwrap_or("account_id"),
        missing_tokens: &[],
    };
    let index = id_index(&accounts.ids, c)?;
    super::renewals::load_renewals(
        &cfg.resolve(p),
        rc,
        accounts,
        &index,
        &cfg.accounts.missing_values,
    )
    .map(Some)
}

fn requests(cfg: &StudyConfig) -> Vec<ColumnRequest> {
    let a = &cfg.accounts;
    let mut r = Vec::new();
    if let Some(id) = &a.id {
        r.push(ColumnRequest::new(id, "account id", Want::Text));
    }
    r.push(ColumnRequest::new(&a.churned, "churn outcome", Want::Any));
    if let Some(c) = &a.reason {
        r.push(ColumnRequest::new(c, "cancellation reason", Want::Text));
    }
    if let Some(c) = &a.revenue {
        r.push(ColumnRequest::new(c, "revenue", Want::Number));
    }
    if let Some(c) = &cfg.pareto.category {
        r.push(ColumnRequest::new(c, "reason category", Want::Text));
    }
    if let Some(c) = &cfg.pareto.period_column {
        r.push(ColumnRequest::new(c, "period", Want::Text));
    }
    for c in &a.segments {
        r.push(ColumnRequest::new(c, "segment", Want::Text));
    }
    if let Some(c) = &a.owner {
        r.push(ColumnRequest::new(c, "owner", Want::Text));
    }
    if let Some(c) = &a.start_date {
        r.push(ColumnRequest::new(c, "start date", Want::Text));
    }
    if let Some(c) = &a.end_date {
        r.push(ColumnRequest::new(c, "end date", Want::Text));
    }
    if let Some(c) = &cfg.survival.tenure {
        r.push(ColumnRequest::new(
            c,
            "tenure (survival.tenure)",
            Want::Number,
        ));
    }
    for d in &cfg.drivers {
        let want = match d.kind {
            DriverKind::Numeric => Want::Number,
            DriverKind::Ordinal if d.levels.is_none() => Want::Number,
            DriverKind::Ordinal | DriverKind::Categorical => Want::Text,
            DriverKind::Binary => Want::Any,
        };
        r.push(ColumnRequest::new(
            &d.column,
            format!("{} driver", d.kind.as_str()),
            want,
        ));
    }
    for (c, role) in cfg.kpis.columns() {
        r.push(ColumnRequest::new(c, role, Want::Number));
    }
    r
}

/// Reads and converts the accounts file, ids included (one step after the other).
#[cfg(test)]
pub(crate) fn load_accounts(cfg: &StudyConfig, warnings: &mut Vec<Warning>) -> Result<Accounts> {
    let (path, table) = read_accounts(cfg)?;
    let ids = account_ids(cfg, &table, &path)?;
    let mut accounts = convert_accounts(cfg, &table, path, warnings)?;
    accounts.ids = ids;
    Ok(accounts)
}

/// Reads the accounts file's configured columns.
fn read_accounts(cfg: &StudyConfig) -> Result<(PathBuf, Table)> {
    let path = cfg.resolve(&cfg.accounts.path);
    let table = read_table(
        &path,
        &requests(cfg),
        ReadOptions {
            strict_structure: true,
        },
    )?;
    crate::timing::mark("accounts read");
    Ok((path, table))
}

/// The account ids (row numbers when the config names no id column); a
/// blank id is an error.
fn account_ids(cfg: &StudyConfig, table: &Table, path: &Path) -> Result<Vec<String>> {
    let n = table.rows();
    Ok(match &cfg.accounts.id {
        Some(col) => {
            let c = Ctx {
                path,
                column: col,
                missing_tokens: &[],
            };
            let texts = parse::texts(table.column(col)?, c)?;
            let mut ids = Vec::with_capacity(n);
            for (i, v) in texts.into_iter().enumerate() {
                ids.push(v.ok_or_else(|| c.bad(i, "", "is blank; every account needs an id"))?);
            }
            ids
        }
        None => (1..=n).map(|i| i.to_string()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(rel: &str) -> StudyConfig {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
        StudyConfig::from_path(&path).expect("config")
    }

    /// The textbook fixture loads with every role typed and the revenue
    /// linked to its accounts (`tests/data/kpis/README.md`).
    #[test]
    fn textbook_study_loads_and_links() {
        let s = load_study(&fixture("tests/data/kpis/study.toml")).expect("study");
        let a = &s.accounts;
        assert_eq!(a.ids, ["A", "B", "C", "D", "E", "F"]);
        assert_eq!(a.churned.iter().filter(|c| **c).count(), 1);
        assert_eq!(a.owner.as_ref().map(|o| o.levels.len()), Some(2));
        let rev = s.revenue.as_ref().expect("revenue");
        assert_eq!(rev.n_accounts, a.len());
        assert_eq!(rev.first_month.to_string(), "2024-03");
        // F starts in June: no MRR before it.
        assert!(rev.row(5)[0].is_nan());
    }

    /// Revenue rows can only be linked through an id column.
    #[test]
    fn revenue_without_an_id_column_is_a_config_error() {
        let mut cfg = fixture("tests/data/kpis/study.toml");
        cfg.accounts.id = None;
        let e = load_study(&cfg).expect_err("refused");
        assert!(matches!(e, Error::Config { .. }), "{e}");
        assert!(e.to_string().contains("accounts.id"), "{e}");
    }

    /// `load_study` (the revenue parsed beside the account conversions) and
    /// the step-by-step path give the same accounts and warnings.
    #[test]
    fn concurrent_and_sequential_loading_agree() {
        let cfg = fixture("data/demo/study.toml");
        let s = load_study(&cfg).expect("study");
        let mut w = Vec::new();
        let a = load_accounts(&cfg, &mut w).expect("accounts");
        assert_eq!(a.ids, s.accounts.ids);
        assert_eq!(a.churned, s.accounts.churned);
        assert_eq!(a.drivers.len(), s.accounts.drivers.len());
        let account_warnings: Vec<&str> = s
            .warnings
            .iter()
            .filter(|x| {
                !matches!(
                    x.kind.as_str(),
                    "revenue_month_gap" | "revenue_account_absent"
                )
            })
            .map(|x| x.kind.as_str())
            .collect();
        let sequential: Vec<&str> = w.iter().map(|x| x.kind.as_str()).collect();
        assert_eq!(account_warnings, sequential);
    }
}
