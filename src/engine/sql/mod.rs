//! The SQL of every pass, generated here and nowhere else: portable SQL
//! (CAST, TRIM, CASE, COUNT, SUM, MIN, GROUP BY) with the few shims the
//! two dialects need (identifier quoting, type names, string escapes, a
//! number test). Everything user-written that reaches SQL goes through
//! [`Dialect::ident`], [`Dialect::literal`] or a checked [`Relation`].

use crate::error::{Error, Result};

pub mod cox;
pub mod groups;
pub mod model;
pub mod periods;
pub mod recommend;
pub mod renewals;
pub mod survival;

/// The SQL dialects churnlab writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Spark,
}

impl Dialect {
    /// A quoted identifier (a column name exactly as the user wrote it).
    pub fn ident(self, name: &str) -> String {
        match self {
            Dialect::Postgres => format!("\"{}\"", name.replace('"', "\"\"")),
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
        }
    }

    /// A string literal. Spark's parser reads backslash escapes in string
    /// literals; PostgreSQL's standard strings do not.
    pub fn literal(self, s: &str) -> String {
        match self {
            Dialect::Postgres => format!("'{}'", s.replace('\'', "''")),
            Dialect::Spark => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        }
    }

    /// `e` as text.
    pub fn text(self, e: &str) -> String {
        match self {
            Dialect::Postgres => format!("CAST({e} AS TEXT)"),
            Dialect::Spark => format!("CAST({e} AS STRING)"),
        }
    }

    /// `e` as a double.
    pub fn double(self, e: &str) -> String {
        match self {
            Dialect::Postgres => format!("CAST({e} AS DOUBLE PRECISION)"),
            Dialect::Spark => format!("CAST({e} AS DOUBLE)"),
        }
    }

    /// Ends a subquery whose columns the outer query reads many times:
    /// PostgreSQL would otherwise pull the subquery up and evaluate each
    /// column's expression once per reference (`OFFSET 0` keeps it a
    /// subquery); Spark's optimizer keeps such projections by itself.
    pub fn fence(self) -> &'static str {
        match self {
            Dialect::Postgres => " OFFSET 0",
            Dialect::Spark => "",
        }
    }

    /// The double `x` exactly (shortest round-trip digits, read back by the
    /// engine's own parser).
    pub fn number(self, x: f64) -> String {
        let t = if x.is_nan() {
            "NaN".to_string()
        } else if x.is_infinite() {
            if x > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
        } else {
            format!("{x:e}")
        };
        self.double(&format!("'{t}'"))
    }

    /// The exact `q` quantile of `x` over the group, interpolated linearly
    /// between the order statistics (numpy's default, Hyndman & Fan type 7)
    /// in both engines.
    pub fn quantile(self, x: &str, q: f64) -> String {
        match self {
            Dialect::Postgres => format!("PERCENTILE_CONT({q}) WITHIN GROUP (ORDER BY {x})"),
            Dialect::Spark => format!("PERCENTILE({x}, {q})"),
        }
    }

    /// A condition: the text `t` reads as a plain decimal number (digits,
    /// one point, an exponent, a sign), as a file's numbers must.
    pub fn is_number(self, t: &str) -> String {
        const RE: &str = "^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$";
        match self {
            Dialect::Postgres => format!("({t} ~ '{RE}')"),
            Dialect::Spark => format!("({t} RLIKE '{RE}')"),
        }
    }

    /// `TRIM(text(c))`, NULL when blank or one of the missing-value tokens:
    /// a cell as the file readers see it.
    pub fn cell(self, column: &str, missing: &[String]) -> String {
        let t = format!("TRIM({})", self.text(&self.ident(column)));
        let mut blank = format!("{t} = ''");
        for m in missing {
            blank.push_str(&format!(" OR {t} = {}", self.literal(m)));
        }
        format!("CASE WHEN {blank} THEN NULL ELSE {t} END")
    }
}

/// A table or query the study reads, checked so that it can only name a
/// relation: `schema.table` (dotted identifiers), for Spark also
/// `parquet:/path` (Parquet files read in place), or a whole `SELECT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relation {
    Table(String),
    Query(String),
}

