//! The SQL of the KPI stage's driver part: the numeric drivers' spread at
//! the model's complete cases (one scan), every counterfactual's stake
//! (one scan), and the drivers' values per start month (one scan).

use super::model::sigmoid;
use super::Dialect;
use crate::kpis::counterfactual::Shift;

/// `v0, v1, …`: each of `xs` as a double named `v{j}`, and `extra` columns.
fn values(d: Dialect, xs: &[String], extra: &[String]) -> String {
    let mut cols: Vec<String> = extra.to_vec();
    cols.extend(
        xs.iter()
            .enumerate()
            .map(|(j, x)| format!("{} AS v{j}", d.double(x))),
    );
    cols.join(", ")
}

/// One scan of the complete cases (rows of `from` where `present` holds):
/// per driver value of `xs` its min, max and each quantile of `qs`.
pub fn spread(d: Dialect, from: &str, present: &str, xs: &[String], qs: &[f64]) -> String {
    let mut out = Vec::new();
    for j in 0..xs.len() {
        out.push(format!("MIN(v{j})"));
        out.push(format!("MAX(v{j})"));
        out.extend(qs.iter().map(|&q| d.quantile(&format!("v{j}"), q)));
    }
    format!(
        "SELECT {} FROM (SELECT {} FROM {from} WHERE {present}{}) AS s",
        out.join(", "),
        values(d, xs, &[]),
        d.fence()
    )
}

/// The shift of η under `shift`, as SQL over the value column `v`.
fn shift_sql(d: Dialect, v: &str, shift: &Shift) -> String {
    match shift {
        Shift::Toward { b, target, higher } => {
            let op = if *higher { "<" } else { ">" };
            let t = d.number(*target);
            format!(
                "CASE WHEN {v} {op} {t} THEN {} * ({t} - {v}) ELSE 0 END",
                d.number(*b)
            )
        }
        Shift::Levels(delta) => {
            let whens: String = delta
                .iter()
                .enumerate()
                .filter(|(_, &x)| x != 0.0)
                .map(|(j, &x)| format!(" WHEN {j} THEN {}", d.number(x)))
                .collect();
            if whens.is_empty() {
                "0".into()
            } else {
                format!("CASE {v}{whens} ELSE 0 END")
            }
        }
    }
}

/// One scan of the complete cases: their count and, per counterfactual
/// (`xs[j]` the driver's value as SQL, shifted by `shifts[j]`), Σ (σ(η) −
/// σ(η + shift)) and Σ of it weighted by `weight` where there is one (0
/// without an ARR column). η is `eta`, SQL over the accounts.
pub fn stakes(
    d: Dialect,
    from: &str,
    present: &str,
    eta: &str,
    weight: Option<&str>,
    xs: &[String],
    shifts: &[&Shift],
) -> String {
    let w = weight.map_or_else(|| d.double("NULL"), str::to_string);
    let extra = [format!("{eta} AS t"), format!("{w} AS w")];
    let shifted: Vec<String> = shifts
        .iter()
        .enumerate()
        .map(|(j, s)| format!("{} AS s{j}", shift_sql(d, &format!("v{j}"), s)))
        .collect();
    let probs: Vec<String> = (0..shifts.len())
        .map(|j| format!("{} AS g{j}", sigmoid(&format!("(t + s{j})"))))
        .collect();
    let mut sums = vec!["COUNT(*)".to_string()];
    for j in 0..shifts.len() {
        sums.push(format!("SUM(f - g{j})"));
        sums.push(format!(
            "COALESCE(SUM(CASE WHEN w IS NOT NULL THEN w * (f - g{j}) END), 0)"
        ));
    }
    let with = |cols: &[String]| cols.iter().map(|c| format!(", {c}")).collect::<String>();
    format!(
        "SELECT {sums} FROM (\
         SELECT w, {f} AS f{g} FROM (\
         SELECT t, w{s} FROM (\
         SELECT {v} FROM {from} WHERE {present}{fence}\
         ) AS l0{fence}) AS l1{fence}) AS l2",
        sums = sums.join(", "),
        f = sigmoid("t"),
        g = with(&probs),
        s = with(&shifted),
        v = values(d, xs, &extra),
        fence = d.fence(),
    )
}

/// One scan of `frame` grouped by its start-month column `sm` (one group
/// when `by_month` is false): per value column `v{j}` (`n_values` of them)
/// its count, sum, sample standard deviation, min and max, and per level
/// column `c{j}` (`n_levels`) its count and its rows at level 0.
pub fn cohorts(frame: &str, by_month: bool, n_values: usize, n_levels: usize) -> String {
    let mut out = vec![if by_month { "sm" } else { "NULL" }.to_string()];
    for j in 0..n_values {
        out.extend([
            format!("COUNT(v{j})"),
            format!("SUM(v{j})"),
            format!("STDDEV_SAMP(v{j})"),
            format!("MIN(v{j})"),
            format!("MAX(v{j})"),
        ]);
    }
    for j in 0..n_levels {
        out.push(format!("COUNT(c{j})"));
        out.push(format!("SUM(CASE WHEN c{j} = 0 THEN 1 ELSE 0 END)"));
    }
    let group = if by_month { " GROUP BY sm" } else { "" };
    format!("SELECT {} FROM {frame}{group}", out.join(", "))
}
