//! The study config's consistency rules that serde cannot express (ranges,
//! keys that must agree with each other), checked once when the config is
//! read so that a bad value is reported with the file and key, not late in an
//! analysis; and TOML errors worded as one sentence with line and section.

use super::{DriverKind, Grain, StudyConfig};
use crate::error::{Error, Result};

impl StudyConfig {
    /// Consistency rules serde cannot express.
    pub(super) fn check(&self) -> Result<()> {
        let err = |message: String| Error::Config {
            path: self.source.clone(),
            message,
        };
        let a = &self.accounts;
        let sources = [
            !a.path.as_os_str().is_empty(),
            a.table.is_some(),
            a.query.is_some(),
        ];
        match sources.iter().filter(|x| **x).count() {
            0 => {
                return Err(err(
                    "[accounts] needs `path` (a file), or `table` / `query` with an [engine]"
                        .into(),
                ))
            }
            1 => {}
            _ => {
                return Err(err(
                    "[accounts]: give one of `path`, `table` and `query`, not several".into(),
                ))
            }
        }
        if let Some(r) = &self.revenue {
            let n = [
                !r.path.as_os_str().is_empty(),
                r.table.is_some(),
                r.query.is_some(),
            ]
            .iter()
            .filter(|x| **x)
            .count();
            if n != 1 {
                return Err(err(
                    "[revenue] needs one of `path` (a file), `table` and `query` (on an [engine])"
                        .into(),
                ));
            }
        }
        if self.drivers.is_empty() {
            return Err(err(
                "no [[drivers]] listed; add at least one, e.g. [[drivers]] column = \"training_quality\" kind = \"ordinal\"".into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for d in &self.drivers {
            if !seen.insert(d.column.as_str()) {
                return Err(err(format!(
                    "driver column `{}` is listed twice under [[drivers]]",
                    d.column
                )));
            }
            if d.column == self.accounts.churned {
                return Err(err(format!(
                    "driver column `{}` is the churn outcome itself; remove it from [[drivers]]",
                    d.column
                )));
            }
            if let Some([lo, hi]) = d.range {
                if lo.is_nan() || hi.is_nan() || lo > hi {
                    return Err(err(format!(
                        "driver `{}`: range = [{lo}, {hi}] must be two numbers, low first (`inf` allowed)",
                        d.column
                    )));
                }
            }
            if d.levels.is_some() && d.kind != DriverKind::Ordinal {
                return Err(err(format!(
                    "driver `{}`: `levels` applies only to kind = \"ordinal\"",
                    d.column
                )));
            }
            if d.positive.is_some() && d.kind != DriverKind::Binary {
                return Err(err(format!(
                    "driver `{}`: `positive` applies only to kind = \"binary\"",
                    d.column
                )));
            }
            if d.count && d.kind != DriverKind::Numeric {
                return Err(err(format!(
                    "driver `{}`: `count = true` applies only to kind = \"numeric\"",
                    d.column
                )));
            }
            if d.reference.is_some() && d.kind != DriverKind::Categorical {
                return Err(err(format!(
                    "driver `{}`: `reference` applies only to kind = \"categorical\"",
                    d.column
                )));
            }
        }
        let overlap: Vec<&String> = self
            .accounts
            .churned_values
            .iter()
            .filter(|v| {
                self.accounts
                    .retained_values
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(v))
            })
            .collect();
        if let Some(v) = overlap.first() {
            return Err(err(format!(
                "accounts: label `{v}` is in both churned_values and retained_values"
            )));
        }
        let a = &self.analysis;
        if !(a.alpha > 0.0 && a.alpha < 1.0) {
            return Err(err(format!(
                "analysis.alpha = {} must be between 0 and 1 (e.g. 0.05)",
                a.alpha
            )));
        }
        if a.bins < 2 || a.bins > 100 {
            return Err(err(format!(
                "analysis.bins = {} must be between 2 and 100 (e.g. 5 for quintiles)",
                a.bins
            )));
        }
        if let Some(o) = &a.outcome {
            match self.drivers.iter().find(|d| &d.column == o) {
                None => {
                    return Err(err(format!(
                        "analysis.outcome = `{o}` is not one of the [[drivers]] columns ({}); list it there",
                        self.drivers
                            .iter()
                            .map(|d| d.column.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )))
                }
                Some(d) if !matches!(d.kind, DriverKind::Numeric | DriverKind::Ordinal) => {
                    return Err(err(format!(
                        "analysis.outcome = `{o}` is a {} driver; an OLS outcome must be numeric or ordinal",
                        d.kind.as_str()
                    )))
                }
                Some(_) => {}
            }
        }
        let k = &self.kpis;
        if !(k.effect_floor_pp >= 0.0 && k.effect_floor_pp < 100.0) {
            return Err(err(format!(
                "kpis.effect_floor_pp = {} must be between 0 and 100 percentage points (e.g. 1)",
                k.effect_floor_pp
            )));
        }
        if k.max_recommended == 0 {
            return Err(err(
                "kpis.max_recommended = 0 would recommend nothing; use a small number such as 5 or 7".into(),
            ));
        }
        if let Some(keys) = &k.slide {
            self.check_slide(keys).map_err(err)?;
        }
        if let Some(d) = self.drivers.iter().find(|d| {
            d.kind == DriverKind::Categorical && k.columns().iter().any(|(c, _)| *c == d.column)
        }) {
            return Err(err(format!(
                "kpis names `{}`, a categorical driver; account KPIs need numbers",
                d.column
            )));
        }
        let p = &self.pareto;
        if !(p.cutoff > 0.0 && p.cutoff <= 1.0) {
            return Err(err(format!(
                "pareto.cutoff = {} must be a fraction in (0, 1], e.g. 0.8",
                p.cutoff
            )));
        }
        if !(0.0..1.0).contains(&p.other_below) {
            return Err(err(format!(
                "pareto.other_below = {} must be a fraction in [0, 1), e.g. 0.02",
                p.other_below
            )));
        }
        for (key, g) in [("pareto.period", p.period), ("kpis.grain", self.kpis.grain)] {
            if !matches!(g, Grain::Month | Grain::Quarter) {
                return Err(err(format!(
                    "{key} = \"{}\" is not allowed here; use \"month\" or \"quarter\"",
                    g.as_str()
                )));
            }
        }
        if let Some(split) = &self.pareto.split_by {
            if let Some(c) = split.iter().find(|c| !self.accounts.segments.contains(c)) {
                return Err(err(format!(
                    "pareto.split_by names `{c}`, which is not one of accounts.segments ({}); add it there",
                    self.accounts.segments.join(", ")
                )));
            }
        }
        if !self.accounts.retained_values.is_empty() && self.accounts.churned_values.is_empty() {
            return Err(err(
                "accounts: retained_values is set but churned_values is not; list the churned labels too".into(),
            ));
        }
        self.check_survival()?;
        self.check_renewals()?;
        Ok(())
    }
}

/// Turns a toml/serde error into one sentence with the line, the section and,
/// for an unknown key or value, the nearest valid one.
pub(super) fn describe_toml_error(e: &toml::de::Error, text: &str) -> String {
    let msg = e.message().trim().to_string();
    let line = e
        .span()
        .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
    let section = e.span().and_then(|s| section_at(text, s.start));
    let mut out = String::new();
    if let Some(l) = line {
        out.push_str(&format!("line {l}"));
        if let Some(sec) = &section {
            out.push_str(&format!(" (in [{sec}])"));
        }
        out.push_str(": ");
    }
    for (prefix, what) in [("unknown field `", "key"), ("unknown variant `", "value")] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            let bad = rest.split('`').next().unwrap_or_default();
            let valid = backticked(rest.split_once("expected").map_or("", |x| x.1));
            out.push_str(&format!("unknown {what} `{bad}`"));
            match nearest(bad, &valid) {
                Some(near) => out.push_str(&format!("; did you mean `{near}`?")),
                None => out.push('.'),
            }
            if !valid.is_empty() {
                out.push_str(&format!(" Valid {what}s: {}.", valid.join(", ")));
            }
            return out;
        }
    }
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let key = rest.split('`').next().unwrap_or_default();
        out.push_str(&format!("required key `{key}` is missing"));
        return out;
    }
    // chrono's words for a date it cannot read name neither the key nor the
    // format: quote what was written there and say how dates are written.
    const DATE_ERRORS: [&str; 4] = [
        "input contains invalid characters",
        "premature end of input",
        "trailing input",
        "input is out of range",
    ];
    if DATE_ERRORS.contains(&msg.as_str()) {
        let written = e
            .span()
            .and_then(|s| text.get(s.start..s.end.min(text.len())))
            .unwrap_or_default();
        out.push_str(&format!(
            "{written} is not a date; write dates as \"YYYY-MM-DD\", e.g. \"2025-01-01\" ({msg})"
        ));
        return out;
    }
    out.push_str(&msg);
    out
}

