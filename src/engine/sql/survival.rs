//! The survival stage's SQL: the accounts with their date cells joined to
//! the days they read as (the dates are parsed at home, by the file's
//! rule, once per distinct cell), the durations' checks in one scan, and
//! every grouping's counts of exits, events and entries per time in one
//! scan, from which the curves and log-rank tests are swept at home.

use super::Dialect;

/// An inline table `name(cell, day)`: each date cell and the day (since
/// 1970-01-01) it reads as. Blank cells are NULL and match no row.
pub fn date_map(d: Dialect, cells: &[(String, i32)], name: &str) -> String {
    if cells.is_empty() {
        return format!("(SELECT {} AS cell, 0 AS day) AS {name}", d.text("NULL"));
    }
    let rows: Vec<String> = cells
        .iter()
        .map(|(c, day)| format!("({}, {day})", d.literal(c)))
        .collect();
    format!("(VALUES {}) AS {name}(cell, day)", rows.join(", "))
}

/// The accounts as the stage reads them: `cols` (SQL over `from`, each as
/// its name) and, per `(cell column, date map, name)` of `dates`, the day
/// that cell reads as under `name` (NULL when blank).
pub fn frame(from: &str, cols: &[(String, String)], dates: &[(&str, String, &str)]) -> String {
    let inner: Vec<String> = cols.iter().map(|(e, n)| format!("{e} AS {n}")).collect();
    let mut select = vec!["a.*".to_string()];
    let mut joins = String::new();
    for (j, (cell, map, name)) in dates.iter().enumerate() {
        select.push(format!("m{j}.day AS {name}"));
        joins.push_str(&format!(" LEFT JOIN {map} ON a.{cell} = m{j}.cell"));
    }
    format!(
        "(SELECT {} FROM (SELECT {} FROM {from}) AS a{joins}) AS f",
        select.join(", "),
        inner.join(", ")
    )
}

/// The date durations' checks over a [`frame`] with `k`, `y`, `sd`, `ed`,
/// in one scan: the first key (smallest) with an end before its start; with
/// a blank start; churned with a blank end; with a duration ≤ 0 (among
/// those `keep` keeps); then the accounts `keep` leaves out and those that
/// entered late (started before the window's first day `w0`).
pub fn date_checks(frame: &str, stop: &str, keep: &str, w0: Option<i32>) -> String {
    let (before, late) = match w0 {
        Some(w0) => (
            format!("SUM(CASE WHEN {stop} < {w0} THEN 1 ELSE 0 END)"),
            format!("SUM(CASE WHEN {keep} AND sd < {w0} THEN 1 ELSE 0 END)"),
        ),
        None => ("0".to_string(), "0".to_string()),
    };
    format!(
        "SELECT MIN(CASE WHEN ed < sd THEN k END), MIN(CASE WHEN sd IS NULL THEN k END), \
         MIN(CASE WHEN y = 1 AND ed IS NULL THEN k END), \
         MIN(CASE WHEN {keep} AND {stop} - sd <= 0 THEN k END), {before}, {late} FROM {frame}"
    )
}

/// The first key (smallest) of a [`frame`] with a blank or zero tenure `x`.
pub fn tenure_check(frame: &str) -> String {
    format!("SELECT MIN(CASE WHEN x IS NULL OR x <= 0 THEN k END) FROM {frame}")
}

/// Per grouping `c0..c{n-1}` (a group code per row, NULL for none) of the
/// rows `keep` keeps, in one scan: rows of (grouping, 0 for exits or 1 for
/// entries, group, exit, event, entry, rows), counting exits by (group,
/// exit, event) and, when `entry` is given, entries by (group, entry).
pub fn time_tallies(frame: &str, exit: &str, entry: Option<&str>, keep: &str, n: usize) -> String {
    let codes: Vec<String> = (0..n).map(|j| format!("c{j}")).collect();
    let mut sets = Vec::new();
    let mut which = Vec::new();
    let mut group = Vec::new();
    for c in &codes {
        sets.push(format!("({c}, x, e)"));
        match entry {
            Some(_) => {
                which.push(format!(
                    "WHEN GROUPING({c}) = 0 AND GROUPING(x) = 0 THEN {}",
                    sets.len() - 1
                ));
                sets.push(format!("({c}, n)"));
                which.push(format!("WHEN GROUPING({c}) = 0 THEN {}", sets.len() - 1));
            }
            None => which.push(format!("WHEN GROUPING({c}) = 0 THEN {}", sets.len() - 1)),
        }
        group.push(format!("WHEN GROUPING({c}) = 0 THEN {c}"));
    }
    let n_col = if entry.is_some() { "n" } else { "0" };
    format!(
        "SELECT CASE {} END, CASE {} END, x, e, {n_col}, COUNT(*) FROM (SELECT {exit} AS x, y AS e, {} AS n, {} FROM {frame} WHERE {keep}) AS s GROUP BY GROUPING SETS ({})",
        which.join(" "),
        group.join(" "),
        entry.unwrap_or("0"),
        codes.join(", "),
        sets.join(", ")
    )
}