impl Relation {
    /// A section's `table` or `query`, if it has one.
    pub fn of(table: &Option<String>, query: &Option<String>) -> Option<Self> {
        match (table, query) {
            (Some(t), _) => Some(Relation::Table(t.clone())),
            (None, Some(q)) => Some(Relation::Query(q.clone())),
            (None, None) => None,
        }
    }

    /// How messages name it: `table public.accounts` or `the [accounts] query`.
    pub fn describe(&self, section: &str) -> String {
        match self {
            Relation::Table(t) => format!("table {t}"),
            Relation::Query(_) => format!("the [{section}] query"),
        }
    }

    /// The relation in a FROM clause.
    ///
    /// # Errors
    /// [`Error::Table`] for a table name that is not dotted identifiers.
    pub fn from_clause(&self, d: Dialect, section: &str) -> Result<String> {
        match self {
            Relation::Query(q) => {
                let q = q.trim().trim_end_matches(';');
                Ok(format!("({q}) AS {}", d.ident(&format!("{section}_q"))))
            }
            Relation::Table(t) => {
                if let (Dialect::Spark, Some(path)) = (d, t.strip_prefix("parquet:")) {
                    return Ok(format!("parquet.`{}`", path.replace('`', "``")));
                }
                let ok_part = |p: &str| {
                    let mut c = p.chars();
                    c.next()
                        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
                        && c.all(|x| x.is_ascii_alphanumeric() || x == '_' || x == '$')
                };
                let parts: Vec<&str> = t.split('.').collect();
                if parts.len() > 3 || !parts.iter().all(|p| ok_part(p)) {
                    return Err(Error::Table {
                        table: format!("table {t}"),
                        message: format!(
                            "`{t}` is not a table name (write schema.table, letters, digits and _; for anything else use query = \"SELECT …\" under [{section}])"
                        ),
                    });
                }
                Ok(parts.join("."))
            }
        }
    }
}

/// Keys that occur more than once, with how often, the first `limit`.
pub fn duplicate_keys(d: Dialect, from: &str, key: &str, limit: usize) -> String {
    let k = d.text(&d.ident(key));
    format!(
        "SELECT {k}, COUNT(*) FROM {from} GROUP BY {k} HAVING COUNT(*) > 1 ORDER BY {k} LIMIT {limit}"
    )
}

/// The distinct cells of every one of `columns` (as the readers see
/// them), each with its count and its first key, in one scan (GROUPING
/// SETS): rows of (column index, cell, count, first key). Labels are
/// checked at home by the same rules as a file's. At most `limit` rows.
pub fn distinct_cells(
    d: Dialect,
    from: &str,
    key: &str,
    columns: &[&str],
    missing: &[String],
    limit: usize,
) -> String {
    let k = d.text(&d.ident(key));
    let inner: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(j, c)| format!("{} AS c{j}", d.cell(c, missing)))
        .collect();
    let (col, v, sets) = grouping_sets(columns.len());
    format!(
        "SELECT {col}, {v}, COUNT(*), MIN(k) FROM (SELECT {}, {k} AS k FROM {from}) AS cells GROUP BY {sets} ORDER BY 1, 4 LIMIT {limit}",
        inner.join(", "),
    )
}

/// One grouping set per column `c0..c{n-1}`: the `col` and `v` select items that say which column a row is of and its
/// value there (GROUPING(cj) is 0 on the rows of cj's set), and the GROUP
/// BY clause.
fn grouping_sets(n: usize) -> (String, String, String) {
    let case = |then: &dyn Fn(usize) -> String| -> String {
        let whens: Vec<String> = (0..n)
            .map(|j| format!("WHEN GROUPING(c{j}) = 0 THEN {}", then(j)))
            .collect();
        format!("CASE {} END", whens.join(" "))
    };
    let sets: Vec<String> = (0..n).map(|j| format!("(c{j})")).collect();
    (
        format!("{} AS col", case(&|j| j.to_string())),
        format!("{} AS v", case(&|j| format!("c{j}"))),
        format!("GROUPING SETS ({})", sets.join(", ")),
    )
}

