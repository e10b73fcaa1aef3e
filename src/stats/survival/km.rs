//! The Kaplan–Meier estimator (lifelines `KaplanMeierFitter`, R `survfit`)
//! with delayed entry: the table at every exit time, Greenwood standard
//! errors, pointwise 95 % intervals on the log(−log) scale (lifelines'
//! default) or R's `log` / `plain` scales, the median with its interval,
//! survival at fixed horizons, and the restricted mean survival time with
//! its standard error.

use serde::{Deserialize, Serialize};

use super::grid::{Tally, TimeGrid};
use super::Subjects;
use crate::stats::dist::Z975;

/// The scale of the pointwise confidence interval of S(t).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ConfType {
    /// exp(−exp(log(−log S) ± z·σ/log S)): lifelines' default, R's `log-log`.
    #[default]
    LogLog,
    /// S·exp(±z·σ), upper end capped at 1: R's default `log`.
    Log,
    /// S ± z·S·σ, clipped to [0, 1]: R's `plain`.
    Plain,
}

impl ConfType {
    pub fn as_str(self) -> &'static str {
        match self {
            ConfType::LogLog => "log-log",
            ConfType::Log => "log",
            ConfType::Plain => "plain",
        }
    }
}

/// One row of the table: a time at which someone left the risk set.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KmRow {
    pub time: f64,
    /// Subjects with entry < time ≤ exit.
    pub at_risk: usize,
    pub events: usize,
    pub censored: usize,
    pub survival: f64,
    /// Greenwood standard error of the survival, S·σ.
    pub std_error: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// S(t) and its interval at one time.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KmPoint {
    pub time: f64,
    pub survival: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// A fitted Kaplan–Meier curve.
#[derive(Debug, Clone, Serialize)]
pub struct KaplanMeier {
    pub n: usize,
    pub events: usize,
    pub conf_type: ConfType,
    pub table: Vec<KmRow>,
}

/// The restricted mean survival time up to `tau`: the area under S(t) on [0, τ].
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Rmst {
    pub tau: f64,
    pub rmst: f64,
    pub std_error: f64,
}

/// Fits the curve on the rows `rows` of `s`.
pub fn kaplan_meier(s: &Subjects, rows: &[usize], conf_type: ConfType) -> KaplanMeier {
    let mut codes = vec![u32::MAX; s.len()];
    for &i in rows {
        codes[i] = 0;
    }
    let mut one = TimeGrid::new(s).curves(&codes, 1, conf_type);
    one.pop()
        .unwrap_or_else(|| from_counts(&[], &[], &[], &[], conf_type))
}

/// Curves of subgroups (a driver's levels) from the one grid of a study.
impl TimeGrid {
    /// The curve of the subjects for which `keep` holds.
    pub fn curve(&self, keep: impl Fn(usize) -> bool, conf_type: ConfType) -> KaplanMeier {
        let codes: Vec<u32> = (0..self.rows())
            .map(|i| if keep(i) { 0 } else { u32::MAX })
            .collect();
        let mut one = self.curves(&codes, 1, conf_type);
        one.pop()
            .unwrap_or_else(|| from_counts(&[], &[], &[], &[], conf_type))
    }

    /// One curve per group code 0..k (other codes left out), from one
    /// counting pass over the rows.
    pub fn curves(&self, codes: &[u32], k: usize, conf_type: ConfType) -> Vec<KaplanMeier> {
        self.curves_of(&self.tally(codes, k, true), conf_type)
    }

    /// One curve per group of a tally (which a log-rank test can share).
    pub fn curves_of(&self, t: &Tally, conf_type: ConfType) -> Vec<KaplanMeier> {
        curves_on(self.times(), t, conf_type)
    }
}

/// The curve of no one.
pub fn empty(conf_type: ConfType) -> KaplanMeier {
    from_counts(&[], &[], &[], &[], conf_type)
}

/// One curve per group of a tally counted on the grid `times` (however the
/// counts were made: by [`TimeGrid::tally`] here, or by an engine's query).
pub fn curves_on(times: &[f64], t: &Tally, conf_type: ConfType) -> Vec<KaplanMeier> {
    let w = t.m + 1;
    (0..t.k)
        .map(|g| {
            let r = g * w..(g + 1) * w;
            from_counts(
                times,
                &t.events[r.clone()],
                &t.exits[r.clone()],
                &t.entered[r],
                conf_type,
            )
        })
        .collect()
}

