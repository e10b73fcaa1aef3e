//! The SQL of the multivariable model's passes over the accounts table:
//! the design's rows (the outcome and each term as a double, on complete
//! cases), their moments and ranges in one scan, a batch of Newton passes
//! (Σ log-likelihood, X'(y − μ), X'WX for every fit of the batch, one group
//! each, in one scan), and the sums behind the marginal effects and the
//! AUC at the fit. Column `x0` is the intercept (1, never stored).

use super::Dialect;

/// `exp` overflows a double beyond ±709.78, and PostgreSQL raises an error
/// on an `exp` that underflows to 0; the linear predictor is clamped at
/// this before `exp`, where 1 + e^−709 is already 1 in a double.
const EXP_CLAMP: &str = "709";

/// The design's rows: `y` and `x1..xp`, doubles, of the rows where every
/// `present` condition holds.
pub fn design_rows(d: Dialect, from: &str, y: &str, xs: &[String], present: &[String]) -> String {
    let mut cols = vec![format!("{} AS y", d.double(y))];
    cols.extend(
        xs.iter()
            .enumerate()
            .map(|(j, x)| format!("{} AS x{}", d.double(x), j + 1)),
    );
    let filter = if present.is_empty() {
        "1 = 1".to_string()
    } else {
        present.join(" AND ")
    };
    format!(
        "SELECT {} FROM {from} WHERE {filter}{}",
        cols.join(", "),
        d.fence()
    )
}

/// `factor · x_a · x_b · …` with `prefix` before each column name, the
/// intercept (column 0, which is 1) left out.
fn times(factor: &str, prefix: &str, cols: &[usize]) -> String {
    let mut out = factor.to_string();
    for &j in cols.iter().filter(|&&j| j > 0) {
        out.push_str(&format!(" * {prefix}x{j}"));
    }
    out
}

/// The column pairs (a, b), `first` ≤ a ≤ b ≤ p, row by row: the order in
/// which the queries here list covariances and Σ w·x_a·x_b.
pub fn pairs(first: usize, p: usize) -> Vec<(usize, usize)> {
    (first..=p)
        .flat_map(|a| (a..=p).map(move |b| (a, b)))
        .collect()
}

/// Where (a, b), a ≤ b ≤ p, stands in [`pairs`]`(0, p)`.
pub fn pair_index(p: usize, a: usize, b: usize) -> usize {
    // Rows 0..a hold (p + 1) + p + … + (p + 2 − a) entries.
    a * (p + 1) - a * a.saturating_sub(1) / 2 + (b - a)
}

/// One scan of the design's `p` columns (after the intercept): rows, Σ y,
/// the means, the sample covariances (upper triangle, row by row), and per
/// column its min and max among churned and among retained rows and its
/// rows above ½.
pub fn moments(rows: &str, p: usize) -> String {
    let mut out = vec!["COUNT(*)".to_string(), "SUM(y)".to_string()];
    out.extend((1..=p).map(|j| format!("AVG(x{j})")));
    out.extend(
        pairs(1, p)
            .into_iter()
            .map(|(a, b)| format!("COVAR_SAMP(x{a}, x{b})")),
    );
    for j in 1..=p {
        out.push(format!("MIN(CASE WHEN y = 1 THEN x{j} END)"));
        out.push(format!("MAX(CASE WHEN y = 1 THEN x{j} END)"));
        out.push(format!("MIN(CASE WHEN y = 0 THEN x{j} END)"));
        out.push(format!("MAX(CASE WHEN y = 0 THEN x{j} END)"));
        out.push(format!("SUM(CASE WHEN x{j} > 0.5 THEN 1 ELSE 0 END)"));
    }
    format!("SELECT {} FROM ({rows}) AS d", out.join(", "))
}

