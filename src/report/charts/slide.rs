//! `charts/kpi_slide.png` / `.svg`: the one-slide KPI dashboard at
//! 1920×1080 for a quarterly business review — a tile per KPI (values,
//! change, control-chart sparkline with its limits, status light, leading
//! or lagging) and the top renewals at risk. Text is sized to be read from
//! across a room (nothing under 20 px) and shortened with "…" to fit its
//! box rather than clipped.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use super::{draw_err, palette, Chart, FONT};
use crate::error::Result;
use crate::report::slide::{Slide, Tile};

pub struct SlideChart<'a> {
    pub slide: &'a Slide,
}

impl SlideChart<'_> {
    pub const STEM: &'static str = "kpi_slide";
}

const W: i32 = 1920;
const H: i32 = 1080;

fn light_colour(c: &str) -> RGBColor {
    match c {
        "green" => palette::GREEN,
        "amber" => palette::ORANGE,
        "red" => palette::VERMILION,
        _ => palette::GREY,
    }
}

/// `text` shortened with "…" until it fits `width` pixels in `font`.
fn fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    font: &FontDesc,
    width: u32,
) -> String {
    let style: TextStyle = font.clone().into();
    let fits = |t: &str| {
        area.estimate_text_size(t, &style)
            .map_or(true, |(w, _)| w <= width)
    };
    if fits(text) {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    for keep in (1..chars.len()).rev() {
        let t: String = chars[..keep]
            .iter()
            .collect::<String>()
            .trim_end()
            .to_string()
            + "…";
        if fits(&t) {
            return t;
        }
    }
    "…".into()
}

fn text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    (x, y): (i32, i32),
    size: u32,
    bold: bool,
    colour: &RGBColor,
    width: u32,
) -> Result<()> {
    let font = (FONT, size).into_font();
    let font = if bold {
        font.style(FontStyle::Bold)
    } else {
        font
    };
    let s = fit(area, s, &font, width);
    area.draw(&Text::new(s, (x, y), font.color(colour)))
        .map_err(draw_err("the KPI slide"))
}

fn draw_tile<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    t: &Tile,
    (x0, y0, w, h): (i32, i32, i32, i32),
) -> Result<()> {
    let err = draw_err("the KPI slide");
    area.draw(&Rectangle::new(
        [(x0, y0), (x0 + w, y0 + h)],
        palette::GRID.filled(),
    ))
    .map_err(&err)?;
    area.draw(&Rectangle::new(
        [(x0 + 2, y0 + 2), (x0 + w - 2, y0 + h - 2)],
        WHITE.filled(),
    ))
    .map_err(&err)?;
    // Status light and its word.
    let lc = light_colour(t.light.colour);
    area.draw(&Circle::new((x0 + w - 34, y0 + 34), 18, lc.filled()))
        .map_err(&err)?;
    let inner = (w - 90) as u32;
    // The label on up to two lines, then leading / lagging.
    let lines = super::wrap(&t.label, 26, 2);
    for (k, l) in lines.iter().enumerate() {
        text(
            area,
            l,
            (x0 + 18, y0 + 14 + 30 * k as i32),
            25,
            true,
            &palette::DARK,
            inner,
        )?;
    }
    let below = y0 + 14 + 30 * lines.len() as i32;
    text(
        area,
        t.indicator,
        (x0 + 18, below + 2),
        20,
        false,
        &palette::BLUE,
        inner,
    )?;
    // Values: the first large, the others beside it smaller.
    let mut y = below + 32;
    for (k, (what, v)) in t.values.iter().enumerate() {
        let (size, step) = if k == 0 { (40, 50) } else { (24, 32) };
        text(
            area,
            v,
            (x0 + 18, y),
            size,
            k == 0,
            &palette::DARK,
            (w / 2 - 10) as u32,
        )?;
        text(
            area,
            what,
            (x0 + w / 2, y + if k == 0 { 12 } else { 2 }),
            20,
            false,
            &palette::DARK,
            (w / 2 - 18) as u32,
        )?;
        y += step;
    }
    let cc = match t.change_class {
        "good" => palette::GREEN,
        "bad" => palette::VERMILION,
        _ => palette::DARK,
    };
    text(
        area,
        &t.change,
        (x0 + 18, y + 4),
        21,
        false,
        &cc,
        (w - 36) as u32,
    )?;
    // Sparkline of the judging chart, with its limits.
    let sy0 = y + 40;
    let (sx0, sw, sh) = (x0 + 18, w - 36, y0 + h - 16 - sy0);
    if t.spark.len() >= 2 {
        let lo = t
            .spark
            .iter()
            .flat_map(|p| [p.0, p.2])
            .filter(|v| v.is_finite())
            .fold(f64::INFINITY, f64::min);
        let hi = t
            .spark
            .iter()
            .flat_map(|p| [p.0, p.3])
            .filter(|v| v.is_finite())
            .fold(f64::NEG_INFINITY, f64::max);
        let span = if hi > lo { hi - lo } else { 1.0 };
        let n = t.spark.len() as f64 - 1.0;
        let px = |i: usize| sx0 + (i as f64 / n * sw as f64).round() as i32;
        let py = |v: f64| sy0 + sh - ((v - lo) / span * sh as f64).round() as i32;
        let line = |sel: fn(&(f64, f64, f64, f64)) -> f64| -> Vec<(i32, i32)> {
            t.spark
                .iter()
                .enumerate()
                .filter(|(_, p)| sel(p).is_finite())
                .map(|(i, p)| (px(i), py(sel(p))))
                .collect()
        };
        for (sel, colour) in [
            (
                (|p: &(f64, f64, f64, f64)| p.2) as fn(&(f64, f64, f64, f64)) -> f64,
                palette::VERMILION,
            ),
            (|p| p.3, palette::VERMILION),
            (|p| p.1, palette::GREY),
        ] {
            area.draw(&PathElement::new(line(sel), colour.stroke_width(2)))
                .map_err(&err)?;
        }
        area.draw(&PathElement::new(
            line(|p| p.0),
            palette::BLUE.stroke_width(4),
        ))
        .map_err(&err)?;
        if let Some(&(v, ..)) = t.spark.last() {
            area.draw(&Circle::new((px(t.spark.len() - 1), py(v)), 7, lc.filled()))
                .map_err(&err)?;
        }
    } else {
        text(
            area,
            "no control chart",
            (sx0, sy0 + sh / 2 - 10),
            20,
            false,
            &palette::GREY,
            sw as u32,
        )?;
    }
    Ok(())
}

