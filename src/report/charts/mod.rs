//! Slide-ready charts (PNG and SVG) drawn with plotters. The font is embedded
//! (DejaVu Sans, assets/fonts) and registered with plotters' `ab_glyph`
//! backend, so charts render the same on a machine with no system fonts.

pub mod control;
pub mod forest;
pub mod funnel;
mod jobs;
pub mod km;
pub mod pareto;
pub mod slide;

pub use jobs::{render_all, RenderedChart};

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::error::{Error, Result};

/// Font family name every chart uses.
pub const FONT: &str = "sans-serif";

static FONTS: Once = Once::new();

/// Registers the embedded fonts once per process.
pub fn register_fonts() {
    FONTS.call_once(|| {
        let regular: &'static [u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
        let bold: &'static [u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");
        // The bytes are valid TrueType fonts shipped with the crate.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, regular);
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, bold);
    });
}

/// Colours shared by all charts (colour-blind-safe Okabe–Ito hues).
pub mod palette {
    use plotters::style::RGBColor;
    pub const BLUE: RGBColor = RGBColor(0, 114, 178);
    pub const LIGHT_BLUE: RGBColor = RGBColor(153, 199, 224);
    pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
    pub const VERMILION: RGBColor = RGBColor(213, 94, 0);
    pub const GREEN: RGBColor = RGBColor(0, 158, 115);
    pub const GREY: RGBColor = RGBColor(170, 170, 170);
    pub const DARK: RGBColor = RGBColor(40, 40, 40);
    pub const GRID: RGBColor = RGBColor(225, 225, 225);
}

/// Pixel size of slide charts (16:9).
pub const SIZE: (u32, u32) = (1280, 720);

/// Maps a plotters drawing error to ours.
pub(crate) fn draw_err<E: std::fmt::Debug>(what: &str) -> impl Fn(E) -> Error + '_ {
    move |e| Error::Render {
        what: "chart".into(),
        message: format!("cannot draw {what}: {e:?}"),
    }
}

/// Draws a chart's bold title and one-line subtitle in a 78-px band at the
/// top of `root`, and returns the area below for the plot.
pub(crate) fn header<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    subtitle: &str,
    what: &str,
) -> Result<DrawingArea<DB, plotters::coord::Shift>> {
    let err = draw_err(what);
    let (head, body) = root.split_vertically(78);
    head.draw(&Text::new(
        title.to_string(),
        (24, 14),
        (FONT, 28)
            .into_font()
            .style(FontStyle::Bold)
            .color(&palette::DARK),
    ))
    .map_err(&err)?;
    head.draw(&Text::new(
        subtitle.to_string(),
        (24, 50),
        (FONT, 17).into_font().color(&palette::DARK),
    ))
    .map_err(&err)?;
    Ok(body)
}

/// A chart drawn on any backend; implemented once per chart type so PNG and
/// SVG come from the same code.
pub trait Chart {
    /// Short name for messages.
    fn name(&self) -> String;
    /// Pixel size; slide charts are 16:9 unless the content needs more width.
    fn size(&self) -> (u32, u32) {
        SIZE
    }
    /// Draws onto a prepared, white-filled area.
    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<()>;
}

/// Renders a chart to SVG text.
pub fn to_svg<C: Chart>(chart: &C) -> Result<String> {
    register_fonts();
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, chart.size()).into_drawing_area();
        area.fill(&WHITE).map_err(draw_err(&chart.name()))?;
        chart.draw(&area)?;
        area.present().map_err(draw_err(&chart.name()))?;
    }
    Ok(svg)
}

/// Renders a chart to PNG bytes.
pub fn to_png<C: Chart>(chart: &C) -> Result<Vec<u8>> {
    register_fonts();
    let (w, h) = chart.size();
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    {
        let area = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        area.fill(&WHITE).map_err(draw_err(&chart.name()))?;
        chart.draw(&area)?;
        area.present().map_err(draw_err(&chart.name()))?;
    }
    let mut png = Vec::new();
    let mut enc = png::Encoder::new(&mut png, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().map_err(draw_err("png header"))?;
    writer
        .write_image_data(&rgb)
        .map_err(draw_err("png data"))?;
    writer.finish().map_err(draw_err("png end"))?;
    Ok(png)
}

/// Writes `<stem>.png` and `<stem>.svg` into `dir`, atomically.
pub fn write_chart<C: Chart>(chart: &C, dir: &Path, stem: &str) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "cannot create folder", e))?;
    crate::output::write_atomic(&dir.join(format!("{stem}.png")), &to_png(chart)?)?;
    crate::output::write_atomic(&dir.join(format!("{stem}.svg")), to_svg(chart)?.as_bytes())?;
    Ok(())
}

/// Breaks a label into at most `max_lines` lines of about `width` characters,
/// at spaces where possible, with an ellipsis when it does not fit.
pub fn wrap(label: &str, width: usize, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in label.split_whitespace() {
        let mut word = word.to_string();
        while word.chars().count() > width {
            let head: String = word.chars().take(width).collect();
            let tail: String = word.chars().skip(width).collect();
            if !cur.is_empty() {
                lines.push(std::mem::take(&mut cur));
            }
            lines.push(head);
            word = tail;
        }
        if cur.is_empty() {
            cur = word;
        } else if cur.chars().count() + 1 + word.chars().count() <= width {
            cur.push(' ');
            cur.push_str(&word);
        } else {
            lines.push(std::mem::replace(&mut cur, word));
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        let last = lines.last_mut().expect("max_lines > 0");
        let keep: String = last.chars().take(width.saturating_sub(1)).collect();
        *last = format!("{keep}…");
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping() {
        assert_eq!(
            wrap("Poor training / onboarding", 12, 3),
            ["Poor", "training /", "onboarding"]
        );
        assert_eq!(wrap("a b", 10, 2), ["a b"]);
        assert_eq!(wrap("Supercalifragilistic", 8, 2), ["Supercal", "ifragil…"]);
        assert_eq!(wrap("one two three four five six", 5, 2), ["one", "two…"]);
    }
}
