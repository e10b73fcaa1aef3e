//! CSV renderings of result tables.

use crate::pareto::{Measure, Pareto};

fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Both rankings of a Pareto, one row per bar, shares as fractions.
pub fn pareto(p: &Pareto, which: &[Measure]) -> String {
    let mut out = String::from(
        "ranking,rank,reason,count,revenue,share,cumulative_share,vital_few,rank_other,kind\n",
    );
    for &m in which {
        let Some(rows) = p.ranking(m) else { continue };
        let name = match m {
            Measure::Frequency => "frequency",
            Measure::Revenue => "revenue",
        };
        for r in rows {
            out.push_str(&format!(
                "{name},{},{},{},{},{},{},{},{},{}\n",
                r.rank,
                field(&r.reason),
                r.count,
                r.revenue,
                r.share,
                r.cumulative_share,
                r.vital_few,
                r.rank_other,
                serde_json::to_value(r.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default()
            ));
        }
    }
    out
}
