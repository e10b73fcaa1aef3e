//! Western Electric and Nelson run rules on standardized values
//! z = (x − centre) / σ(point), so they work with limits that vary by point.
//! A point is flagged with a rule when it completes the rule's pattern.

use serde::Serialize;

/// One run rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Rule {
    /// WE1 / Nelson 1: one point beyond 3σ.
    #[serde(rename = "we1")]
    We1,
    /// WE2: 2 of 3 in a row beyond 2σ on one side.
    #[serde(rename = "we2")]
    We2,
    /// WE3: 4 of 5 in a row beyond 1σ on one side.
    #[serde(rename = "we3")]
    We3,
    /// WE4: `same_side_we` (8) in a row on one side.
    #[serde(rename = "we4")]
    We4,
    #[serde(rename = "nelson1")]
    Nelson1,
    /// `same_side_nelson` (9) in a row on one side.
    #[serde(rename = "nelson2")]
    Nelson2,
    /// `trend` (6) in a row steadily increasing or decreasing.
    #[serde(rename = "nelson3")]
    Nelson3,
    /// `alternating` (14) in a row alternating up and down.
    #[serde(rename = "nelson4")]
    Nelson4,
    /// 2 of 3 beyond 2σ on one side.
    #[serde(rename = "nelson5")]
    Nelson5,
    /// 4 of 5 beyond 1σ on one side.
    #[serde(rename = "nelson6")]
    Nelson6,
    /// `stratification` (15) in a row within 1σ.
    #[serde(rename = "nelson7")]
    Nelson7,
    /// `mixture` (8) in a row with none within 1σ, on both sides.
    #[serde(rename = "nelson8")]
    Nelson8,
}

pub const WE: [Rule; 4] = [Rule::We1, Rule::We2, Rule::We3, Rule::We4];
pub const NELSON: [Rule; 8] = [
    Rule::Nelson1,
    Rule::Nelson2,
    Rule::Nelson3,
    Rule::Nelson4,
    Rule::Nelson5,
    Rule::Nelson6,
    Rule::Nelson7,
    Rule::Nelson8,
];

/// The codes of `rules` joined by `sep` (`we1, we2`): how every view lists
/// the rules a point breaks.
pub fn codes(rules: &[Rule], sep: &str) -> String {
    rules.iter().map(|r| r.code()).collect::<Vec<_>>().join(sep)
}

impl Rule {
    pub fn code(self) -> &'static str {
        match self {
            Rule::We1 => "we1",
            Rule::We2 => "we2",
            Rule::We3 => "we3",
            Rule::We4 => "we4",
            Rule::Nelson1 => "nelson1",
            Rule::Nelson2 => "nelson2",
            Rule::Nelson3 => "nelson3",
            Rule::Nelson4 => "nelson4",
            Rule::Nelson5 => "nelson5",
            Rule::Nelson6 => "nelson6",
            Rule::Nelson7 => "nelson7",
            Rule::Nelson8 => "nelson8",
        }
    }

    /// Whether the rule reads the 1σ / 2σ zones (then charts draw them).
    pub fn uses_zones(self) -> bool {
        matches!(
            self,
            Rule::We2 | Rule::We3 | Rule::Nelson5 | Rule::Nelson6 | Rule::Nelson7 | Rule::Nelson8
        )
    }

    /// Parses `we`, `nelson`, or a comma list such as `we1,nelson2`.
    pub fn parse_list(s: &str) -> Option<Vec<Rule>> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.to_ascii_lowercase().as_str() {
                "we" => out.extend(WE),
                "nelson" => out.extend(NELSON),
                "none" => {}
                p => out.push(
                    WE.iter()
                        .chain(NELSON.iter())
                        .copied()
                        .find(|r| r.code() == p)?,
                ),
            }
        }
        out.sort();
        out.dedup();
        Some(out)
    }
}

/// Adjustable run lengths (defaults as Western Electric 1956 and Nelson 1984).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RuleParams {
    pub same_side_we: usize,
    pub same_side_nelson: usize,
    pub trend: usize,
    pub alternating: usize,
    pub stratification: usize,
    pub mixture: usize,
}

impl Default for RuleParams {
    fn default() -> Self {
        RuleParams {
            same_side_we: 8,
            same_side_nelson: 9,
            trend: 6,
            alternating: 14,
            stratification: 15,
            mixture: 8,
        }
    }
}

/// `k` of the last `m` points (ending at `i`) beyond `level` σ on one side.
fn k_of_m(z: &[f64], i: usize, k: usize, m: usize, level: f64) -> bool {
    if i + 1 < m {
        return false;
    }
    let w = &z[i + 1 - m..=i];
    let up = w.iter().filter(|v| **v > level).count();
    let down = w.iter().filter(|v| **v < -level).count();
    // The completing point itself must be part of the pattern.
    (up >= k && z[i] > level) || (down >= k && z[i] < -level)
}

/// The last `m` points (ending at `i`) all satisfy `f`.
fn run(z: &[f64], i: usize, m: usize, f: impl Fn(f64) -> bool) -> bool {
    i + 1 >= m && z[i + 1 - m..=i].iter().all(|v| f(*v))
}

