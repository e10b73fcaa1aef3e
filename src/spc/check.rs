//! What a series must satisfy before it is charted: enough points, one label
//! (and phase) per point, sizes where the chart needs them, counts that fit
//! their sizes, complete subgroups. Every failure names the point.

use super::{bad, Kind, Options, Series};
use crate::error::Result;

/// Checks the series against the chart's needs.
pub(super) fn check(s: &Series, o: &Options) -> Result<usize> {
    if matches!(o.kind, Kind::R | Kind::S | Kind::Mr) {
        return Err(bad(format!(
            "a {} chart is drawn under its X̄ or XmR chart, not on its own; ask for xbar-r, xbar-s or xmr",
            o.kind
        )));
    }
    let sizes = |s: &Series| -> Option<Vec<(f64, bool)>> {
        match (&s.subgroups, &s.groups) {
            (Some(g), _) => Some(g.iter().map(|g| (g.n, g.finite())).collect()),
            (None, Some(g)) => Some(
                g.iter()
                    .map(|obs| (obs.len() as f64, obs.iter().all(|v| v.is_finite())))
                    .collect(),
            ),
            (None, None) => None,
        }
    };
    let subgroups = sizes(s);
    let n = match (&subgroups, o.kind) {
        (Some(g), Kind::XbarR | Kind::XbarS) => g.len(),
        (None, Kind::XbarR | Kind::XbarS) => {
            return Err(bad(
                "X̄ charts need observations grouped into subgroups (--subgroup COL)".into(),
            ))
        }
        _ => s.values.len(),
    };
    if n < 2 {
        return Err(bad(format!(
            "{n} point{}: a control chart needs at least 2",
            if n == 1 { "" } else { "s" }
        )));
    }
    if s.labels.len() != n {
        return Err(bad("one label per point is needed".into()));
    }
    if let Some(p) = &s.phases {
        if p.len() != n {
            return Err(bad("one phase per point is needed".into()));
        }
        if o.baseline.is_some() {
            return Err(bad(
                "use either phases (--phase) or a baseline (--baseline-rows), not both".into(),
            ));
        }
    }
    if let Some((a, b)) = o.baseline {
        if a > b || b >= n {
            return Err(bad(format!(
                "baseline rows {}..{} must lie within the {n} points, first ≤ last",
                a + 1,
                b + 1
            )));
        }
        if b - a < 1 {
            return Err(bad("a baseline needs at least 2 points".into()));
        }
    }
    let at = |i: usize| format!("point {} ({})", i + 1, s.labels[i]);
    if o.kind.attribute() || matches!(o.kind, Kind::Xmr | Kind::Run) {
        for (i, v) in s.values.iter().enumerate() {
            if !v.is_finite() {
                return Err(bad(format!("{} has no value", at(i))));
            }
            if o.kind.attribute() && *v < 0.0 {
                return Err(bad(format!("{} has a negative count {v}", at(i))));
            }
        }
    }
    if let (Kind::Run, Some(sizes)) = (o.kind, &s.sizes) {
        if let Some(i) = sizes.iter().position(|m| !(m.is_finite() && *m > 0.0)) {
            return Err(bad(format!(
                "{} has denominator {}; denominators must be positive",
                at(i),
                sizes[i]
            )));
        }
    }
    if o.kind.needs_size() {
        let Some(sizes) = &s.sizes else {
            return Err(bad(format!(
                "a {} chart needs subgroup sizes (--size COL)",
                o.kind.as_str()
            )));
        };
        for (i, (&x, &m)) in s.values.iter().zip(sizes).enumerate() {
            if !(m.is_finite() && m > 0.0) {
                return Err(bad(format!(
                    "{} has subgroup size {m}; sizes must be positive",
                    at(i)
                )));
            }
            if matches!(o.kind, Kind::P | Kind::Np | Kind::LaneyP) && x > m {
                return Err(bad(format!(
                    "{} has {x} defectives out of {m}: a count cannot exceed its subgroup size",
                    at(i)
                )));
            }
        }
        if o.kind == Kind::Np && sizes.iter().any(|m| *m != sizes[0]) {
            return Err(bad(
                "an np chart needs one subgroup size; use a p chart for varying sizes".into(),
            ));
        }
    }
    if let Some(g) = &subgroups {
        for (i, &(len, finite)) in g.iter().enumerate() {
            if len < 2.0 {
                return Err(bad(format!(
                    "{} has {len} observation(s); X̄ charts need subgroups of at least 2",
                    at(i),
                )));
            }
            if o.kind == Kind::XbarR && len > 25.0 {
                return Err(bad(format!(
                    "{} has {len} observations; R charts are tabulated up to 25, use xbar-s",
                    at(i),
                )));
            }
            if !finite {
                return Err(bad(format!("{} has a missing observation", at(i))));
            }
        }
    }
    Ok(n)
}
