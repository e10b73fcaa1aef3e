//! The charts of a run: one job per chart (Pareto rankings, forest plot,
//! funnel plot, every KPI control chart, the one-slide KPI dashboard),
//! drawn side by side as PNG and SVG.

use rayon::prelude::*;

use super::{control, forest, funnel, km, pareto, slide, to_png, to_svg, Chart};
use crate::error::Result;
use crate::pareto::Measure;
use crate::results::Results;

/// A rendered chart: its file stem, its PNG bytes, and its SVG (written as
/// a file and inlined in the page).
#[derive(Debug, Clone)]
pub struct RenderedChart {
    pub stem: String,
    pub png: Vec<u8>,
    pub svg: String,
}

/// One chart to draw: a closure rendering it under its file stem.
type ChartJob<'a> = Box<dyn FnOnce() -> Result<RenderedChart> + Send + 'a>;

fn chart_job<'a, C: Chart + Send + 'a>(stem: &str, chart: C) -> ChartJob<'a> {
    let stem = stem.to_string();
    Box::new(move || {
        Ok(RenderedChart {
            stem,
            png: to_png(&chart)?,
            svg: to_svg(&chart)?,
        })
    })
}

/// Draws every chart of a run, as PNG and SVG, side by side.
pub fn render_all(results: &Results) -> Result<Vec<RenderedChart>> {
    let mut jobs: Vec<ChartJob> = Vec::new();
    if let Some(p) = &results.pareto {
        let lost = format!(
            "Lost revenue ({}{})",
            p.revenue_column.clone().unwrap_or_default(),
            results
                .currency
                .as_deref()
                .map_or(String::new(), |c| format!(", {c}"))
        );
        for m in [Measure::Frequency, Measure::Revenue] {
            if let Some(chart) = pareto::ParetoChart::of(&p.overall, m, &results.study, &lost) {
                jobs.push(chart_job(pareto::ParetoChart::stem(m), chart));
            }
        }
    }
    if let Some(chart) = forest::ForestChart::of(&results.drivers, &results.study) {
        jobs.push(chart_job(forest::ForestChart::STEM, chart));
    }
    if let Some(s) = &results.survival {
        jobs.push(chart_job(
            km::KmChart::MAIN,
            km::KmChart::main(s, &results.study, None),
        ));
        for d in results.survival_curve_drivers() {
            if let Some(ds) = s.drivers.iter().find(|x| x.driver == d) {
                let sub = format!(
                    "{}: {} accounts with a value; 95 % bands ({}); numeric drivers in the rate tables' bins.",
                    results.study,
                    crate::format::thousands(ds.curves.groups.iter().map(|g| g.n).sum()),
                    s.conf_type.as_str()
                );
                let title = format!("Time to churn by {}", ds.label);
                jobs.push(chart_job(
                    &km::KmChart::stem(&d),
                    km::KmChart::of(&ds.curves.groups, &title, &sub, s.unit),
                ));
            }
        }
        if let Some(chart) = forest::ForestChart::of_cox(s, &results.study) {
            jobs.push(chart_job(forest::ForestChart::COX_STEM, chart));
        }
    }
    let k = &results.kpis;
    if let Some(e) = &k.efficiency {
        jobs.push(chart_job(
            funnel::FunnelChart::STEM,
            funnel::FunnelChart::of(e, &results.study),
        ));
    }
    for c in &k.control {
        jobs.push(chart_job(
            &c.stem,
            control::ControlPlot::new(&c.chart, &c.title, &results.study),
        ));
    }
    let deck = crate::report::slide::slide(results, results.slide.as_deref());
    if !deck.tiles.is_empty() {
        jobs.push(Box::new(move || {
            let chart = slide::SlideChart { slide: &deck };
            Ok(RenderedChart {
                stem: slide::SlideChart::STEM.to_string(),
                png: to_png(&chart)?,
                svg: to_svg(&chart)?,
            })
        }));
    }
    jobs.into_par_iter().map(|job| job()).collect()
}