impl Chart for SlideChart<'_> {
    fn name(&self) -> String {
        "the KPI slide".into()
    }
    fn size(&self) -> (u32, u32) {
        (W as u32, H as u32)
    }
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<()> {
        let s = self.slide;
        let err = draw_err("the KPI slide");
        text(
            area,
            &s.title,
            (40, 22),
            40,
            true,
            &palette::DARK,
            (W - 80) as u32,
        )?;
        text(
            area,
            &s.subtitle,
            (40, 74),
            20,
            false,
            &palette::DARK,
            (W - 80) as u32,
        )?;
        // Tiles: four a row, two rows.
        let (gap, top, tile_h) = (20, 112, 340);
        let per_row = 4;
        let tile_w = (W - 80 - gap * (per_row - 1)) / per_row;
        for (k, t) in s.tiles.iter().enumerate() {
            let (row, col) = (k as i32 / per_row, k as i32 % per_row);
            let x = 40 + col * (tile_w + gap);
            let y = top + row * (tile_h + gap);
            draw_tile(area, t, (x, y, tile_w, tile_h))?;
        }
        // How to read a tile, in the first empty slot.
        let k = s.tiles.len() as i32;
        if k < 2 * per_row {
            let (x, y) = (
                40 + (k % per_row) * (tile_w + gap),
                top + (k / per_row) * (tile_h + gap),
            );
            let lines = [
                ("How to read a tile", true),
                ("Large: the latest month (a driver:", false),
                ("its latest start cohort).", false),
                ("Change: from the quarter (or cohort)", false),
                ("before: green better, red worse.", false),
                ("Line: the KPI's control chart, blue;", false),
                ("its limits orange, centre grey;", false),
                ("the dot is the latest point.", false),
                ("Light: green in control, amber look,", false),
                ("red worse than usual.", false),
            ];
            for (i, (l, bold)) in lines.iter().enumerate() {
                let size = if *bold { 25 } else { 21 };
                text(
                    area,
                    l,
                    (x + 18, y + 14 + 31 * i as i32),
                    size,
                    *bold,
                    &palette::DARK,
                    (tile_w - 36) as u32,
                )?;
            }
        }
        // The renewals at risk.
        let y0 = top + 2 * tile_h + gap + 18;
        if s.at_risk.is_empty() {
            return Ok(());
        }
        text(
            area,
            "Top renewals at risk",
            (40, y0),
            27,
            true,
            &palette::DARK,
            600,
        )?;
        text(
            area,
            &s.at_risk_note,
            (420, y0 + 5),
            20,
            false,
            &palette::DARK,
            (W - 460) as u32,
        )?;
        let cols = [
            (40, 170),
            (220, 150),
            (380, 170),
            (560, 150),
            (720, 90),
            (820, 1060),
        ];
        let heads = ["account", "owner", "ARR due", "due", "risk", "first lever"];
        let hy = y0 + 40;
        for ((x, w), h) in cols.iter().zip(heads) {
            text(area, h, (*x, hy), 20, true, &palette::BLUE, *w as u32)?;
        }
        for (i, r) in s.at_risk.iter().enumerate() {
            let y = hy + 28 + i as i32 * 27;
            if y + 24 > H {
                break;
            }
            if i % 2 == 0 {
                area.draw(&Rectangle::new(
                    [(36, y - 2), (W - 36, y + 24)],
                    palette::GRID.mix(0.6).filled(),
                ))
                .map_err(&err)?;
            }
            let cells = [&r.account, &r.owner, &r.arr, &r.due, &r.risk, &r.lever];
            for ((x, w), c) in cols.iter().zip(cells) {
                text(area, c, (*x, y), 20, false, &palette::DARK, *w as u32)?;
            }
        }
        Ok(())
    }
}
