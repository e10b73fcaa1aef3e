//! The renewals stage's SQL: the renewals table as the stage reads it (its
//! date cells joined to the days, months and earliest closed days they
//! read as, its outcome labels as codes, its ARR as doubles), the
//! cross-column checks in one scan, and every month × group's sums in one
//! `GROUPING SETS` scan joined to the accounts' segments and owner.

use super::Dialect;

/// The outcome codes of [`frame`]'s `o`.
pub const RENEWED: u8 = 0;
pub const CHURNED: u8 = 1;
pub const OPEN: u8 = 2;

/// The renewals relation's columns and what its cells mean.
pub struct RenewalColumns<'a> {
    pub from: &'a str,
    pub id: &'a str,
    pub renewal_date: &'a str,
    pub arr_due: &'a str,
    pub outcome: &'a str,
    pub renewed_arr: &'a str,
    pub closed_date: &'a str,
    pub missing: &'a [String],
    /// The outcome cells that mean renewed, and churned (the rest: open).
    pub renewed: &'a [String],
    pub churned: &'a [String],
}

/// One renewal date cell: the day, the month (`year * 12 + month - 1`) and
/// the earliest day a renewal due then may close (a term before it).
pub struct DueCell {
    pub cell: String,
    pub day: i32,
    pub month: i32,
    pub earliest: i32,
}

/// An inline table of rows of SQL values with the columns `cols`.
fn values(d: Dialect, rows: &[String], name: &str, cols: &[&str]) -> String {
    if rows.is_empty() {
        let nulls: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(j, c)| match j {
                0 => format!("{} AS {c}", d.text("NULL")),
                _ => format!("0 AS {c}"),
            })
            .collect();
        return format!("(SELECT {}) AS {name}", nulls.join(", "));
    }
    format!(
        "(VALUES {}) AS {name}({})",
        rows.join(", "),
        cols.join(", ")
    )
}

/// `c IN (…)` of the cells `list` (false when empty).
fn one_of(d: Dialect, c: &str, list: &[String]) -> String {
    if list.is_empty() {
        return "1 = 0".into();
    }
    let cells: Vec<String> = list.iter().map(|v| d.literal(v)).collect();
    format!("{c} IN ({})", cells.join(", "))
}

/// The renewals as the stage reads them: `k` (the account id), `dc` (the
/// renewal date cell), `dd`, `mon`, `lo` (its day, month and earliest
/// closed day), `cd` (the closed day), `o` (the outcome code), `x` (ARR
/// due) and `r` (renewed ARR), NULL where blank.
pub fn frame(d: Dialect, r: &RenewalColumns, due: &[DueCell], closed: &[(String, i32)]) -> String {
    let number = |c: &str| {
        let cell = d.cell(c, r.missing);
        format!(
            "CASE WHEN {} THEN {} END",
            d.is_number(&cell),
            d.double(&cell)
        )
    };
    let oc = d.cell(r.outcome, r.missing);
    let due_rows: Vec<String> = due
        .iter()
        .map(|c| {
            format!(
                "({}, {}, {}, {})",
                d.literal(&c.cell),
                c.day,
                c.month,
                c.earliest
            )
        })
        .collect();
    let closed_rows: Vec<String> = closed
        .iter()
        .map(|(c, day)| format!("({}, {day})", d.literal(c)))
        .collect();
    format!(
        "(SELECT b.k, b.dc, m0.day AS dd, m0.mon, m0.lo, m1.day AS cd, b.o, b.x, b.r FROM \
         (SELECT {k} AS k, {dc} AS dc, {cc} AS cc, \
         CASE WHEN {ren} THEN {RENEWED} WHEN {chu} THEN {CHURNED} ELSE {OPEN} END AS o, \
         {x} AS x, {rr} AS r FROM {from}) AS b \
         LEFT JOIN {m0} ON b.dc = m0.cell LEFT JOIN {m1} ON b.cc = m1.cell) AS f",
        k = d.cell(r.id, &[]),
        dc = d.cell(r.renewal_date, r.missing),
        cc = d.cell(r.closed_date, r.missing),
        ren = one_of(d, &oc, r.renewed),
        chu = one_of(d, &oc, r.churned),
        x = number(r.arr_due),
        rr = number(r.renewed_arr),
        from = r.from,
        m0 = values(d, &due_rows, "m0", &["cell", "day", "mon", "lo"]),
        m1 = values(d, &closed_rows, "m1", &["cell", "day"]),
    )
}