/// Each of `values` (SQL over `from`, read as doubles) tallied by the
/// outcome `y` (1 churned, 0 retained) in one scan: rows of (value index,
/// value, churned rows, rows), blanks included as NULL values. At most
/// `limit` rows.
pub fn tallies(d: Dialect, from: &str, y: &str, values: &[String], limit: usize) -> String {
    let inner: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(j, v)| format!("{} AS c{j}", d.double(v)))
        .collect();
    let (col, v, sets) = grouping_sets(values.len());
    format!(
        "SELECT {col}, {v}, SUM(y), COUNT(*) FROM (SELECT {y} AS y, {} FROM {from}) AS cells GROUP BY {sets} LIMIT {limit}",
        inner.join(", "),
    )
}

/// What a number column must hold.
#[derive(Debug, Clone)]
pub struct NumberRule<'a> {
    pub column: &'a str,
    pub low: f64,
    pub high: f64,
    /// Whole numbers only.
    pub whole: bool,
}

/// In one scan, per rule: the first key (smallest) whose cell is not a
/// number, or breaks the rule (NULL where none does); then per rule the
/// cells present, and the smallest and largest number and their sum.
pub fn first_bad_numbers(
    d: Dialect,
    from: &str,
    key: &str,
    rules: &[NumberRule],
    missing: &[String],
) -> String {
    let k = d.text(&d.ident(key));
    let inner: Vec<String> = rules
        .iter()
        .enumerate()
        .map(|(j, r)| format!("{} AS v{j}", d.cell(r.column, missing)))
        .collect();
    let firsts: Vec<String> = rules
        .iter()
        .enumerate()
        .map(|(j, r)| {
            let v = format!("v{j}");
            let x = d.double(&v);
            let mut broken = String::from("FALSE");
            if r.low.is_finite() {
                broken.push_str(&format!(" OR {x} < {:e}", r.low));
            }
            if r.high.is_finite() {
                broken.push_str(&format!(" OR {x} > {:e}", r.high));
            }
            if r.whole {
                broken.push_str(&format!(" OR {x} <> FLOOR({x})"));
            }
            // CASE keeps the cast from running on text in either dialect.
            format!(
                "MIN(CASE WHEN {v} IS NOT NULL AND (CASE WHEN {num} THEN ({broken}) ELSE TRUE END) THEN k END)",
                num = d.is_number(&v)
            )
        })
        .collect();
    let facts: Vec<String> = (0..rules.len())
        .map(|j| {
            let v = format!("v{j}");
            let x = format!("CASE WHEN {} THEN {} END", d.is_number(&v), d.double(&v));
            format!("COUNT({v}), MIN({x}), MAX({x}), SUM({x})")
        })
        .collect();
    format!(
        "SELECT {}, {} FROM (SELECT {}, {k} AS k FROM {from}) AS cells",
        firsts.join(", "),
        facts.join(", "),
        inner.join(", ")
    )
}

/// The cells of `columns` in the row whose key is `key_value`.
pub fn cells_of(
    d: Dialect,
    from: &str,
    key: &str,
    key_value: &str,
    columns: &[&str],
    missing: &[String],
) -> String {
    let cols: Vec<String> = columns.iter().map(|c| d.cell(c, missing)).collect();
    format!(
        "SELECT {} FROM {from} WHERE {} = {} LIMIT 1",
        cols.join(", "),
        d.text(&d.ident(key)),
        d.literal(key_value)
    )
}

/// The `keys` (as text) of the first row, by those keys, whose `column`
/// is blank.
pub fn first_blank(d: Dialect, from: &str, keys: &[&str], column: &str) -> String {
    let ks: Vec<String> = keys.iter().map(|k| d.text(&d.ident(k))).collect();
    format!(
        "SELECT {k} FROM {from} WHERE {} IS NULL ORDER BY {k} LIMIT 1",
        d.cell(column, &[]),
        k = ks.join(", ")
    )
}

