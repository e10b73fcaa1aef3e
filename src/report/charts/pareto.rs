//! The classic Pareto chart: bars in descending order, the cumulative share
//! as a line on a second axis, and the cut-off as a dashed line.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{draw_err, header, palette, wrap, Chart, FONT};
use crate::error::Result;
use crate::format::compact;
use crate::pareto::{Measure, Pareto, ParetoRow, RowKind};

/// One ranking drawn as a Pareto chart.
pub struct ParetoChart<'a> {
    pub title: String,
    pub subtitle: String,
    pub rows: &'a [ParetoRow],
    pub measure: Measure,
    /// Axis label of the bars, e.g. "Churned accounts" or "Lost ARR".
    pub value_label: String,
    pub cutoff: f64,
}

impl<'a> ParetoChart<'a> {
    /// The chart of one ranking of `p`; `None` when that ranking is absent.
    /// `study` names the data in the subtitle, `revenue_label` labels the
    /// revenue axis.
    pub fn of(p: &'a Pareto, m: Measure, study: &str, revenue_label: &str) -> Option<Self> {
        let rows = p.ranking(m)?;
        let (what, unit) = match m {
            Measure::Frequency => ("frequency", "Churned accounts".to_string()),
            Measure::Revenue => ("lost revenue", revenue_label.to_string()),
        };
        Some(ParetoChart {
            title: format!("Cancellation reasons by {what}"),
            subtitle: format!(
                "{study}: {} accounts. Dark bars: the vital few that reach {:.0} % of accounts giving a reason.",
                crate::format::thousands(p.total_count),
                100.0 * p.cutoff
            ),
            rows,
            measure: m,
            value_label: unit,
            cutoff: p.cutoff,
        })
    }

    /// File stem of a ranking's chart.
    pub fn stem(m: Measure) -> &'static str {
        match m {
            Measure::Frequency => "pareto_frequency",
            Measure::Revenue => "pareto_revenue",
        }
    }

    fn value(&self, r: &ParetoRow) -> f64 {
        match self.measure {
            Measure::Frequency => r.count as f64,
            Measure::Revenue => r.revenue,
        }
    }
}

impl Chart for ParetoChart<'_> {
    fn name(&self) -> String {
        format!("Pareto chart `{}`", self.title)
    }

    /// Wider than 16:9 when there are many bars, so labels stay readable.
    fn size(&self) -> (u32, u32) {
        let n = self.rows.len() as u32;
        ((n * 90 + 240).clamp(super::SIZE.0, 2400), super::SIZE.1)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let err = draw_err("Pareto chart");
        let n = self.rows.len().max(1);
        let (w, _) = root.dim_in_pixel();
        // Wrap labels to the bar width: about 8 px per character at 15 px.
        let slot = (w as f64 - 200.0) / n as f64;
        let chars = ((slot / 7.8) as usize).clamp(6, 22);
        let labels: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| wrap(&r.reason, chars, 4))
            .collect();
        let lines = labels.iter().map(Vec::len).max().unwrap_or(1);
        let label_px = 18 * lines as u32 + 16;

        let body = header(root, &self.title, &self.subtitle, "Pareto chart")?;

        let max = self.rows.iter().map(|r| self.value(r)).fold(0.0, f64::max);
        let top = if max > 0.0 { max * 1.12 } else { 1.0 };
        let mut chart = ChartBuilder::on(&body)
            .margin_left(16)
            .margin_right(16)
            .margin_bottom(10)
            .x_label_area_size(label_px)
            .y_label_area_size(84)
            .right_y_label_area_size(72)
            .build_cartesian_2d(0f64..n as f64, 0f64..top)
            .map_err(&err)?
            .set_secondary_coord(0f64..n as f64, 0f64..105f64);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_max_light_lines(0)
            .bold_line_style(palette::GRID)
            .y_desc(self.value_label.clone())
            .y_label_formatter(&|v| compact(*v))
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .draw()
            .map_err(&err)?;
        chart
            .configure_secondary_axes()
            .y_desc("Cumulative %")
            .y_label_formatter(&|v| format!("{v:.0} %"))
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 17))
            .draw()
            .map_err(&err)?;

        for (i, r) in self.rows.iter().enumerate() {
            let colour = match (r.kind, r.vital_few) {
                (RowKind::Reason, true) => palette::BLUE,
                (RowKind::Reason, false) => palette::LIGHT_BLUE,
                _ => palette::GREY,
            };
            let x0 = i as f64 + 0.12;
            let x1 = i as f64 + 0.88;
            let v = self.value(r);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x0, 0.0), (x1, v)],
                    colour.filled(),
                )))
                .map_err(&err)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    compact(v),
                    (i as f64 + 0.5, v + top * 0.01),
                    (FONT, 14)
                        .into_font()
                        .color(&palette::DARK)
                        .pos(Pos::new(HPos::Center, VPos::Bottom)),
                )))
                .map_err(&err)?;
        }
        // Wrapped category labels under each bar.
        for (i, lines) in labels.iter().enumerate() {
            let (px, py) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
            for (k, line) in lines.iter().enumerate() {
                root.draw(&Text::new(
                    line.clone(),
                    (px, py + 8 + 18 * k as i32),
                    (FONT, 14)
                        .into_font()
                        .color(&palette::DARK)
                        .pos(Pos::new(HPos::Center, VPos::Top)),
                ))
                .map_err(&err)?;
            }
        }

        let pts: Vec<(f64, f64)> = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| (i as f64 + 0.5, 100.0 * r.cumulative_share))
            .collect();
        chart
            .draw_secondary_series(LineSeries::new(
                pts.clone(),
                palette::VERMILION.stroke_width(3),
            ))
            .map_err(&err)?
            .label("Cumulative share")
            .legend(|(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + 24, y)],
                    palette::VERMILION.stroke_width(3),
                )
            });
        chart
            .draw_secondary_series(
                pts.iter()
                    .map(|p| Circle::new(*p, 5, palette::VERMILION.filled())),
            )
            .map_err(&err)?;
        let cut = 100.0 * self.cutoff;
        chart
            .draw_secondary_series(DashedLineSeries::new(
                vec![(0.0, cut), (n as f64, cut)],
                10,
                6,
                palette::DARK.stroke_width(2),
            ))
            .map_err(&err)?
            .label(format!("{cut:.0} % cut-off"))
            .legend(|(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], palette::DARK.stroke_width(2))
            });
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(0.0, 0.0), (0.0, 0.0)],
                palette::BLUE.filled(),
            )))
            .map_err(&err)?
            .label("Vital few")
            .legend(|(x, y)| Rectangle::new([(x, y - 7), (x + 24, y + 7)], palette::BLUE.filled()));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::MiddleRight)
            .background_style(WHITE.mix(0.9))
            .border_style(palette::GRID)
            .label_font((FONT, 15))
            .draw()
            .map_err(&err)?;
        Ok(())
    }
}
