//! The drivers of an accounts table on an engine: how the model reads each
//! one's cells (a number, or labels that the file rules mapped at home),
//! with what the model says of it (blanks, whether it varies).

use super::table::NumberFacts;
use super::Dialect;
use crate::config::DriverConfig;
use crate::data::{Driver, DriverValues};
use crate::drivers::design::DriverInfo;

/// How the model reads one driver's cells.
#[derive(Debug, Clone, PartialEq)]
pub enum Read {
    /// A number cell.
    Number,
    /// Label cells, each with its value (ordinal levels 1..k, yes/no 1/0).
    Values(Vec<(String, f64)>),
    /// Categorical labels: the levels in the in-memory order (by count,
    /// then name) and each cell's level.
    Levels {
        levels: Vec<String>,
        cells: Vec<(String, u32)>,
    },
}

/// A driver of the accounts table on an engine.
#[derive(Debug, Clone)]
pub struct EngineDriver {
    pub config: DriverConfig,
    pub read: Read,
    pub n_missing: usize,
    pub present: usize,
    pub constant: bool,
    /// A driver read as a number: the mean, min and max of its values
    /// (`None` for a categorical one, or without a value).
    pub spread: Option<(f64, f64, f64)>,
}

impl EngineDriver {
    /// A driver held as labels, from the file rules' reading of its
    /// distinct `cells` (`driver`, one value per cell) and their counts.
    pub(super) fn of_labels(
        config: &DriverConfig,
        driver: &Driver,
        cells: &[(Option<String>, usize)],
        rows: usize,
    ) -> Self {
        let (read, present, distinct, spread) = match &driver.values {
            DriverValues::Numeric(v) => {
                let mut map = Vec::new();
                let mut present = 0;
                let (mut sum, mut low, mut high) = (0.0, f64::INFINITY, f64::NEG_INFINITY);
                for ((value, count), &x) in cells.iter().zip(v) {
                    if let (Some(t), false) = (value, x.is_nan()) {
                        map.push((t.clone(), x));
                        present += count;
                        sum += x * *count as f64;
                        low = low.min(x);
                        high = high.max(x);
                    }
                }
                let first = map.first().map(|m| m.1);
                let distinct = first.map_or(0, |f| 1 + usize::from(map.iter().any(|m| m.1 != f)));
                let spread = (present > 0).then(|| (sum / present as f64, low, high));
                (Read::Values(map), present, distinct, spread)
            }
            DriverValues::Categorical(cat) => {
                // The levels by their rows' counts, then name, as a file's.
                let mut counts = vec![0usize; cat.levels.len()];
                for ((_, count), &code) in cells.iter().zip(&cat.codes) {
                    if let Some(n) = counts.get_mut(code as usize) {
                        *n += count;
                    }
                }
                let mut order: Vec<usize> = (0..cat.levels.len()).collect();
                order.sort_by(|&a, &b| {
                    counts[b]
                        .cmp(&counts[a])
                        .then_with(|| cat.levels[a].cmp(&cat.levels[b]))
                });
                let mut recode = vec![0u32; order.len()];
                for (new, &old) in order.iter().enumerate() {
                    recode[old] = new as u32;
                }
                let map: Vec<(String, u32)> = cells
                    .iter()
                    .zip(&cat.codes)
                    .filter_map(|((value, _), &code)| {
                        let t = value.clone()?;
                        recode.get(code as usize).map(|&k| (t, k))
                    })
                    .collect();
                let levels = order.iter().map(|&o| cat.levels[o].clone()).collect();
                (
                    Read::Levels { levels, cells: map },
                    counts.iter().sum(),
                    order.len(),
                    None,
                )
            }
        };
        EngineDriver {
            config: config.clone(),
            read,
            n_missing: rows.saturating_sub(present),
            present,
            constant: distinct < 2,
            spread,
        }
    }

    /// A number driver, from what the number scan says of its cells.
    pub(super) fn of_numbers(config: &DriverConfig, f: &NumberFacts, rows: usize) -> Self {
        EngineDriver {
            config: config.clone(),
            read: Read::Number,
            n_missing: rows.saturating_sub(f.present),
            present: f.present,
            constant: f.present == 0 || f.low == f.high,
            spread: (f.present > 0).then(|| (f.sum / f.present as f64, f.low, f.high)),
        }
    }

    /// The driver's value as SQL over the accounts table: the number, a
    /// label's value, or a categorical label's level code (as the in-memory
    /// codes); NULL where blank.
    pub fn value_sql(&self, d: Dialect, missing: &[String]) -> String {
        let c = d.cell(&self.config.column, missing);
        let case = |whens: String| format!("CASE {c}{whens} END");
        match &self.read {
            Read::Number => c.clone(),
            Read::Values(map) => case(
                map.iter()
                    .map(|(t, v)| format!(" WHEN {} THEN {}", d.literal(t), d.number(*v)))
                    .collect(),
            ),
            Read::Levels { cells, .. } => case(
                cells
                    .iter()
                    .map(|(t, k)| format!(" WHEN {} THEN {k}", d.literal(t)))
                    .collect(),
            ),
        }
    }
}

impl DriverInfo for EngineDriver {
    fn config(&self) -> &DriverConfig {
        &self.config
    }
    fn n_missing(&self) -> usize {
        self.n_missing
    }
    fn present(&self) -> usize {
        self.present
    }
    fn constant(&self) -> bool {
        self.constant
    }
    fn levels(&self) -> Option<&[String]> {
        match &self.read {
            Read::Levels { levels, .. } => Some(levels),
            _ => None,
        }
    }
}
