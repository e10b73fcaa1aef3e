//! The Pareto section of `report.html`: both rankings of the cancellation
//! reasons, the top reason per segment and the reason-mix shift.

use serde::Serialize;

use super::{heads, Cell, Figure, Table};
use crate::format::{money, p_is, percent, sig, thousands};
use crate::pareto::{Measure, ParetoReport, ParetoRow, RowKind};
use crate::report::charts::pareto::ParetoChart;

#[derive(Debug, Clone, Serialize)]
pub(super) struct ParetoView {
    intro: String,
    figures: Vec<Figure>,
    by_count: Table,
    by_revenue: Option<Table>,
    segments: Option<Table>,
    mix_shift: Option<String>,
    movers: Option<Table>,
    notes: Vec<String>,
}

fn pareto_rows(rows: &[ParetoRow], by_revenue: bool) -> Vec<Vec<Cell>> {
    rows.iter()
        .map(|r| {
            let reason = Cell::text(r.reason.clone());
            let reason = if r.vital_few {
                reason.with_class("strong")
            } else {
                reason
            };
            let mut cells = vec![Cell::num(r.rank.to_string(), r.rank as f64), reason];
            let count = Cell::num(thousands(r.count), r.count as f64);
            let revenue = Cell::num(money(r.revenue), r.revenue);
            // The ranking's own measure first, the other one after the shares.
            let (own, other) = if by_revenue {
                (revenue, count)
            } else {
                (count, revenue)
            };
            cells.push(own);
            cells.push(Cell::num(percent(r.share, 1), r.share));
            cells.push(Cell::num(
                percent(r.cumulative_share, 1),
                r.cumulative_share,
            ));
            cells.push(other);
            cells.push(Cell::num(r.rank_other.to_string(), r.rank_other as f64));
            cells.push(Cell::text(if r.vital_few { "yes" } else { "" }));
            cells
        })
        .collect()
}

pub(super) fn pareto_view(
    p: &ParetoReport,
    figure: &dyn Fn(&str, String) -> Option<Figure>,
    unit: &str,
) -> ParetoView {
    let lost = format!("lost revenue{unit}");
    let rev = p.revenue_column.clone().unwrap_or_default();
    let mut figures = Vec::new();
    if let Some(f) = figure(
        ParetoChart::stem(Measure::Frequency),
        "Cancellation reasons by number of churned accounts".into(),
    ) {
        figures.push(f);
    }
    if let Some(f) = figure(
        ParetoChart::stem(Measure::Revenue),
        format!("Cancellation reasons by lost revenue ({rev})"),
    ) {
        figures.push(f);
    }
    let intro = format!(
        "Reasons come from the column `{}`{}. {} churned accounts gave {} distinct reasons ({} gave none). The vital few are the fewest top reasons that cover {} of the accounts that gave a reason; they are in bold. A reason's rank by count and by revenue can differ a lot: a reason common among small accounts costs less than a rarer one among large accounts.",
        p.reason_column,
        p.revenue_column
            .as_ref()
            .map_or(String::new(), |c| format!(", lost revenue from `{c}`")),
        thousands(p.n_churned),
        p.overall
            .by_frequency
            .iter()
            .filter(|r| r.kind == RowKind::Reason)
            .count(),
        thousands(p.overall.n_not_given),
        percent(p.overall.cutoff, 0)
    );
    let by_count = Table {
        caption: "Ranked by number of churned accounts".into(),
        heads: heads(&[
            ("#", true),
            ("reason", false),
            ("accounts", true),
            ("share", true),
            ("cumulative", true),
            (lost.as_str(), true),
            ("rank by revenue", true),
            ("vital few", false),
        ]),
        rows: pareto_rows(&p.overall.by_frequency, false),
    };
    let by_revenue = p.overall.by_revenue.as_ref().map(|rows| Table {
        caption: format!("Ranked by lost revenue ({rev})"),
        heads: heads(&[
            ("#", true),
            ("reason", false),
            (lost.as_str(), true),
            ("share", true),
            ("cumulative", true),
            ("accounts", true),
            ("rank by count", true),
            ("vital few", false),
        ]),
        rows: pareto_rows(rows, true),
    });
    let segments = (!p.segments.is_empty()).then(|| Table {
        caption: "Top reason within each segment".into(),
        heads: heads(&[
            ("segment", false),
            ("level", false),
            ("churned", true),
            ("top by count", false),
            ("share", true),
            ("top by revenue", false),
            ("share", true),
        ]),
        rows: p
            .segments
            .iter()
            .map(|s| {
                let f = s.pareto.by_frequency.first();
                let v = s.pareto.by_revenue.as_ref().and_then(|v| v.first());
                vec![
                    Cell::text(s.column.clone()),
                    Cell::text(s.level.clone()),
                    Cell::num(thousands(s.pareto.total_count), s.pareto.total_count as f64),
                    Cell::text(f.map_or("–".into(), |r| r.reason.clone())),
                    Cell::opt(f.map(|r| r.share), |x| percent(x, 1)),
                    Cell::text(v.map_or("–".into(), |r| r.reason.clone())),
                    Cell::opt(v.map(|r| r.share), |x| percent(x, 1)),
                ]
            })
            .collect(),
    });
    let (mix_shift, movers) = match &p.mix_shift {
        Some(m) => (
            Some(format!(
                "Did the reason mix change? {} ({} churned) against {} ({} churned), by {}: chi-square {} on {} df, p {}{}.",
                m.latest,
                thousands(m.n_latest),
                m.previous,
                thousands(m.n_previous),
                m.source,
                sig(m.test.statistic),
                m.test.dof,
                p_is(m.test.p_value),
                if m.test.share_expected_below_5 > 0.2 {
                    format!(
                        " ({} of cells expect fewer than 5 accounts, so read the p-value with care)",
                        percent(m.test.share_expected_below_5, 0)
                    )
                } else {
                    String::new()
                }
            )),
            Some(Table {
                caption: "Reasons whose share moved most (|adjusted residual| > 2 stands out)".into(),
                heads: heads(&[
                    ("reason", false),
                    (m.previous.as_str(), true),
                    (m.latest.as_str(), true),
                    ("change", true),
                    ("adj. residual", true),
                ]),
                rows: m
                    .movers
                    .iter()
                    .take(8)
                    .map(|mv| {
                        let resid = Cell::num(format!("{:+.2}", mv.adjusted_residual), mv.adjusted_residual);
                        vec![
                            Cell::text(mv.reason.clone()),
                            Cell::num(percent(mv.share_previous, 1), mv.share_previous)
                                .with_tip(format!("{} accounts", thousands(mv.count_previous))),
                            Cell::num(percent(mv.share_latest, 1), mv.share_latest)
                                .with_tip(format!("{} accounts", thousands(mv.count_latest))),
                            Cell::num(format!("{:+.1} pp", 100.0 * mv.change), mv.change),
                            if mv.adjusted_residual.abs() > 2.0 {
                                resid.with_class("num strong")
                            } else {
                                resid
                            },
                        ]
                    })
                    .collect(),
            }),
        ),
        None => (None, None),
    };
    ParetoView {
        intro,
        figures,
        by_count,
        by_revenue,
        segments,
        mix_shift,
        movers,
        notes: p.notes.clone(),
    }
}
