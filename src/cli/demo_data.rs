//! `churnlab demo-data`: generate a demo study with planted ground truth.

use std::path::PathBuf;

use crate::data::parse::parse_month;
use crate::demo::{write_demo, DemoParams};
use crate::error::Error;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder to write accounts.csv, revenue.csv, study.toml and truth.json into.
    #[arg(long)]
    pub out: PathBuf,
    /// Number of accounts.
    #[arg(long, default_value_t = 10_000)]
    pub accounts: usize,
    /// Number of months of revenue.
    #[arg(long, default_value_t = 24)]
    pub months: usize,
    /// Random seed; the same seed gives byte-identical files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// First month of the window (YYYY-MM).
    #[arg(long, default_value = "2023-01")]
    pub start: String,
    /// 0-based index of the month whose churn is multiplied (the special cause).
    #[arg(long, default_value_t = 17)]
    pub special_month: usize,
    /// How much the special-cause month multiplies churn.
    #[arg(long, default_value_t = 2.0)]
    pub special_factor: f64,
    /// Replace files that already exist in --out.
    #[arg(long)]
    pub force: bool,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let start = parse_month(&a.start).ok_or_else(|| Error::Usage {
        flag: "--start".into(),
        message: format!("`{}` is not a month; expected YYYY-MM", a.start),
    })?;
    let p = DemoParams {
        accounts: a.accounts,
        months: a.months,
        seed: a.seed,
        start,
        special_month: a.special_month,
        special_factor: a.special_factor,
    };
    let t = write_demo(&p, &a.out, a.force)?;
    eprintln!(
        "wrote {} accounts ({} churned, {:.1} %) and {} revenue rows over {} months to {}",
        p.accounts,
        t.churn.n_churned,
        100.0 * t.churn.rate,
        t.n_revenue_rows,
        p.months,
        a.out.display()
    );
    Ok(())
}
