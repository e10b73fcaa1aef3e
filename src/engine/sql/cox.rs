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

/// The model's rows over a durations frame: `k` (the id), `t` (exit), `e` (event), `n`
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
        "SELECT k, {exit} AS t, y AS e, {} AS n{xs} FROM {frame} WHERE {keep} AND ok = 1{}",
        entry.unwrap_or("0"),
        d.fence()
    )
}

/// A batch of passes in one scan, one group per fit `k` of `betas` (a
/// coefficient for each of the `p` columns of the model's `rows`, 0 for a
/// column the fit leaves out), on the columns standardised by `means` and
/// `sds`: rows of (k, 0 for an exit time or 1 for an entry time, exit,
/// event, entry, rows, Σ r, Σ r z_a, Σ r z_a z_b (a ≤ b, row by row), Σ z_a,
/// Σ η). The coefficients come in as a small relation cross-joined to the
/// rows.
pub fn cox_passes(
    d: Dialect,
    rows: &str,
    means: &[f64],
    sds: &[f64],
    betas: &[Vec<f64>],
    entry: bool,
) -> String {
    let p = means.len();
    let zs: String = (0..p)
        .map(|a| {
            format!(
                ", (x{} - {}) / {} AS z{a}",
                a + 1,
                d.number(means[a]),
                d.number(sds[a])
            )
        })
        .collect();
    let z_list = |prefix: &str| -> String { (0..p).map(|a| format!(", {prefix}z{a}")).collect() };
    let eta = if p == 0 {
        "0".to_string()
    } else {
        (0..p)
            .map(|a| format!("b.b{a} * c.z{a}"))
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let coefficients: Vec<String> = betas
        .iter()
        .enumerate()
        .map(|(k, b)| {
            let mut cols = vec![format!("{k} AS k")];
            cols.extend(
                b.iter()
                    .enumerate()
                    .map(|(a, v)| format!("{} AS b{a}", d.number(*v))),
            );
            format!("SELECT {}", cols.join(", "))
        })
        .collect();
    let mut sums = vec!["COUNT(*)".to_string(), "SUM(r)".to_string()];
    sums.extend((0..p).map(|a| format!("SUM(r * z{a})")));
    if p > 0 {
        sums.extend(
            pairs(0, p - 1)
                .into_iter()
                .map(|(a, b)| format!("SUM(r * z{a} * z{b})")),
        );
    }
    sums.extend((0..p).map(|a| format!("SUM(z{a})")));
    sums.push("SUM(eta)".into());
    let (set, group) = if entry {
        ("GROUPING(x)", "GROUPING SETS ((k, x, e), (k, n))")
    } else {
        ("0", "k, x, e")
    };
    format!(
        "SELECT k, {set}, x, e, n, {} FROM (\
         SELECT k, t AS x, e, n{}, eta, EXP(GREATEST(LEAST(eta, {EXP_CLAMP}), -{EXP_CLAMP})) AS r FROM (\
         SELECT b.k, c.t, c.e, c.n{}, {eta} AS eta FROM (\
         SELECT t, e, n{zs} FROM ({rows}) AS r0{f}) AS c CROSS JOIN ({}) AS b{f}) AS s2{f}) AS s3 \
         GROUP BY {group}",
        sums.join(", "),
        z_list(""),
        z_list("c."),
        coefficients.join(" UNION ALL "),
        f = d.fence(),
    )
}

/// The proportional-hazards check's sums over the model's `rows` (`p`
/// columns), in one scan: rows of (0 for an exit time or 1 for an entry
/// time, exit, event, entry, rows, Σ x_a, Σ pos · x_a), where pos numbers
/// the events of one exit time by id (a table has no row order).
pub fn ph_sums(rows: &str, p: usize, entry: bool) -> String {
    let xs: String = (1..=p).map(|j| format!(", x{j}")).collect();
    let mut sums = vec!["COUNT(*)".to_string()];
    sums.extend((1..=p).map(|j| format!("SUM(x{j})")));
    sums.extend((1..=p).map(|j| format!("SUM(pos * x{j})")));
    let (set, group) = if entry {
        ("GROUPING(x)", "GROUPING SETS ((x, e), (n))")
    } else {
        ("0", "x, e")
    };
    format!(
        "SELECT {set}, x, e, n, {} FROM (\
         SELECT t AS x, e, n{xs}, CASE WHEN e = 1 THEN ROW_NUMBER() OVER (PARTITION BY t, e ORDER BY k) ELSE 0 END AS pos \
         FROM ({rows}) AS r) AS w GROUP BY {group}",
        sums.join(", ")
    )
}
