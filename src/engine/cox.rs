//! The Cox model on an engine: the design's terms as SQL over the
//! durations' frame, one scan for the model sample's size, means and
//! covariances (the collinearity screen), and one scan per pass at β
//! giving per exit time the sums the partial likelihood's sweep needs
//! ([`cox::pass_of_sums`]); Newton, Firth, the LR refits and every test are
//! the in-memory code ([`crate::survival::model`]).

use std::cell::RefCell;

use super::accounts::EngineAccounts;
use super::design::{read_moments, terms_sql};
use super::durations::EngineDurations;
use super::sql::cox as q;
use super::sql::model as msql;
use super::{Cell, Engine};
use crate::drivers::design::{screen_columns, DroppedTerm, Term};
use crate::error::{Error, Result};
use crate::stats::survival::cox::{self, CoxFit, CoxRows, Pass, TimeSums};
use crate::stats::survival::grid::Tally;
use crate::stats::survival::km::{curves_on, empty, ConfType};
use crate::stats::survival::zph::{ph_of_sums, EventSums, PhTest, TimeTransform};
use crate::stats::survival::Ties;

/// The Cox model's rows on an engine.
pub struct EngineCox<'e> {
    engine: RefCell<&'e mut Engine>,
    table: String,
    dur: EngineDurations,
    /// `t`, `e`, `n`, `x1..xq` of the kept columns.
    rows: String,
    means: Vec<f64>,
    sds: Vec<f64>,
    /// The first engine error of a pass (a pass cannot fail in memory).
    failure: RefCell<Option<Error>>,
}

/// The model's design on an engine: its rows, the kept terms with their
/// variances on the sample, the terms screened out, and the sample.
pub struct CoxDesign<'e> {
    pub rows: EngineCox<'e>,
    pub terms: Vec<Term>,
    pub variances: Vec<f64>,
    pub dropped: Vec<DroppedTerm>,
    pub n: usize,
    pub events: usize,
}

/// The design of the drivers not in `skip` (categorical ones against
/// their `references`) on the accounts with a duration: one scan; `None`
/// when no term is left or the sample has no events.
///
/// # Errors
/// The engine's own.
pub fn design<'e>(
    engine: &'e mut Engine,
    acc: &EngineAccounts,
    dur: &EngineDurations,
    skip: &[bool],
    references: &[usize],
) -> Result<Option<CoxDesign<'e>>> {
    let d = engine.dialect();
    let (xs, present, terms) = terms_sql(d, acc, skip, references);
    if terms.is_empty() {
        return Ok(None);
    }
    let ok = if present.is_empty() {
        "1".to_string()
    } else {
        format!("CASE WHEN {} THEN 1 ELSE 0 END", present.join(" AND "))
    };
    let mut extra: Vec<(String, String)> = xs
        .iter()
        .enumerate()
        .map(|(j, x)| (x.clone(), format!("x{}", j + 1)))
        .collect();
    extra.push((ok, "ok".into()));
    let frame = dur.frame(d, acc, &extra);
    let names: Vec<String> = (1..=xs.len()).map(|j| format!("x{j}")).collect();
    let entry = dur.entry_sql();
    let all = q::cox_rows(
        d,
        &frame,
        &dur.exit_sql(),
        entry.as_deref(),
        &dur.keep_sql(),
        &names,
    );
    let p = xs.len();
    let list: String = names.iter().map(|x| format!(", {x}")).collect();
    let moments = msql::moments(&format!("SELECT e AS y{list} FROM ({all}) AS m"), p);
    let answer = engine.query(&moments, &[&acc.name])?;
    let m = read_moments(&answer.first().cloned().unwrap_or_default(), p);
    let (kept, dropped) = screen_columns(&terms, &m.cov, &acc.drivers);
    let events = m.events.round() as usize;
    if kept.is_empty() || m.n == 0 || events == 0 {
        return Ok(None);
    }
    let kept_list: String = kept
        .iter()
        .enumerate()
        .map(|(a, &j)| format!(", x{j} AS x{}", a + 1))
        .collect();
    let rows = format!("SELECT k, t, e, n{kept_list} FROM ({all}) AS kept");
    let sd = |v: f64| {
        let s = v.sqrt();
        if s > 0.0 && s.is_finite() {
            s
        } else {
            1.0
        }
    };
    Ok(Some(CoxDesign {
        rows: EngineCox {
            engine: RefCell::new(engine),
            table: acc.name.clone(),
            dur: dur.clone(),
            rows,
            means: kept.iter().map(|&j| m.mean[j]).collect(),
            sds: kept.iter().map(|&j| sd(m.cov[j][j])).collect(),
            failure: RefCell::new(None),
        },
        variances: kept.iter().map(|&j| m.cov[j][j]).collect(),
        terms: kept.iter().map(|&j| terms[j - 1].clone()).collect(),
        dropped,
        n: m.n,
        events,
    }))
}

