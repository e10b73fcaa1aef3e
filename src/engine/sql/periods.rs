//! The period-KPI pass: every planned start → end comparison of the
//! revenue table in one query. The revenue rows are grouped by account
//! into one row of MRR per month (0 where the account has no row, as in
//! memory) and its first billed month; each account row is then paired
//! with every comparison (a small list) and the data contract's cohort
//! counts and MRR sums are added up per comparison. The revenue table is
//! read once, and the large grouping is by account alone.

use super::Dialect;

/// The columns of the revenue relation the pass reads.
pub struct RevenueColumns<'a> {
    pub from: &'a str,
    pub id: &'a str,
    pub period: &'a str,
    pub mrr: &'a str,
}

/// The query: rows of (comparison index, cohort, churned, new,
/// reactivated, billed at the end, starting, churned, contraction,
/// expansion, new, reactivation and ending MRR), in comparison order.
/// `months` maps each month cell to its index (`0..n`); `pairs` are the
/// comparisons' (start, end) indices.
pub fn period_counts(
    d: Dialect,
    r: &RevenueColumns,
    months: &[(String, usize)],
    n: usize,
    pairs: &[(usize, usize)],
) -> String {
    let whens: String = months
        .iter()
        .map(|(c, i)| format!(" WHEN {} THEN {i}", d.literal(c)))
        .collect();
    let per_month: Vec<String> = (0..n)
        .map(|m| format!("SUM(CASE WHEN m = {m} THEN x ELSE 0 END) AS m{m}"))
        .collect();
    let pick = |col: &str| -> String {
        let whens: String = (0..n).map(|m| format!(" WHEN {m} THEN a.m{m}")).collect();
        format!("CASE p.{col}{whens} END")
    };
    let pair_rows: Vec<String> = pairs
        .iter()
        .enumerate()
        .map(|(k, (s, e))| format!("SELECT {k} AS k, {s} AS s, {e} AS e"))
        .collect();
    let x = format!("COALESCE({}, 0)", d.double(&d.cell(r.mrr, &[])));
    let count = |c: &str| format!("SUM(CASE WHEN {c} THEN 1 ELSE 0 END)");
    let sum = |c: &str, v: &str| format!("SUM(CASE WHEN {c} THEN {v} ELSE 0 END)");
    let (new, back) = (
        "x <= 0 AND y > 0 AND fb >= s",
        "x <= 0 AND y > 0 AND fb < s",
    );
    let items = [
        count("x > 0"),
        count("x > 0 AND y <= 0"),
        count(new),
        count(back),
        count("y > 0"),
        sum("x > 0", "x"),
        sum("x > 0 AND y <= 0", "x"),
        sum("x > 0 AND y > 0 AND y <= x", "x - y"),
        sum("x > 0 AND y > x", "y - x"),
        sum(new, "y"),
        sum(back, "y"),
        sum("y > 0", "y"),
    ];
    format!(
        "SELECT k, {items} FROM (\
         SELECT p.k, p.s, {xs} AS x, {ys} AS y, a.fb FROM (\
         SELECT {per_month}, MIN(CASE WHEN x > 0 THEN m END) AS fb FROM (\
         SELECT {id} AS id, CASE {cell}{whens} END AS m, {x} AS x FROM {from}\
         {f}) AS t GROUP BY id{f}) AS a CROSS JOIN ({pairs}) AS p\
         {f}) AS c GROUP BY k ORDER BY k",
        items = items.join(", "),
        xs = pick("s"),
        ys = pick("e"),
        per_month = per_month.join(", "),
        id = d.text(&d.ident(r.id)),
        cell = d.cell(r.period, &[]),
        from = r.from,
        pairs = pair_rows.join(" UNION ALL "),
        f = d.fence(),
    )
}
