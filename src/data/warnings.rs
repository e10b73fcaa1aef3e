//! The load's counted warnings, worded once: the file loader and the
//! engine's load summary both raise them (`None` when nothing was counted).

use super::Warning;

impl Warning {
    /// A warning of `kind` on `column` about `rows` rows; `None` for 0 rows.
    fn counted(kind: &str, column: &str, rows: usize, message: String) -> Option<Self> {
        (rows > 0).then(|| Warning {
            kind: kind.into(),
            column: Some(column.to_string()),
            rows,
            message,
        })
    }

    pub fn reason_on_retained(column: &str, n: usize) -> Option<Self> {
        Self::counted(
            "reason_on_retained",
            column,
            n,
            format!("{n} retained accounts have a cancellation reason; it is ignored for them"),
        )
    }

    pub fn reason_blank(column: &str, n: usize) -> Option<Self> {
        Self::counted("reason_blank", column, n, format!("{n} churned accounts have no cancellation reason; they are reported as \"(not given)\""))
    }

    pub fn revenue_missing(column: &str, n: usize) -> Option<Self> {
        Self::counted("revenue_missing", column, n, format!("{n} accounts have no revenue value; they count with zero revenue in revenue-weighted tables"))
    }

    /// Blank cells of a segment or owner column (`role`).
    pub fn label_missing(role: &str, column: &str, n: usize) -> Option<Self> {
        Self::counted(
            &format!("{role}_missing"),
            column,
            n,
            format!("{n} rows have no {role} value in `{column}`"),
        )
    }

    pub fn end_date_missing(column: &str, n: usize) -> Option<Self> {
        Self::counted(
            "end_date_missing",
            column,
            n,
            format!("{n} churned accounts have no end date; analyses over time leave them out"),
        )
    }

    pub fn end_date_on_retained(column: &str, n: usize) -> Option<Self> {
        Self::counted("end_date_on_retained", column, n, format!("{n} accounts marked as retained have an end date; the churn column is taken as the truth"))
    }

    /// A driver's warnings: blank in every row, or in some; and constant
    /// where it has values. `n` rows, `missing` of them blank.
    pub fn of_driver(
        column: &str,
        label: &str,
        missing: usize,
        n: usize,
        constant: bool,
    ) -> Vec<Self> {
        let mut out = Vec::new();
        if missing == n {
            out.extend(Self::counted("driver_all_missing", column, n, format!("driver `{label}` has no value in any of the {n} rows; it is left out of the analyses")));
        } else {
            out.extend(Self::counted("driver_missing", column, missing, format!(
                "driver `{label}` is blank in {missing} of {n} rows ({:.1} %); analyses of it use the other rows",
                100.0 * missing as f64 / n as f64
            )));
        }
        if constant && missing < n {
            out.extend(Self::counted("driver_constant", column, n - missing, format!("driver `{label}` has the same value in every row that has one; with no variance it is left out of the analyses")));
        }
        out
    }

    /// Months inside the revenue table's range without a row.
    pub fn revenue_month_gap(column: &str, gaps: &[String]) -> Option<Self> {
        (!gaps.is_empty()).then(|| Warning {
            kind: "revenue_month_gap".into(),
            column: Some(column.to_string()),
            rows: 0,
            message: format!(
                "no revenue rows at all for {} month(s) inside the range: {}",
                gaps.len(),
                gaps.join(", ")
            ),
        })
    }

    pub fn revenue_account_absent(column: &str, n: usize) -> Option<Self> {
        Self::counted(
            "revenue_account_absent",
            column,
            n,
            format!("{n} accounts have no revenue rows; they are outside every revenue cohort"),
        )
    }

    pub fn survival_before_window(column: &str, n: usize) -> Option<Self> {
        Self::counted("survival_before_window", column, n, format!("{n} accounts ended before the study window began; the survival analysis leaves them out"))
    }
}