impl EngineCox<'_> {
    /// The engine's error if a pass failed (the fit then failed with it).
    ///
    /// # Errors
    /// That error.
    pub fn failed(&self) -> Result<()> {
        match self.failure.borrow_mut().take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The sums of each ask's pass (its columns and coefficients), latest
    /// exit time first, from one scan.
    fn sums(&self, asks: &[(&[usize], &[f64])]) -> Result<Vec<Vec<TimeSums>>> {
        let mut engine = self.engine.borrow_mut();
        let d = engine.dialect();
        let entry = self.dur.entry_sql().is_some();
        let p = self.means.len();
        let betas: Vec<Vec<f64>> = asks
            .iter()
            .map(|(sel, beta)| {
                let mut b = vec![0.0; p];
                for (&j, &v) in sel.iter().zip(beta.iter()) {
                    b[j] = v;
                }
                b
            })
            .collect();
        let sql = q::cox_passes(d, &self.rows, &self.means, &self.sds, &betas, entry);
        let answer = engine.query(&sql, &[&self.table])?;
        let t = p * (p + 1) / 2;
        let short = || Error::Engine {
            target: engine.target().to_string(),
            message: format!("a Cox pass over {} came back incomplete", self.table),
        };
        // Per ask: (time, event, count, sums) of exits, (time, sums) of entries.
        type Exit = (f64, bool, usize, Vec<f64>);
        let mut exits: Vec<Vec<Exit>> = vec![Vec::new(); asks.len()];
        let mut entries: Vec<Vec<(f64, Vec<f64>)>> = vec![Vec::new(); asks.len()];
        for r in &answer {
            let at = |j: usize| r.get(j).unwrap_or(&Cell::Null);
            let k = at(0)
                .count()
                .filter(|k| *k < asks.len())
                .ok_or_else(short)?;
            let nums: Option<Vec<f64>> = (6..8 + 2 * p + t).map(|j| at(j).number()).collect();
            let nums = nums.ok_or_else(short)?;
            let count = at(5).count().ok_or_else(short)?;
            if at(1).count() == Some(1) {
                let n = at(4).number().ok_or_else(short)?;
                entries[k].push((self.dur.time(n), nums));
            } else {
                let x = at(2).number().ok_or_else(short)?;
                exits[k].push((self.dur.time(x), at(3).count() == Some(1), count, nums));
            }
        }
        Ok(asks
            .iter()
            .zip(exits.iter().zip(&entries))
            .map(|((sel, _), (ex, en))| time_sums(sel, p, ex, en))
            .collect())
    }
}