/// The table from one group's counts on the grid `times`: events and exits
/// per time, and entries by the number of grid times at or before them.
/// A single ascending sweep; a row for every time at which someone left.
fn from_counts(
    times: &[f64],
    events: &[u32],
    exits: &[u32],
    entered: &[u32],
    conf_type: ConfType,
) -> KaplanMeier {
    let n: usize = exits.iter().map(|&x| x as usize).sum();
    let has_entry = entered.iter().any(|&e| e > 0);
    let mut table = Vec::new();
    let (mut surv, mut gw) = (1.0f64, 0.0f64);
    // Rows with exit ≥ t, and rows whose entry is before t.
    let mut remaining = n;
    let mut entered_before = if has_entry { 0 } else { n };
    for (m, &t) in times.iter().enumerate() {
        if has_entry {
            entered_before += entered[m] as usize;
        }
        let x = exits[m] as usize;
        if x == 0 {
            continue;
        }
        let d = events[m] as usize;
        let at_risk = remaining.saturating_sub(n - entered_before);
        if d > 0 && at_risk > 0 {
            let (df, nf) = (d as f64, at_risk as f64);
            surv *= 1.0 - df / nf;
            gw += if d < at_risk {
                df / (nf * (nf - df))
            } else {
                f64::INFINITY
            };
        }
        let (lo, hi) = interval(surv, gw, conf_type);
        table.push(KmRow {
            time: t,
            at_risk,
            events: d,
            censored: x - d,
            survival: surv,
            std_error: if surv > 0.0 { surv * gw.sqrt() } else { 0.0 },
            ci_low: lo,
            ci_high: hi,
        });
        remaining -= x;
    }
    KaplanMeier {
        n,
        events: events.iter().map(|&e| e as usize).sum(),
        conf_type,
        table,
    }
}

/// The pointwise 95 % interval of S on the chosen scale; σ² = Greenwood's sum.
fn interval(s: f64, gw: f64, conf: ConfType) -> (f64, f64) {
    if s >= 1.0 || gw == 0.0 {
        return (s, s);
    }
    if s <= 0.0 {
        return (0.0, 0.0);
    }
    let sigma = gw.sqrt();
    match conf {
        ConfType::LogLog => {
            let v = s.ln();
            let a = (-v).ln();
            let w = Z975 * sigma / v;
            ((-(a - w).exp()).exp(), (-(a + w).exp()).exp())
        }
        ConfType::Log => (
            s * (-Z975 * sigma).exp(),
            (s * (Z975 * sigma).exp()).min(1.0),
        ),
        ConfType::Plain => (
            (s - Z975 * s * sigma).max(0.0),
            (s + Z975 * s * sigma).min(1.0),
        ),
    }
}

impl KaplanMeier {
    /// S, the lower and the upper band at `t` (a step function, right-continuous);
    /// `None` beyond the last time observed, where the curve is not estimated.
    pub fn at(&self, t: f64) -> Option<KmPoint> {
        let last = self.table.last().map_or(0.0, |r| r.time);
        if t > last {
            return None;
        }
        let k = self.table.partition_point(|r| r.time <= t);
        Some(match k {
            0 => KmPoint {
                time: t,
                survival: 1.0,
                ci_low: 1.0,
                ci_high: 1.0,
            },
            _ => {
                let r = &self.table[k - 1];
                KmPoint {
                    time: t,
                    survival: r.survival,
                    ci_low: r.ci_low,
                    ci_high: r.ci_high,
                }
            }
        })
    }

    /// The first time at which `f(row) ≤ q` (lifelines' `qth_survival_time`).
    fn first_at_or_below(&self, q: f64, f: impl Fn(&KmRow) -> f64) -> Option<f64> {
        self.table.iter().find(|r| f(r) <= q).map(|r| r.time)
    }

    /// Median survival: the first time S(t) ≤ ½; `None` when the curve never gets there.
    pub fn median(&self) -> Option<f64> {
        self.first_at_or_below(0.5, |r| r.survival)
    }

    /// The median's 95 % interval, read off the bands as lifelines'
    /// `median_survival_times(confidence_interval_)`: where the lower band
    /// first reaches ½, and where the upper band does (`None`: not reached).
    pub fn median_ci(&self) -> (Option<f64>, Option<f64>) {
        (
            self.first_at_or_below(0.5, |r| r.ci_low),
            self.first_at_or_below(0.5, |r| r.ci_high),
        )
    }