/// The cross-column checks over a [`frame`], in one scan: the first
/// (account, renewal date) key (`k|dc`, smallest) of a renewed row without
/// renewed ARR; of a churned row with it; of an open row with it; of an
/// open row with a closed date; of a decided row closed more than a term
/// before it is due; then the open rows, the first and last due day and
/// the last due day of a decided row.
pub fn checks(d: Dialect, frame: &str) -> String {
    let key = format!("CONCAT(k, '|', {})", d.text("dc"));
    format!(
        "SELECT MIN(CASE WHEN o = {RENEWED} AND r IS NULL THEN {key} END), \
         MIN(CASE WHEN o = {CHURNED} AND r IS NOT NULL THEN {key} END), \
         MIN(CASE WHEN o = {OPEN} AND r IS NOT NULL THEN {key} END), \
         MIN(CASE WHEN o = {OPEN} AND cd IS NOT NULL THEN {key} END), \
         MIN(CASE WHEN o <> {OPEN} AND cd < lo THEN {key} END), \
         SUM(CASE WHEN o = {OPEN} THEN 1 ELSE 0 END), MIN(dd), MAX(dd), \
         MAX(CASE WHEN o <> {OPEN} THEN dd END) FROM {frame}"
    )
}

/// The accounts' group columns the sums are split by.
pub struct AccountGroups<'a> {
    pub from: &'a str,
    /// The account id's cell.
    pub id: String,
    /// Each segment column's cell, and the owner's.
    pub segments: Vec<String>,
    pub owner: Option<String>,
}

/// Every month × group's sums over a [`frame`] joined to the accounts, in
/// one scan. Each row: GROUPING() of every segment and of the owner (0 = in
/// the row's set), the month, their cells, then the renewals due, Σ ARR
/// due, decided, Σ ARR due of the decided, renewed, Σ min(renewed ARR, ARR
/// due), Σ renewed ARR, open, late (open, due before day `as_of`) and Σ ARR
/// due of the late. The sets: the month alone, with each segment, and with
/// the owner for the months `near` (first, last) only.
pub fn sums(frame: &str, g: &AccountGroups, near: (i32, i32), as_of: i32) -> String {
    let segs: Vec<String> = (0..g.segments.len()).map(|k| format!("s{k}")).collect();
    let mut accounts = vec![format!("{} AS k", g.id)];
    for (s, c) in segs.iter().zip(&g.segments) {
        accounts.push(format!("{c} AS {s}"));
    }
    let mut cols = segs.clone();
    let mut rows: Vec<String> = ["f.mon", "f.o", "f.x", "f.r", "f.dd"]
        .iter()
        .map(|c| c.to_string())
        .chain(segs.iter().map(|s| format!("a.{s}")))
        .collect();
    if let Some(o) = &g.owner {
        accounts.push(format!("{o} AS ow"));
        rows.push(format!(
            "CASE WHEN f.mon BETWEEN {} AND {} THEN a.ow END AS ow",
            near.0, near.1
        ));
        cols.push("ow".into());
    }
    let mut sets = vec!["(mon)".to_string()];
    sets.extend(cols.iter().map(|c| format!("(mon, {c})")));
    let mut items: Vec<String> = cols.iter().map(|c| format!("GROUPING({c})")).collect();
    items.push("mon".into());
    items.extend(cols.iter().cloned());
    let late = format!("o = {OPEN} AND dd < {as_of}");
    items.extend([
        "COUNT(*)".to_string(),
        "SUM(x)".into(),
        format!("SUM(CASE WHEN o <> {OPEN} THEN 1 ELSE 0 END)"),
        format!("SUM(CASE WHEN o <> {OPEN} THEN x ELSE 0 END)"),
        format!("SUM(CASE WHEN o = {RENEWED} THEN 1 ELSE 0 END)"),
        format!("SUM(CASE WHEN o = {RENEWED} THEN LEAST(r, x) ELSE 0 END)"),
        format!("SUM(CASE WHEN o = {RENEWED} THEN r ELSE 0 END)"),
        format!("SUM(CASE WHEN o = {OPEN} THEN 1 ELSE 0 END)"),
        format!("SUM(CASE WHEN {late} THEN 1 ELSE 0 END)"),
        format!("SUM(CASE WHEN {late} THEN x ELSE 0 END)"),
    ]);
    format!(
        "SELECT {} FROM (SELECT {} FROM {frame} LEFT JOIN (SELECT {} FROM {}) AS a ON f.k = a.k) AS t GROUP BY GROUPING SETS ({})",
        items.join(", "),
        rows.join(", "),
        accounts.join(", "),
        g.from,
        sets.join(", ")
    )
}