/// The revenue table's pass (one scan, joined to the accounts' ids): rows,
/// rows of accounts not in the accounts table (how many, the first id),
/// distinct (account, month) pairs.
pub fn per_account_links(
    d: Dialect,
    from: &str,
    id: &str,
    period: &str,
    accounts_from: &str,
    accounts_id: &str,
) -> String {
    format!(
        "SELECT COUNT(*), SUM(CASE WHEN a.k IS NULL THEN 1 ELSE 0 END), MIN(CASE WHEN a.k IS NULL THEN r.k END), COUNT(DISTINCT CONCAT(r.k, '|', COALESCE(r.p, ''))) \
         FROM (SELECT {rk} AS k, {p} AS p FROM {from}) AS r \
         LEFT JOIN (SELECT DISTINCT {ak} AS k FROM {accounts_from}) AS a ON r.k = a.k",
        rk = d.cell(id, &[]),
        p = d.cell(period, &[]),
        ak = d.cell(accounts_id, &[]),
    )
}

/// One scan of the accounts: per column of `cols`, the rows with a value
/// among the retained (`y` = 0) and the rows without one among the
/// churned.
pub fn outcome_cross(d: Dialect, from: &str, y: &str, cols: &[&str], missing: &[String]) -> String {
    let inner: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(j, c)| format!(", {} AS c{j}", d.cell(c, missing)))
        .collect();
    let sums: Vec<String> = (0..cols.len())
        .map(|j| {
            format!(
                "SUM(CASE WHEN y = 0 AND c{j} IS NOT NULL THEN 1 ELSE 0 END), SUM(CASE WHEN y = 1 AND c{j} IS NULL THEN 1 ELSE 0 END)"
            )
        })
        .collect();
    format!(
        "SELECT {} FROM (SELECT {y} AS y{} FROM {from}) AS c",
        sums.join(", "),
        inner.concat()
    )
}

/// The distinct accounts the revenue relation `from` names (its id column
/// `id`), counted in one scan of it: after the revenue checks every one of
/// them is an account, so the accounts less these have no revenue row.
/// (A join of the two id sets would do the same work twice, and
/// PostgreSQL, which cannot estimate a DISTINCT over an expression, plans
/// it as a nested loop: 950 s at 1M accounts.)
pub fn accounts_with_rows(d: Dialect, from: &str, id: &str) -> String {
    format!("SELECT COUNT(DISTINCT {}) FROM {from}", d.cell(id, &[]))
}

/// (account, month) pairs that occur more than once, the first `limit`.
pub fn duplicate_pairs(d: Dialect, from: &str, id: &str, period: &str, limit: usize) -> String {
    format!(
        "SELECT k, p, COUNT(*) FROM (SELECT {} AS k, {} AS p FROM {from}) AS r GROUP BY k, p HAVING COUNT(*) > 1 ORDER BY k, p LIMIT {limit}",
        d.cell(id, &[]),
        d.cell(period, &[])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_quoted_for_each_dialect() {
        assert_eq!(Dialect::Postgres.ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(Dialect::Spark.ident("a`b"), "`a``b`");
        assert_eq!(Dialect::Postgres.literal("it's \\"), "'it''s \\'");
        assert_eq!(Dialect::Spark.literal("it's \\"), "'it\\'s \\\\'");
    }

    #[test]
    fn a_table_name_can_only_name_a_table() {
        let d = Dialect::Postgres;
        let ok = Relation::Table("public.accounts".into());
        assert_eq!(ok.from_clause(d, "accounts").unwrap(), "public.accounts");
        for bad in ["accounts; DROP TABLE x", "a b", "1abc", "a.b.c.d", ""] {
            let r = Relation::Table(bad.into());
            assert!(r.from_clause(d, "accounts").is_err(), "{bad}");
        }
        let p = Relation::Table("parquet:/data/acc".into());
        assert_eq!(
            p.from_clause(Dialect::Spark, "accounts").unwrap(),
            "parquet.`/data/acc`"
        );
        assert!(p.from_clause(Dialect::Postgres, "accounts").is_err());
        let q = Relation::Query("SELECT * FROM t;".into());
        assert_eq!(
            q.from_clause(d, "revenue").unwrap(),
            "(SELECT * FROM t) AS \"revenue_q\""
        );
    }
}
