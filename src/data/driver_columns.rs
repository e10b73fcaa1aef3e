//! The driver columns and other categorical roles: each driver converted to
//! its kind (numeric, ordinal on the config's levels, binary, categorical)
//! with its range, levels and reference checked, and warnings for blanks and
//! drivers that do not vary.

use std::path::Path;

use super::parse::{self, clip, Ctx, FlagSpec};
use super::read::Table;
use super::{Categorical, Driver, DriverValues, Warning};
use crate::config::{DriverConfig, DriverKind};
use crate::error::{Error, Result};

/// One categorical role column (segment, owner); blanks are a counted warning.
pub(super) fn categorical(
    table: &Table,
    path: &Path,
    col: &str,
    miss: &[String],
    role: &str,
    warnings: &mut Vec<Warning>,
) -> Result<Categorical> {
    let c = Ctx {
        path,
        column: col,
        missing_tokens: miss,
    };
    let cat = Categorical::from_column(table.column(col)?, c)?;
    warnings.extend(Warning::label_missing(role, col, cat.n_missing));
    Ok(cat)
}

/// One driver column in its kind's type, with the config's range, levels and
/// reference checked; blanks and a constant driver are counted warnings.
pub(crate) fn load_driver(
    table: &Table,
    path: &Path,
    d: &DriverConfig,
    miss: &[String],
    warnings: &mut Vec<Warning>,
) -> Result<Driver> {
    let c = Ctx {
        path,
        column: &d.column,
        missing_tokens: miss,
    };
    let col = table.column(&d.column)?;
    let values = match d.kind {
        DriverKind::Numeric | DriverKind::Ordinal => {
            let v = match &d.levels {
                Some(levels) => ordinal_levels(&parse::texts(col, c)?, levels, c)?,
                None => parse::numbers(col, c)?,
            };
            if let Some([lo, hi]) = d.range {
                if let Some(i) = v.iter().position(|x| !x.is_nan() && (*x < lo || *x > hi)) {
                    return Err(c.bad_number(
                        i,
                        v[i],
                        format!(
                            "is outside the range [{}, {}] set for this driver",
                            crate::format::plain(lo),
                            crate::format::plain(hi)
                        ),
                    ));
                }
            }
            if d.count {
                if let Some(i) = v
                    .iter()
                    .position(|x| !x.is_nan() && (*x < 0.0 || x.fract() != 0.0))
                {
                    return Err(c.bad_number(
                        i,
                        v[i],
                        "is not a whole number ≥ 0; the driver is a count (count = true)",
                    ));
                }
            }
            DriverValues::Numeric(v)
        }
        DriverKind::Binary => {
            let positive: Vec<String> = d.positive.iter().cloned().collect();
            let spec = FlagSpec {
                positive: &positive,
                negative: &[],
            };
            let flags = parse::flags(col, c, &spec)?;
            DriverValues::Numeric(
                flags
                    .into_iter()
                    .map(|f| f.map_or(f64::NAN, |b| b as u8 as f64))
                    .collect(),
            )
        }
        DriverKind::Categorical => {
            let cat = Categorical::from_column(col, c)?;
            if let Some(r) = &d.reference {
                if !cat.levels.contains(r) {
                    return Err(Error::Column {
                        path: path.to_path_buf(),
                        column: d.column.clone(),
                        message: format!(
                            "reference level `{r}` does not occur; its levels are {}",
                            cat.levels
                                .iter()
                                .map(|l| format!("`{l}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    });
                }
            }
            DriverValues::Categorical(cat)
        }
    };
    let n = table.rows();
    let (n_missing, distinct) = match &values {
        DriverValues::Numeric(v) => {
            let present: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
            let distinct = match present.first() {
                None => 0,
                Some(f) => 1 + usize::from(present.iter().any(|x| x != f)),
            };
            (n - present.len(), distinct)
        }
        DriverValues::Categorical(cat) => (cat.n_missing, cat.levels.len()),
    };
    let label = d.display_label();
    let constant = distinct < 2;
    warnings.extend(Warning::of_driver(&d.column, label, n_missing, n, constant));
    Ok(Driver {
        config: d.clone(),
        values,
        n_missing,
        constant,
    })
}

/// Maps ordinal labels onto 1..k in the order the config lists them.
fn ordinal_levels(cells: &[Option<String>], levels: &[String], c: Ctx) -> Result<Vec<f64>> {
    let mut out = Vec::with_capacity(cells.len());
    for (i, v) in cells.iter().enumerate() {
        out.push(match v {
            None => f64::NAN,
            Some(t) => match levels.iter().position(|l| l == t) {
                Some(k) => (k + 1) as f64,
                None => {
                    return Err(c.bad(
                        i,
                        clip(t),
                        format!("is not one of the ordinal levels {}", levels.join(" < ")),
                    ))
                }
            },
        });
    }
    Ok(out)
}