impl EngineCox<'_> {
    /// The proportional-hazards check of `fit` (on all the kept columns):
    /// one scan for the events' sums per time and the sample's counts (its
    /// Kaplan–Meier curve, for the Km transform), one pass for the fit's
    /// risk-weighted means; the test itself is the in-memory formula on
    /// those sums ([`ph_of_sums`]), tied events ranked by id.
    ///
    /// # Errors
    /// The engine's own.
    pub fn ph(&self, fit: &CoxFit, transform: TimeTransform) -> Result<Option<PhTest>> {
        let p = self.means.len();
        let entry = self.dur.entry_sql().is_some();
        let answer = {
            let mut engine = self.engine.borrow_mut();
            engine.query(&q::ph_sums(&self.rows, p, entry), &[&self.table])?
        };
        let means = cox::event_times(self, fit);
        self.failed()?;
        // (time, event?, rows, Σ x, Σ pos x) of exits; (time, rows) of entries.
        type Exit = (f64, bool, u32, Vec<f64>, Vec<f64>);
        let mut exits: Vec<Exit> = Vec::new();
        let mut entries: Vec<(f64, u32)> = Vec::new();
        for r in &answer {
            let at = |j: usize| r.get(j).unwrap_or(&Cell::Null);
            let Some(count) = at(4).count().and_then(|c| u32::try_from(c).ok()) else {
                continue;
            };
            if at(0).count() == Some(1) {
                if let Some(n) = at(3).number() {
                    entries.push((self.dur.time(n), count));
                }
            } else if let Some(x) = at(1).number() {
                let col = |from: usize| {
                    (0..p)
                        .map(|a| at(from + a).number().unwrap_or(0.0))
                        .collect()
                };
                exits.push((
                    self.dur.time(x),
                    at(2).count() == Some(1),
                    count,
                    col(5),
                    col(5 + p),
                ));
            }
        }
        let mut times: Vec<f64> = exits.iter().map(|e| e.0).collect();
        times.sort_unstable_by(f64::total_cmp);
        times.dedup();
        let m = times.len();
        let mut tally = Tally {
            k: 1,
            m,
            with_entry: entry,
            events: vec![0; m + 1],
            exits: vec![0; m + 1],
            entered: vec![0; m + 1],
        };
        let mut sums: Vec<EventSums> = times
            .iter()
            .map(|&time| EventSums {
                time,
                d: 0,
                x: vec![0.0; p],
                pos_x: vec![0.0; p],
            })
            .collect();
        for (x, event, count, xs, pos) in exits {
            let Ok(i) = times.binary_search_by(|u| u.total_cmp(&x)) else {
                continue;
            };
            tally.exits[i] += count;
            if event {
                tally.events[i] += count;
                let cols: Vec<f64> = fit.cols.iter().map(|&j| xs[j]).collect();
                let posx: Vec<f64> = fit.cols.iter().map(|&j| pos[j]).collect();
                (sums[i].d, sums[i].x, sums[i].pos_x) = (count as usize, cols, posx);
            }
        }
        for (en, count) in entries {
            tally.entered[times.partition_point(|&u| u <= en)] += count;
        }
        let km = curves_on(&times, &tally, ConfType::LogLog)
            .pop()
            .unwrap_or_else(|| empty(ConfType::LogLog));
        let g = |t: f64| 1.0 - km.at(t).map_or(0.0, |x| x.survival);
        let events: Vec<EventSums> = sums.into_iter().filter(|e| e.d > 0).collect();
        Ok(ph_of_sums(&events, &means, fit, transform, g))
    }
}

