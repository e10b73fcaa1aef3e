//! The subjects placed once on the grid of distinct exit times, so that every
//! Kaplan–Meier curve and every log-rank tally of a study is a counting pass
//! over the rows in row order and a sweep over the grid: no sort per curve,
//! and no sort of the subjects at all.
//!
//! Churn durations repeat a great deal (a few thousand distinct values among
//! a million accounts), so the grid is found by hashing the exit times and
//! sorting only the distinct ones. A subject is at risk at grid time `t_m`
//! when `entry < t_m ≤ exit`, that is when `entered ≤ m ≤ exit_at`, where
//! `entered` counts the grid times at or before its entry.

use std::collections::HashMap;

use foldhash::fast::FixedState;

use super::Subjects;

/// Rows without a finite exit time (left out of every curve and test).
const OFF: u32 = u32::MAX;

/// The grid and each row's place on it.
#[derive(Debug, Clone)]
pub struct TimeGrid {
    /// Distinct finite exit times, ascending.
    times: Vec<f64>,
    /// Per row: the index of its exit time, or [`OFF`].
    exit_at: Vec<u32>,
    event: Vec<bool>,
    /// Per row (delayed entry only): the number of grid times ≤ its entry.
    entered: Option<Vec<u32>>,
}

/// The bit pattern a time is hashed by (−0 and +0 are one time).
fn key(t: f64) -> u64 {
    if t == 0.0 {
        0
    } else {
        t.to_bits()
    }
}

/// Each finite value's index among the distinct finite values of `v`
/// (ascending), [`OFF`] for the others; and those distinct values.
fn ranks(v: &[f64]) -> (Vec<f64>, Vec<u32>) {
    let mut id: HashMap<u64, u32, FixedState> = HashMap::default();
    let mut distinct: Vec<f64> = Vec::new();
    let mut at: Vec<u32> = v
        .iter()
        .map(|&t| {
            if !t.is_finite() {
                return OFF;
            }
            *id.entry(key(t)).or_insert_with(|| {
                distinct.push(if t == 0.0 { 0.0 } else { t });
                (distinct.len() - 1) as u32
            })
        })
        .collect();
    let mut order: Vec<u32> = (0..distinct.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| distinct[a as usize].total_cmp(&distinct[b as usize]));
    let mut rank = vec![0u32; distinct.len()];
    for (r, &o) in order.iter().enumerate() {
        rank[o as usize] = r as u32;
    }
    for a in at.iter_mut().filter(|a| **a != OFF) {
        *a = rank[*a as usize];
    }
    (order.iter().map(|&o| distinct[o as usize]).collect(), at)
}

/// Per group and grid time: events, exits (events and censored) and entries
/// by their `entered` index (`k × (m + 1)`, row-major by group).
#[derive(Debug, Clone)]
pub struct Tally {
    /// Groups and grid times.
    pub k: usize,
    pub m: usize,
    /// Whether entries were counted (delayed entry).
    pub with_entry: bool,
    pub events: Vec<u32>,
    pub exits: Vec<u32>,
    pub entered: Vec<u32>,
}

impl TimeGrid {
    pub fn new(s: &Subjects) -> Self {
        let ((times, exit_at), entry_ranks) = rayon::join(|| ranks(s.exit), || s.entry.map(ranks));
        let entered = entry_ranks.map(|(values, mut at)| {
            // The distinct entry values' places on the grid, then each row's.
            let place: Vec<u32> = values
                .iter()
                .map(|&v| times.partition_point(|&t| t <= v) as u32)
                .collect();
            for (a, &x) in at.iter_mut().zip(&exit_at) {
                *a = if *a == OFF || x == OFF {
                    0
                } else {
                    place[*a as usize]
                };
            }
            at
        });
        TimeGrid {
            times,
            exit_at,
            event: s.event.to_vec(),
            entered,
        }
    }

    /// The distinct exit times, ascending.
    pub fn times(&self) -> &[f64] {
        &self.times
    }

    /// The number of rows (subjects) the grid was built on.
    pub fn rows(&self) -> usize {
        self.exit_at.len()
    }

    /// Whether the grid carries delayed entry.
    pub fn has_entry(&self) -> bool {
        self.entered.is_some()
    }

    /// Counts per group code 0..k in one pass over the rows (codes ≥ k and
    /// rows without an exit left out); entries only when `with_entry`.
    /// Large inputs are counted in chunks on the thread pool and the counts
    /// added (integers: the same result in any order).
    pub fn tally(&self, codes: &[u32], k: usize, with_entry: bool) -> Tally {
        use rayon::prelude::*;
        const CHUNK: usize = 1 << 17;
        let m = self.times.len();
        let len = codes.len().min(self.exit_at.len());
        let chunks: Vec<usize> = (0..len).step_by(CHUNK).collect();
        let with_entry = with_entry && self.entered.is_some();
        let empty = || Tally {
            k,
            m,
            with_entry,
            events: vec![0; k * (m + 1)],
            exits: vec![0; k * (m + 1)],
            entered: vec![0; k * (m + 1)],
        };
        chunks
            .par_iter()
            .map(|&from| {
                let mut t = empty();
                self.count(&mut t, codes, k, with_entry, from..(from + CHUNK).min(len));
                t
            })
            .reduce(empty, |mut a, b| {
                for (x, y) in [
                    (&mut a.events, &b.events),
                    (&mut a.exits, &b.exits),
                    (&mut a.entered, &b.entered),
                ] {
                    x.iter_mut().zip(y).for_each(|(x, y)| *x += y);
                }
                a
            })
    }

    /// Adds the rows `rows` to `t`.
    fn count(
        &self,
        t: &mut Tally,
        codes: &[u32],
        k: usize,
        with_entry: bool,
        rows: std::ops::Range<usize>,
    ) {
        let w = t.m + 1;
        let entered = self.entered.as_deref().filter(|_| with_entry);
        for i in rows {
            let (g, x) = (codes[i] as usize, self.exit_at[i]);
            if g >= k || x == OFF {
                continue;
            }
            let at = g * w + x as usize;
            t.exits[at] += 1;
            t.events[at] += self.event[i] as u32;
            if let Some(e) = entered {
                t.entered[g * w + e[i] as usize] += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ties share a grid time; a subject's entry counts the grid times at or before it.
    #[test]
    fn places_rows_on_distinct_times() {
        let exit = [3.0, 1.0, 3.0, f64::NAN, 2.0];
        let entry = [0.0, -0.0, 2.0, 0.0, 1.0];
        let event = [true, false, true, true, false];
        let s = Subjects {
            entry: Some(&entry),
            exit: &exit,
            event: &event,
        };
        let g = TimeGrid::new(&s);
        assert_eq!(g.times(), [1.0, 2.0, 3.0]);
        assert_eq!(g.exit_at, [2, 0, 2, OFF, 1]);
        assert_eq!(g.entered.as_deref(), Some(&[0, 0, 2, 0, 1][..]));
        let t = g.tally(&[0, 0, 0, 0, 0], 1, true);
        assert_eq!(t.exits, [1, 1, 2, 0]);
        assert_eq!(t.events, [0, 0, 2, 0]);
        assert_eq!(t.entered, [2, 1, 1, 0]);
    }
}
