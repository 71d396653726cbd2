//! The legend: drawn by hand with each curve's glyph, placed where it covers no data, and the
//! audit the figure tests use to prove it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use plotters::prelude::*;

use super::*;

/// How a legend entry is drawn: like its curve.
#[derive(Clone, Copy)]
pub(super) enum Glyph {
    Line(RGBColor),
    Dashed(RGBColor),
    Marker(RGBColor),
    Fill(RGBColor),
}

/// Width, height and line height of the legend box with its entries in `cols` columns (each
/// column as wide as the widest entry: glyph slot 40 px, gap 10 px; margins 10 px).
pub(super) fn legend_size<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    entries: &[(String, Glyph)],
    font: &TextStyle,
    cols: usize,
) -> std::result::Result<(i32, i32, i32), String> {
    let mut w = 0;
    let mut line_h = 0;
    for (l, _) in entries {
        let (tw, th) = root
            .estimate_text_size(l, font)
            .map_err(|e| e.to_string())?;
        w = w.max(tw as i32);
        line_h = line_h.max(th as i32);
    }
    let line_h = (line_h as f64 * 1.25).ceil() as i32;
    let cols = cols.max(1);
    let rows = entries.len().div_ceil(cols) as i32;
    Ok((cols as i32 * (w + 50) + 10, line_h * rows + 20, line_h))
}

/// Top-left corner of a legend box of size (bw, bh) in a plotting area of `dim` pixels.
pub(super) fn corner_at(c: Legend, dim: (u32, u32), bw: i32, bh: i32) -> (i32, i32) {
    let (w, h) = (dim.0 as i32, dim.1 as i32);
    let x = match c {
        Legend::UpperLeft | Legend::LowerLeft | Legend::MiddleLeft => 5,
        Legend::UpperMiddle | Legend::LowerMiddle => (w - bw) / 2,
        _ => w - bw - 5,
    };
    let y = match c {
        Legend::UpperLeft | Legend::UpperRight | Legend::UpperMiddle => 5,
        Legend::MiddleLeft | Legend::MiddleRight => (h - bh) / 2,
        _ => h - bh - 5,
    };
    (x, y)
}

/// Draw the legend box at `at` (absolute pixels): background, border, glyph and text per line.
pub(super) fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    entries: &[(String, Glyph)],
    font: &TextStyle,
    size: Size,
    at: (i32, i32),
    (bw, bh): (i32, i32),
    (line_h, cols): (i32, usize),
) -> std::result::Result<(), String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let (x, y) = at;
    root.draw(&Rectangle::new(
        [(x, y), (x + bw, y + bh)],
        WHITE.mix(0.9).filled(),
    ))
    .map_err(|x| e(&x))?;
    root.draw(&Rectangle::new(
        [(x, y), (x + bw, y + bh)],
        BLACK.stroke_width(1),
    ))
    .map_err(|x| e(&x))?;
    let lw = size.line;
    let cols = cols.max(1);
    let col_w = (bw - 10) / cols as i32;
    for (k, (label, glyph)) in entries.iter().enumerate() {
        let (row, col) = ((k / cols) as i32, (k % cols) as i32);
        let cy = y + 10 + line_h * row + line_h / 2;
        let gx = x + 10 + col * col_w;
        match *glyph {
            Glyph::Line(c) => root
                .draw(&PathElement::new(
                    [(gx, cy), (gx + 30, cy)],
                    c.stroke_width(lw),
                ))
                .map_err(|x| e(&x))?,
            Glyph::Dashed(c) => {
                for (a, b) in [(0, 11), (19, 30)] {
                    root.draw(&PathElement::new(
                        [(gx + a, cy), (gx + b, cy)],
                        c.stroke_width(lw),
                    ))
                    .map_err(|x| e(&x))?;
                }
            }
            Glyph::Marker(c) => root
                .draw(&Circle::new((gx + 15, cy), size.marker, c.filled()))
                .map_err(|x| e(&x))?,
            Glyph::Fill(c) => root
                .draw(&Rectangle::new(
                    [(gx, cy - 8), (gx + 30, cy + 8)],
                    c.filled(),
                ))
                .map_err(|x| e(&x))?,
        }
        let style = font.pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Left,
            plotters::style::text_anchor::VPos::Center,
        ));
        root.draw_text(label, &style, (gx + 40, cy))
            .map_err(|x| e(&x))?;
    }
    Ok(())
}

/// A legend box in absolute pixels (x0, y0, x1, y1).
pub(super) type Rect = (i32, i32, i32, i32);

/// Whether [`Figure::render`] records the data ink under each legend (for tests).
pub(super) static LEGEND_AUDIT: AtomicBool = AtomicBool::new(false);
pub(super) static AUDIT: Mutex<Vec<FigureAudit>> = Mutex::new(Vec::new());

/// What the audit records of one paper-size figure.
#[derive(Debug, Clone)]
pub struct FigureAudit {
    /// The PNG.
    pub png: PathBuf,
    /// Data pixels under the legend box (0: the legend hides nothing).
    pub ink_under_legend: usize,
    /// The axes' share of the canvas width.
    pub axes_fraction: f64,
    /// Lowest and highest end of any error bar.
    pub bars: Option<(f64, f64)>,
    /// Whether a colour bar is drawn.
    pub colour_bar: bool,
    /// Legend entries whose curve cannot be seen (no point, or hidden under an identical one).
    pub hidden_entries: Vec<String>,
    /// Labelled ticks on the log axis with the fewest (`None` without a log axis).
    pub log_majors: Option<usize>,
    /// Distinct colours of the heat-map cells.
    pub cell_colours: usize,
}

/// Turn on the legend audit: every paper-size figure rendered from now on also renders
/// without its legend and counts the non-white pixels inside the legend box.
pub fn set_legend_audit(on: bool) {
    LEGEND_AUDIT.store(on, Ordering::Relaxed);
}

/// The audit so far, and clear it.
pub fn take_legend_audit() -> Vec<FigureAudit> {
    std::mem::take(&mut *AUDIT.lock().expect("audit lock"))
}