/// Name of the `[table]` or `[[array]]` header that encloses byte offset `pos`.
fn section_at(text: &str, pos: usize) -> Option<String> {
    let head = &text[..pos.min(text.len())];
    head.lines().rev().find_map(|l| {
        let t = l.trim();
        if t.starts_with('[') {
            Some(t.trim_matches(|c| c == '[' || c == ']').trim().to_string())
        } else {
            None
        }
    })
}

fn backticked(s: &str) -> Vec<String> {
    s.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, t)| t.to_string())
        .collect()
}

impl StudyConfig {
    /// `[survival]`: positive horizons and τ, a window of two ordered dates,
    /// strata and curves that name known columns.
    /// `[kpis] slide`: 1 to [`SLIDE_MAX`] known KPI keys, each once.
    fn check_slide(&self, keys: &[String]) -> std::result::Result<(), String> {
        if keys.is_empty() || keys.len() > SLIDE_MAX {
            return Err(format!(
                "kpis.slide lists {} KPIs; a slide holds 1 to {} (5 to 7 read best)",
                keys.len(),
                SLIDE_MAX
            ));
        }
        for (i, k) in keys.iter().enumerate() {
            let known = SLIDE_KPIS.contains(&k.as_str())
                || k.strip_prefix("driver:")
                    .is_some_and(|c| self.drivers.iter().any(|d| d.column == c));
            if !known {
                return Err(format!(
                    "kpis.slide names `{k}`, which is not a KPI the slide can show; use one of {} or `driver:<column>` for a configured driver",
                    SLIDE_KPIS.map(|x| format!("`{x}`")).join(", ")
                ));
            }
            if keys[..i].contains(k) {
                return Err(format!("kpis.slide names `{k}` twice"));
            }
        }
        Ok(())
    }