    /// The restricted mean survival time up to `tau`, with the standard error
    /// of R's `survRM2::rmst2` (and `print.survfit(rmean = τ)`):
    /// Var = Σ_{t_j ≤ τ} A_j² d_j / (n_j (n_j − d_j)), A_j = ∫_{t_j}^τ S(u) du.
    /// `None` when τ is beyond the last time observed.
    pub fn rmst(&self, tau: f64) -> Option<Rmst> {
        let last = self.table.last().map_or(0.0, |r| r.time);
        if tau.is_nan() || tau <= 0.0 || tau > last {
            return None;
        }
        // Area pieces: S is 1 on [0, t_1), S_j on [t_j, t_{j+1}).
        let rows: Vec<&KmRow> = self.table.iter().filter(|r| r.time <= tau).collect();
        let mut area = 0.0;
        let mut prev_t = 0.0;
        let mut prev_s = 1.0;
        // Tail areas A_j, built from the right.
        let mut pieces = Vec::with_capacity(rows.len());
        for r in &rows {
            let a = prev_s * (r.time - prev_t);
            pieces.push(a);
            area += a;
            prev_t = r.time;
            prev_s = r.survival;
        }
        let tail = prev_s * (tau - prev_t);
        area += tail;
        let mut var = 0.0;
        let mut a_j = tail;
        for j in (0..rows.len()).rev() {
            let r = rows[j];
            if r.events > 0 && r.events < r.at_risk {
                let (d, n) = (r.events as f64, r.at_risk as f64);
                var += a_j * a_j * d / (n * (n - d));
            }
            a_j += pieces[j];
        }
        Some(Rmst {
            tau,
            rmst: area,
            std_error: var.sqrt(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-checked table: 6 subjects, a tie at 3 with one censored.
    #[test]
    fn textbook_table() {
        let exit = [1.0, 3.0, 3.0, 4.0, 5.0, 6.0];
        let event = [true, true, false, true, false, true];
        let s = Subjects {
            entry: None,
            exit: &exit,
            event: &event,
        };
        let km = kaplan_meier(&s, &[0, 1, 2, 3, 4, 5], ConfType::LogLog);
        let surv: Vec<f64> = km.table.iter().map(|r| r.survival).collect();
        let want = [5.0 / 6.0, 2.0 / 3.0, 4.0 / 9.0, 4.0 / 9.0, 0.0];
        for (a, b) in surv.iter().zip(want) {
            assert!((a - b).abs() < 1e-15, "{surv:?}");
        }
        assert_eq!(km.table[1].censored, 1);
        assert_eq!(km.table[2].at_risk, 3);
        assert_eq!(km.median(), Some(4.0));
        // Area: 1·1 + 5/6·2 + 2/3·1 + 4/9·1 + 4/9·1 = 38/9.
        let r = km.rmst(6.0).unwrap();
        assert!((r.rmst - 38.0 / 9.0).abs() < 1e-12, "{r:?}");
        assert!(km.rmst(7.0).is_none());
        assert!(km.at(7.0).is_none());
        assert_eq!(km.at(0.5).unwrap().survival, 1.0);
    }

    /// Delayed entry: a subject entering at 2 is not at risk at 1 or 2.
    #[test]
    fn delayed_entry_shrinks_early_risk_sets() {
        let entry = [0.0, 2.0, 0.0];
        let exit = [1.0, 3.0, 2.0];
        let event = [true, true, true];
        let s = Subjects {
            entry: Some(&entry),
            exit: &exit,
            event: &event,
        };
        let km = kaplan_meier(&s, &[0, 1, 2], ConfType::Plain);
        let at_risk: Vec<usize> = km.table.iter().map(|r| r.at_risk).collect();
        assert_eq!(at_risk, [2, 1, 1]);
        assert_eq!(km.table[2].survival, 0.0);
    }

    /// Entries that coincide with exit times: each row's numbers at risk,
    /// events and censored equal a direct count of {entry < t ≤ exit}, per
    /// group as well as overall.
    #[test]
    fn counts_equal_direct_counts_when_entries_meet_exits() {
        let exit = [2.0, 3.0, 3.0, 4.0, 5.0, 5.0, 6.0, 3.0, 4.0];
        let entry = [0.0, 2.0, 0.0, 3.0, 3.0, 4.0, 5.0, 2.0, 0.0];
        let event = [true, true, false, true, false, true, true, true, false];
        let group = [0, 1, 0, 1, 0, 1, 0, 1, 2];
        let s = Subjects {
            entry: Some(&entry),
            exit: &exit,
            event: &event,
        };
        let grid = TimeGrid::new(&s);
        let mut fits = vec![grid.curve(|_| true, ConfType::LogLog)];
        fits.extend(grid.curves(&group, 2, ConfType::LogLog));
        let keeps: [&dyn Fn(usize) -> bool; 3] =
            [&|_| true, &|i| group[i] == 0, &|i| group[i] == 1];
        for (km, keep) in fits.iter().zip(keeps) {
            let rows: Vec<usize> = (0..exit.len()).filter(|&i| keep(i)).collect();
            let mut times: Vec<f64> = rows.iter().map(|&i| exit[i]).collect();
            times.sort_by(f64::total_cmp);
            times.dedup();
            assert_eq!(km.n, rows.len());
            assert_eq!(km.table.len(), times.len());
            for (r, &t) in km.table.iter().zip(&times) {
                let count = |f: &dyn Fn(usize) -> bool| rows.iter().filter(|&&i| f(i)).count();
                assert_eq!(r.time, t);
                assert_eq!(r.at_risk, count(&|i| entry[i] < t && t <= exit[i]));
                assert_eq!(r.events, count(&|i| exit[i] == t && event[i]));
                assert_eq!(r.censored, count(&|i| exit[i] == t && !event[i]));
            }
        }
    }
}
