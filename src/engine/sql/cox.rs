//! The SQL of the Cox model's passes: the model's rows (exit, event, entry
//! and the design's columns, on complete cases with a duration), and one
//! pass at β: per exit time and event the rows' count, Σ r, Σ r z, Σ r z zᵀ,
//! Σ z and Σ η (r = exp(η), z the standardised columns), and with delayed
//! entry the same sums per entry time, in one scan.

use super::model::pairs;
use super::Dialect;

/// `exp` overflows a double beyond ±709.78 (and PostgreSQL raises an error
/// where it underflows): the linear predictor is clamped before `exp`.
const EXP_CLAMP: &str = "709";

/// The model's rows over a durations frame: `t` (exit), `e` (event), `n`
/// (entry, 0 without delayed entry) and `x1..xp`, the frame's columns
/// `cols` (in that order), where `keep` holds and the row is complete
/// (`ok` = 1).
pub fn cox_rows(
    d: Dialect,
    frame: &str,
    exit: &str,
    entry: Option<&str>,
    keep: &str,
    cols: &[String],
) -> String {
    let xs: String = cols
        .iter()
        .enumerate()
        .map(|(j, c)| format!(", {} AS x{}", d.double(c), j + 1))
        .collect();
    format!(
        "SELECT {exit} AS t, y AS e, {} AS n{xs} FROM {frame} WHERE {keep} AND ok = 1{}",
        entry.unwrap_or("0"),
        d.fence()
    )
}

/// One pass at `beta` on the columns `sel` (1-based `x` numbers) of the
/// model's `rows`, standardised by `means` and `sds`: rows of (0 for an
/// exit time or 1 for an entry time, exit, event, entry, rows, Σ r,
/// Σ r z_a, Σ r z_a z_b (a ≤ b, row by row), Σ z_a, Σ η).
pub fn cox_pass(
    d: Dialect,
    rows: &str,
    sel: &[usize],
    means: &[f64],
    sds: &[f64],
    beta: &[f64],
    entry: bool,
) -> String {
    let q = sel.len();
    let zs: String = sel
        .iter()
        .enumerate()
        .map(|(a, &j)| {
            format!(
                ", (x{j} - {}) / {} AS z{a}",
                d.number(means[a]),
                d.number(sds[a])
            )
        })
        .collect();
    let z_list: String = (0..q).map(|a| format!(", z{a}")).collect();
    let eta = if q == 0 {
        "0".to_string()
    } else {
        (0..q)
            .map(|a| format!("{} * z{a}", d.number(beta[a])))
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let mut sums = vec!["COUNT(*)".to_string(), "SUM(r)".to_string()];
    sums.extend((0..q).map(|a| format!("SUM(r * z{a})")));
    sums.extend(
        pairs(0, q.saturating_sub(1))
            .into_iter()
            .filter(|_| q > 0)
            .map(|(a, b)| format!("SUM(r * z{a} * z{b})")),
    );
    sums.extend((0..q).map(|a| format!("SUM(z{a})")));
    sums.push("SUM(eta)".into());
    let (set, group) = if entry {
        ("GROUPING(x)", "GROUPING SETS ((x, e), (n))")
    } else {
        ("0", "x, e")
    };
    format!(
        "SELECT {set}, x, e, n, {} FROM (\
         SELECT t AS x, e, n{z_list}, eta, EXP(GREATEST(LEAST(eta, {EXP_CLAMP}), -{EXP_CLAMP})) AS r FROM (\
         SELECT t, e, n{z_list}, {eta} AS eta FROM (\
         SELECT t, e, n{zs} FROM ({rows}) AS c{f}) AS s1{f}) AS s2{f}) AS s3 GROUP BY {group}",
        sums.join(", "),
        f = d.fence(),
    )
}
