//! The revenue table in memory: each account's MRR per month (NaN = no
//! row), stored in blocks of accounts so the streaming reader's pages become
//! the storage without a second copy of the matrix.

use super::Month;

/// Longest span of months accepted (50 years); more means a broken month column.
pub const MAX_MONTHS: i32 = 600;

/// Accounts per block of [`Revenue`]'s MRR storage.
pub const BLOCK_ACCOUNTS: usize = 1024;

/// MRR per account and month: [`Revenue::row`] of account `a` holds its MRR
/// in months `first_month + m`, NaN when the table has no row for it. Stored
/// in blocks of [`BLOCK_ACCOUNTS`] accounts (the streaming reader's pages
/// become the storage as they are, without a second copy of the matrix).
#[derive(Debug, Clone)]
pub struct Revenue {
    pub path: std::path::PathBuf,
    pub first_month: Month,
    pub n_months: usize,
    pub n_accounts: usize,
    pub n_rows: usize,
    pub(super) blocks: Vec<Box<[f64]>>,
}

impl Revenue {
    /// From an account-major matrix: `dense[a * n_months + m]` (NaN = no row).
    pub fn from_dense(
        path: std::path::PathBuf,
        first_month: Month,
        n_months: usize,
        n_rows: usize,
        dense: &[f64],
    ) -> Revenue {
        Revenue {
            path,
            first_month,
            n_months,
            n_accounts: dense.len() / n_months.max(1),
            n_rows,
            blocks: blocks_of(dense, n_months),
        }
    }

    /// Account `a`'s MRR, one value per month (NaN = no row).
    pub fn row(&self, a: usize) -> &[f64] {
        let r = a % BLOCK_ACCOUNTS;
        &self.blocks[a / BLOCK_ACCOUNTS][r * self.n_months..(r + 1) * self.n_months]
    }

    /// MRR of account `a` in month index `m` (0 when absent).
    pub fn billed(&self, a: usize, m: usize) -> f64 {
        let x = self.row(a)[m];
        if x.is_nan() {
            0.0
        } else {
            x
        }
    }

    /// The month at index `m`.
    pub fn month(&self, m: usize) -> Month {
        self.first_month.plus(m as i32)
    }

    pub fn last_month(&self) -> Month {
        self.month(self.n_months - 1)
    }
}

/// An account-major matrix cut into the storage blocks.
pub(super) fn blocks_of(dense: &[f64], n_months: usize) -> Vec<Box<[f64]>> {
    dense
        .chunks((BLOCK_ACCOUNTS * n_months).max(1))
        .map(|b| b.to_vec().into_boxed_slice())
        .collect()
}