    fn check_survival(&self) -> Result<()> {
        let err = |message: String| Error::Config {
            path: self.source.clone(),
            message: format!("[survival] {message}"),
        };
        let s = &self.survival;
        if let Some(h) = &s.horizons {
            if h.is_empty() || h.iter().any(|v| !(*v > 0.0 && v.is_finite())) {
                return Err(err(format!(
                    "horizons = {h:?} must be one or more positive times, e.g. [12, 24, 36]"
                )));
            }
        }
        if let Some(t) = s.tau {
            if !(t > 0.0 && t.is_finite()) {
                return Err(err(format!("tau = {t} must be a positive time, e.g. 36")));
            }
        }
        if let Some([a, b]) = &s.window {
            if a >= b {
                return Err(err(format!(
                    "window = [\"{a}\", \"{b}\"]: the first day must come before the last"
                )));
            }
        }
        if s.tenure.is_none() && s.window.is_some() && self.accounts.start_date.is_none() {
            return Err(err(
                "window needs accounts.start_date (durations from dates)".into(),
            ));
        }
        if let Some(col) = &s.strata {
            let categorical = self
                .drivers
                .iter()
                .any(|d| &d.column == col && d.kind == DriverKind::Categorical);
            if !categorical && !self.accounts.segments.contains(col) {
                return Err(err(format!(
                    "strata = `{col}` must be one of accounts.segments or a categorical driver"
                )));
            }
        }
        let names: Vec<String> = self.drivers.iter().map(|d| d.column.clone()).collect();
        for (key, list) in [("curves", &s.curves), ("covariates", &s.covariates)] {
            for c in list.iter().flatten() {
                if !names.contains(c) {
                    let hint = nearest(c, &names)
                        .map(|n| format!("; did you mean `{n}`?"))
                        .unwrap_or_default();
                    return Err(err(format!(
                        "{key} names `{c}`, which is not a [[drivers]] column{hint}"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// The KPI keys `[kpis] slide` may name besides `driver:<column>`: the
/// feed's period and renewal KPIs.
pub const SLIDE_KPIS: [&str; 11] = [
    "grr",
    "nrr",
    "logo_churn_rate",
    "logo_retention",
    "arpa",
    "gross_dollar_renewal_rate",
    "net_dollar_renewal_rate",
    "logo_renewal_rate",
    "renewal_closed_share",
    "quota_attainment",
    "late_renewals",
];

/// Most tiles a slide holds.
pub const SLIDE_MAX: usize = 8;

/// The candidate closest to `word` by edit distance, if reasonably close.
pub fn nearest(word: &str, candidates: &[String]) -> Option<String> {
    let w = word.to_lowercase();
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(&w, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len().max(w.len()) / 2).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.clone())
}