/// One ask's time sums on its columns `sel` (of `p`) from the batch's
/// answer: its exit rows (time, event, count, sums) and entry rows.
fn time_sums(
    sel: &[usize],
    p: usize,
    exits: &[(f64, bool, usize, Vec<f64>)],
    entries: &[(f64, Vec<f64>)],
) -> Vec<TimeSums> {
    let q = sel.len();
    let t = p * (p + 1) / 2;
    // The ask's columns out of the answer's (Σ r z, Σ r z z', Σ z).
    let one = |v: &[f64]| -> Vec<f64> { sel.iter().map(|&j| v[1 + j]).collect() };
    let two = |v: &[f64]| -> Vec<f64> {
        let mut out = Vec::with_capacity(q * (q + 1) / 2);
        for a in 0..q {
            for b in a..q {
                let (i, j) = (sel[a].min(sel[b]), sel[a].max(sel[b]));
                out.push(v[1 + p + cox::upper(p, i, j)]);
            }
        }
        out
    };
    let zs = |v: &[f64]| -> Vec<f64> { sel.iter().map(|&j| v[1 + p + t + j]).collect() };
    let mut times: Vec<f64> = exits.iter().map(|e| e.0).collect();
    times.sort_unstable_by(|a, b| b.total_cmp(a));
    times.dedup();
    let mut sums: Vec<TimeSums> = times.iter().map(|&u| TimeSums::empty(u, q)).collect();
    for (x, event, count, v) in exits {
        let Ok(g) = times.binary_search_by(|u| x.total_cmp(u)) else {
            continue;
        };
        let s = &mut sums[g];
        s.r0 += v[0];
        add(&mut s.r1, &one(v));
        add(&mut s.r2, &two(v));
        if *event {
            s.d = *count;
            s.d0 = v[0];
            s.d1 = one(v);
            s.d2 = two(v);
            s.z = zs(v);
            s.eta = v[1 + 2 * p + t];
        }
    }
    for (en, v) in entries {
        // It leaves the risk set at the latest exit time at or before its entry.
        let g = times.partition_point(|&u| u > *en);
        if let Some(s) = sums.get_mut(g) {
            s.l0 += v[0];
            add(&mut s.l1, &one(v));
            add(&mut s.l2, &two(v));
        }
    }
    sums
}

fn add(to: &mut [f64], from: &[f64]) {
    to.iter_mut().zip(from).for_each(|(a, b)| *a += b);
}

impl CoxRows for EngineCox<'_> {
    fn means(&self) -> &[f64] {
        &self.means
    }
    fn sds(&self) -> &[f64] {
        &self.sds
    }
    fn pass(&self, sel: &[usize], beta: &[f64], ties: Ties, record: bool) -> Pass {
        let scale = record.then(|| self.scale(sel));
        let scale = scale.as_ref().map(|(m, s)| (m.as_slice(), s.as_slice()));
        self.answer(&[(sel, beta)], ties, scale)
            .pop()
            .unwrap_or_else(|| failed(sel.len()))
    }
    fn passes(&self, asks: &[(&[usize], &[f64])], ties: Ties) -> Vec<Pass> {
        self.answer(asks, ties, None)
    }
}

impl EngineCox<'_> {
    /// The means and SDs of the columns `sel`.
    fn scale(&self, sel: &[usize]) -> (Vec<f64>, Vec<f64>) {
        (
            sel.iter().map(|&j| self.means[j]).collect(),
            sel.iter().map(|&j| self.sds[j]).collect(),
        )
    }

    /// The passes of `asks` from one scan; on an engine error, passes that
    /// fail the fits (the error is kept for [`EngineCox::failed`]).
    fn answer(
        &self,
        asks: &[(&[usize], &[f64])],
        ties: Ties,
        scale: Option<(&[f64], &[f64])>,
    ) -> Vec<Pass> {
        match self.sums(asks) {
            Ok(all) => all
                .iter()
                .zip(asks)
                .map(|(sums, (sel, _))| cox::pass_of_sums(sums, sel.len(), ties, scale))
                .collect(),
            Err(e) => {
                self.failure.borrow_mut().get_or_insert(e);
                asks.iter().map(|(sel, _)| failed(sel.len())).collect()
            }
        }
    }
}

/// A pass without a likelihood: the fit stops on its singular information.
fn failed(p: usize) -> Pass {
    Pass {
        ll: f64::NAN,
        score: vec![f64::NAN; p],
        info: ndarray::Array2::zeros((p, p)),
        times: Vec::new(),
    }
}
