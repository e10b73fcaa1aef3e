//! `report.html`: one self-contained file (inline CSS, inline SVG charts, a
//! few lines of inline JavaScript to sort tables) rendered with minijinja.
//! This module only formats the result structs into a page model of strings;
//! the template auto-escapes every value, so a reason label or column name
//! can never become markup. The chart SVGs are the one value marked safe:
//! plotters escapes the text it draws into them.

mod appendix;
mod control;
mod drivers;
mod kpis;
mod pareto;
mod renewals;
mod survival;

use std::collections::BTreeMap;

use minijinja::Environment;
use serde::Serialize;

use super::charts::RenderedChart;
use super::summary::Summary;
use crate::error::{Error, Result};
use crate::format::currency_unit;
use crate::results::{Results, PARETO_SKIPPED, SURVIVAL_SKIPPED};
use appendix::{appendix_view, AppendixView};
use control::{control_views, ControlView};
use drivers::{drivers_view, DriversView};
use kpis::{kpis_view, KpisView};
use pareto::{pareto_view, ParetoView};
use renewals::{renewals_view, RenewalsView};
use survival::{survival_view, SurvivalView};

const TEMPLATE: &str = include_str!("templates/report.html");

/// One table cell: shown text, an optional numeric sort key, a tooltip.
#[derive(Debug, Clone, Serialize, Default)]
struct Cell {
    text: String,
    sort: Option<String>,
    class: Option<&'static str>,
    tip: Option<String>,
}

impl Cell {
    fn text(t: impl Into<String>) -> Self {
        Cell {
            text: t.into(),
            ..Cell::default()
        }
    }
    fn num(t: impl Into<String>, key: f64) -> Self {
        Cell {
            text: t.into(),
            sort: key.is_finite().then(|| format!("{key:.12e}")),
            class: Some("num"),
            ..Cell::default()
        }
    }
    fn opt(x: Option<f64>, f: impl Fn(f64) -> String) -> Self {
        match x {
            Some(v) if !v.is_nan() => Cell::num(f(v), v),
            _ => Cell {
                text: "–".into(),
                class: Some("num"),
                ..Cell::default()
            },
        }
    }
    fn with_class(mut self, c: &'static str) -> Self {
        self.class = Some(c);
        self
    }
    fn with_tip(mut self, t: impl Into<String>) -> Self {
        self.tip = Some(t.into());
        self
    }
}

/// A column header; `num` right-aligns the column.
#[derive(Debug, Clone, Serialize)]
struct Head {
    label: String,
    num: bool,
    tip: Option<String>,
}

fn heads(spec: &[(&str, bool)]) -> Vec<Head> {
    spec.iter()
        .map(|(l, n)| Head {
            label: l.to_string(),
            num: *n,
            tip: None,
        })
        .collect()
}

/// A sortable table.
#[derive(Debug, Clone, Serialize)]
struct Table {
    caption: String,
    heads: Vec<Head>,
    rows: Vec<Vec<Cell>>,
}

/// A chart inlined as SVG, with its caption and the files it was written to.
#[derive(Debug, Clone, Serialize)]
struct Figure {
    svg: String,
    caption: String,
    files: String,
}

#[derive(Debug, Clone, Serialize)]
struct Page {
    study: String,
    generated_at: String,
    version: String,
    summary: Summary,
    /// The one-slide KPI dashboard, first on the page.
    slide: Option<Figure>,
    pareto: Option<ParetoView>,
    pareto_missing: Option<String>,
    drivers: DriversView,
    survival: Option<SurvivalView>,
    survival_missing: Option<String>,
    kpis: KpisView,
    renewals: Option<RenewalsView>,
    control: Vec<ControlView>,
    appendix: AppendixView,
}

/// Renders the report page.
///
/// # Errors
/// Only a broken template (a bug): [`Error::Render`].
pub fn render(r: &Results, summary: &Summary, charts: &[RenderedChart]) -> Result<String> {
    let svgs: BTreeMap<&str, &str> = charts
        .iter()
        .map(|c| (c.stem.as_str(), c.svg.as_str()))
        .collect();
    let figure = |stem: &str, caption: String| -> Option<Figure> {
        svgs.get(stem).map(|svg| Figure {
            svg: inline_svg(svg, &caption),
            caption,
            files: format!("charts/{stem}.png, charts/{stem}.svg"),
        })
    };
    let page = Page {
        study: r.study.clone(),
        generated_at: r.generated_at.clone(),
        version: r.churnlab_version.to_string(),
        summary: summary.clone(),
        slide: figure(
            super::charts::slide::SlideChart::STEM,
            "The KPIs on one slide: each tile's month, quarter and year-to-date values, its change from the quarter before, its control chart with the limits, and its status light; and the top renewals at risk".to_string(),
        ),
        pareto: r
            .pareto
            .as_ref()
            .map(|p| pareto_view(p, &figure, &currency_unit(r.currency.as_deref()))),
        pareto_missing: r.pareto.is_none().then(|| PARETO_SKIPPED.to_string()),
        drivers: drivers_view(r, &figure),
        survival: survival_view(r, &figure),
        survival_missing: r.survival.is_none().then(|| SURVIVAL_SKIPPED.to_string()),
        kpis: kpis_view(r, &figure),
        renewals: renewals_view(r),
        control: control_views(r, &figure),
        appendix: appendix_view(r),
    };
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.add_template("report.html", TEMPLATE)
        .map_err(template_err)?;
    let tpl = env.get_template("report.html").map_err(template_err)?;
    tpl.render(&page).map_err(template_err)
}

fn template_err(e: minijinja::Error) -> Error {
    Error::Render {
        what: "html report".into(),
        message: format!("template: {e:#}"),
    }
}

/// Makes a plotters SVG fit for inlining in HTML: the root element loses its
/// fixed size and namespace URL (HTML5 does not need it) and gains an
/// accessible name. Everything after the root tag is kept as written.
fn inline_svg(svg: &str, caption: &str) -> String {
    let body = svg.trim_start_matches(|c: char| c != '<');
    let body = body
        .strip_prefix("<?xml")
        .map(|rest| rest.split_once("?>").map_or(rest, |(_, b)| b).trim_start())
        .unwrap_or(body);
    let Some(end) = body.find('>') else {
        return String::new();
    };
    let root = &body[..end];
    let view = attr(root, "viewBox").unwrap_or_default();
    format!(
        "<svg viewBox=\"{}\" class=\"chart\" role=\"img\" aria-label=\"{}\"{}",
        escape_attr(&view),
        escape_attr(caption),
        &body[end..]
    )
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!("{name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(tag[start..start + len].to_string())
}

fn escape_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_root_is_rewritten_for_inlining() {
        let svg = "<svg width=\"1280\" height=\"720\" viewBox=\"0 0 1280 720\" xmlns=\"http://www.w3.org/2000/svg\">\n<rect x=\"0\"/>\n</svg>\n";
        let out = inline_svg(svg, "A \"b\" <c>");
        assert!(out.starts_with("<svg viewBox=\"0 0 1280 720\" class=\"chart\" role=\"img\" aria-label=\"A &quot;b&quot; &lt;c&gt;\">"));
        assert!(!out.contains("http"));
        assert!(out.ends_with("</svg>\n"));
    }
}