/// The linear predictor `Σ b_j x_j` with `b(j)` naming coefficient j.
fn eta(p: usize, b: impl Fn(usize) -> String) -> String {
    (0..=p)
        .map(|j| times(&b(j), "", &[j]))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// One fit's pass in a batch: all `p + 1` coefficients (0 for columns the
/// fit does not use) and, for Firth's score, the weights `g_ab` of the
/// leverage's quadratic form Σ_{a≤b} g_ab x_a x_b (row-major upper triangle).
pub struct PassAsk {
    pub beta: Vec<f64>,
    pub leverage: Option<Vec<f64>>,
}

/// A batch of Newton passes in one scan, one group per ask (`k`, in
/// order): Σ ℓ, then Σ r·x_j (j = 0..p), then Σ w·x_a·x_b (a ≤ b, row by
/// row), where r = y − μ (plus Firth's h(½ − μ)) and w = μ(1 − μ). The
/// coefficients come in as a small relation cross-joined to the rows.
pub fn passes(d: Dialect, rows: &str, p: usize, asks: &[PassAsk]) -> String {
    let firth = asks.iter().any(|a| a.leverage.is_some());
    let pairs = pairs(0, p);
    let betas: Vec<String> = asks
        .iter()
        .enumerate()
        .map(|(k, a)| {
            let mut cols = vec![format!("{k} AS k")];
            cols.extend(
                a.beta
                    .iter()
                    .enumerate()
                    .map(|(j, b)| format!("{} AS b{j}", d.number(*b))),
            );
            if firth {
                cols.extend(pairs.iter().enumerate().map(|(i, (a2, b2))| {
                    let g = a.leverage.as_ref().map_or(0.0, |g| g[i]);
                    format!("{} AS g{a2}_{b2}", d.number(g))
                }));
            }
            format!("SELECT {}", cols.join(", "))
        })
        .collect();
    let xs: Vec<String> = (1..=p).map(|j| format!("x{j}")).collect();
    let xs_list = if xs.is_empty() {
        String::new()
    } else {
        format!(", {}", xs.join(", "))
    };
    let dxs: String = (1..=p).map(|j| format!(", d.x{j}")).collect();
    let t = eta(p, |j| format!("b.b{j}"));
    let (q_in, q_out, lev) = if firth {
        let q: Vec<String> = pairs
            .iter()
            .map(|&(a, b)| times(&format!("b.g{a}_{b}"), "d.", &[a, b]))
            .collect();
        (
            format!(", {} AS q", q.join(" + ")),
            ", q".to_string(),
            " + mu * (1 - mu) * q * (0.5 - mu)",
        )
    } else {
        (String::new(), String::new(), "")
    };
    let mut sums = vec!["SUM(ll)".to_string()];
    sums.extend((0..=p).map(|j| format!("SUM({})", times("r", "", &[j]))));
    sums.extend(
        pairs
            .iter()
            .map(|&(a, b)| format!("SUM({})", times("w", "", &[a, b]))),
    );
    format!(
        "SELECT k, {sums} FROM (\
         SELECT k{xs_list}, y * t - GREATEST(t, 0) - LN(1 + e) AS ll, mu * (1 - mu) AS w, y - mu{lev} AS r FROM (\
         SELECT k, y{xs_list}, t, e{q_out}, CASE WHEN t >= 0 THEN 1 / (1 + e) ELSE e / (1 + e) END AS mu FROM (\
         SELECT k, y{xs_list}, t{q_out}, EXP(-LEAST(ABS(t), {EXP_CLAMP})) AS e FROM (\
         SELECT b.k, d.y{dxs}, {t} AS t{q_in} FROM ({rows}) AS d CROSS JOIN ({betas}) AS b{f}\
         ) AS s1{f}) AS s2{f}) AS s3{f}) AS s4 GROUP BY k ORDER BY k",
        sums = sums.join(", "),
        betas = betas.join(" UNION ALL "),
        f = d.fence(),
    )
}

/// μ = 1 / (1 + e^−t) of the rows at coefficients `beta` (all p + 1).
fn mu_rows(d: Dialect, rows: &str, beta: &[f64]) -> String {
    let p = beta.len().saturating_sub(1);
    let t = eta(p, |j| d.number(beta[j]));
    let xs: String = (1..=p).map(|j| format!(", x{j}")).collect();
    format!(
        "SELECT y{xs}, {} AS mu \
         FROM (SELECT y{xs}, {t} AS t FROM ({rows}) AS d{f}) AS s{f}",
        sigmoid("t"),
        f = d.fence()
    )
}

/// σ(t) = 1 / (1 + e^−t) as SQL ([`crate::stats::logit::sigmoid`]), 0 and 1
/// beyond the clamp where `exp` would overflow or PostgreSQL would refuse
/// its underflow.
pub fn sigmoid(t: &str) -> String {
    format!("CASE WHEN {t} < -{EXP_CLAMP} THEN 0 WHEN {t} > {EXP_CLAMP} THEN 1 ELSE 1 / (1 + EXP(-{t})) END")
}

/// At `beta`: Σ w and Σ w(1 − 2μ)·x_j for each of `cols` (w = μ(1 − μ)).
pub fn margin_sums(d: Dialect, rows: &str, beta: &[f64], cols: &[usize]) -> String {
    let mut sums = vec!["SUM(mu * (1 - mu))".to_string()];
    let g = "mu * (1 - mu) * (1 - 2 * mu)";
    sums.extend(cols.iter().map(|&j| format!("SUM({})", times(g, "", &[j]))));
    format!(
        "SELECT {} FROM ({}) AS m",
        sums.join(", "),
        mu_rows(d, rows, beta)
    )
}

/// At `beta`, the AUC's Mann–Whitney sum in integers: Σ over distinct μ of
/// churned · (2·below + count + 1), twice the churned rows' mid-rank sum;
/// then the churned rows and all rows.
pub fn auc(d: Dialect, rows: &str, beta: &[f64]) -> String {
    format!(
        "SELECT SUM(c1 * (2 * below + c + 1)), SUM(c1), SUM(c) FROM (\
         SELECT c, c1, SUM(c) OVER (ORDER BY mu ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - c AS below FROM (\
         SELECT mu, COUNT(*) AS c, SUM(CASE WHEN y = 1 THEN 1 ELSE 0 END) AS c1 FROM ({}) AS m GROUP BY mu\
         ) AS g) AS r",
        mu_rows(d, rows, beta)
    )
}