/// The rules each point breaks. `z` are standardized values; NaN points
/// (not judged) break nothing and interrupt runs.
pub fn evaluate(z: &[f64], rules: &[Rule], p: &RuleParams) -> Vec<Vec<Rule>> {
    let mut out = vec![Vec::new(); z.len()];
    for (i, hits) in out.iter_mut().enumerate() {
        if z[i].is_nan() {
            continue;
        }
        for &r in rules {
            let hit = match r {
                Rule::We1 | Rule::Nelson1 => z[i].abs() > 3.0,
                Rule::We2 | Rule::Nelson5 => k_of_m(z, i, 2, 3, 2.0),
                Rule::We3 | Rule::Nelson6 => k_of_m(z, i, 4, 5, 1.0),
                Rule::We4 => {
                    run(z, i, p.same_side_we, |v| v > 0.0) || run(z, i, p.same_side_we, |v| v < 0.0)
                }
                Rule::Nelson2 => {
                    run(z, i, p.same_side_nelson, |v| v > 0.0)
                        || run(z, i, p.same_side_nelson, |v| v < 0.0)
                }
                Rule::Nelson3 => {
                    let m = p.trend;
                    i + 1 >= m && {
                        let w = &z[i + 1 - m..=i];
                        w.windows(2).all(|d| d[1] > d[0]) || w.windows(2).all(|d| d[1] < d[0])
                    }
                }
                Rule::Nelson4 => {
                    let m = p.alternating;
                    i + 1 >= m && {
                        let w = &z[i + 1 - m..=i];
                        let d: Vec<f64> = w.windows(2).map(|d| d[1] - d[0]).collect();
                        d.iter().all(|x| *x != 0.0)
                            && d.windows(2).all(|e| (e[0] > 0.0) != (e[1] > 0.0))
                    }
                }
                Rule::Nelson7 => run(z, i, p.stratification, |v| v.abs() < 1.0),
                Rule::Nelson8 => {
                    let m = p.mixture;
                    run(z, i, m, |v| v.abs() > 1.0) && {
                        let w = &z[i + 1 - m..=i];
                        w.iter().any(|v| *v > 0.0) && w.iter().any(|v| *v < 0.0)
                    }
                }
            };
            if hit {
                hits.push(r);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Which Nelson/WE rules fire anywhere on `z`.
    fn fired(z: &[f64], rules: &[Rule]) -> Vec<Rule> {
        let mut all: Vec<Rule> = evaluate(z, rules, &RuleParams::default())
            .into_iter()
            .flatten()
            .collect();
        all.sort();
        all.dedup();
        all
    }

    /// A quiet base series: a 6-point cycle that breaks every run, trend,
    /// alternation and zone pattern well before its length.
    fn base(n: usize) -> Vec<f64> {
        const CYCLE: [f64; 6] = [0.5, 0.6, -0.5, 1.5, -0.6, -1.5];
        (0..n).map(|i| CYCLE[i % 6]).collect()
    }

    #[test]
    fn each_nelson_rule_alone() {
        let all = NELSON;
        assert_eq!(fired(&base(40), &all), vec![], "base is quiet");
        let mut z = base(40);
        z[20] = 3.5;
        assert_eq!(fired(&z, &all), vec![Rule::Nelson1]);
        // 9 on one side, small and not trending.
        let mut z = base(40);
        for (k, v) in z[10..19].iter_mut().enumerate() {
            *v = [0.3, 0.6, 0.6, 0.3][k % 4];
        }
        assert_eq!(fired(&z, &all), vec![Rule::Nelson2]);
        // 6 increasing, crossing the centre so no same-side run.
        let mut z = base(40);
        for (k, v) in z[10..16].iter_mut().enumerate() {
            *v = -0.9 + 0.3 * k as f64;
        }
        assert_eq!(fired(&z, &all), vec![Rule::Nelson3]);
        // 14 alternating, within ±0.8 so no zone rules.
        let mut z = base(40);
        for (k, v) in z[10..24].iter_mut().enumerate() {
            *v = if k % 2 == 0 { 0.8 } else { -1.2 };
        }
        assert_eq!(fired(&z, &all), vec![Rule::Nelson4]);
        // 2 of 3 beyond 2σ.
        let mut z = base(40);
        z[20] = 2.5;
        z[22] = 2.5;
        z[21] = -0.5;
        assert_eq!(fired(&z, &all), vec![Rule::Nelson5]);
        // 4 of 5 beyond 1σ.
        let mut z = base(40);
        z[20..25].copy_from_slice(&[1.5, 1.5, -0.5, 1.5, 1.5]);
        assert_eq!(fired(&z, &all), vec![Rule::Nelson6]);
        // 15 within 1σ, neither trending, alternating nor on one side.
        let mut z = base(40);
        for (k, v) in z[10..25].iter_mut().enumerate() {
            *v = [0.5, 0.6, -0.5, -0.4][k % 4];
        }
        assert_eq!(fired(&z, &all), vec![Rule::Nelson7]);
        // 8 beyond 1σ on both sides, none 2 of 3 beyond 2σ.
        let mut z: Vec<f64> = base(30).into_iter().map(|v| v * 0.5).collect();
        z[10..18].copy_from_slice(&[1.5, 1.5, -1.5, -1.5, 1.5, 1.5, -1.5, -1.5]);
        assert_eq!(fired(&z, &all), vec![Rule::Nelson8]);
    }

    #[test]
    fn western_electric_and_parameters() {
        let mut z = base(40);
        for (k, v) in z[12..20].iter_mut().enumerate() {
            *v = [0.3, 0.6, 0.6, 0.3][k % 4];
        }
        assert_eq!(fired(&z, &WE), vec![Rule::We4], "8 in a row");
        assert_eq!(fired(&z, &NELSON), vec![], "Nelson 2 needs 9");
        let p = RuleParams {
            same_side_nelson: 8,
            ..RuleParams::default()
        };
        let hits: Vec<Rule> = evaluate(&z, &NELSON, &p).into_iter().flatten().collect();
        assert!(hits.contains(&Rule::Nelson2), "run length adjustable");
        assert_eq!(
            Rule::parse_list("we1, nelson2").unwrap(),
            vec![Rule::We1, Rule::Nelson2]
        );
        assert!(Rule::parse_list("we9").is_none());
    }
}
