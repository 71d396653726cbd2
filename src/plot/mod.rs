//! Publication figures: one drawing, three formats. Each figure is drawn once as SVG by
//! plotters, with the DejaVu Sans font embedded in the binary (no system fonts needed); the PNG
//! is that SVG rasterised by resvg (antialiased), and the PDF (feature `pdf`) is the same SVG
//! converted by svg2pdf, so all formats show the same picture. Theory is drawn as lines,
//! simulation as points with error bars, log axes on request.
//!
//! Labels take a small markup for real subscripts and superscripts: `α_{1/2}`, `s^{2}`,
//! `λ_{c}(α)` become SVG `tspan`s with a baseline shift, honoured in every format
//! ([`markup_to_svg`]). The legend goes to the first corner or edge middle of the axes (the
//! figure's preferred corner first) whose box covers no data (curve points, error bars, line
//! segments, cells, text labels), else above the axes on a taller canvas, in as many columns
//! as the width holds (the axes never shrink); a subtitle line states the fixed parameters;
//! legend entries carry the marker or dash of their curves.
//!
//! Two sizes: `paper` (3.4 in wide at 300 dpi, a two-column figure; 2.55 in tall, more with a
//! subtitle or a legend above the axes; the DPI is written into the PNG) written as
//! `<stem>.png` and `<stem>.svg` (and `<stem>.pdf` with the `pdf` feature), and `talk`
//! (1600 × 1200 px) written as `<stem>_talk.png`.
//! Every file is written atomically.

mod figure;
mod legend;
mod markup;
mod raster;

pub use legend::{set_legend_audit, take_legend_audit, FigureAudit};
pub use markup::markup_to_svg;

use std::path::Path;

use plotters::prelude::*;

use crate::error::EngramError;

/// Okabe–Ito colour-blind-safe palette.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
    RGBColor(240, 228, 66),
];

/// Points of a curve: (x, y, standard error or 0).
pub type Points = Vec<(f64, f64, f64)>;

/// How a curve is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Theory: a solid line.
    Line,
    /// Theory, secondary: a dashed line.
    Dashed,
    /// Simulation: markers with vertical error bars.
    Points,
}

/// One curve: label for the legend, colour index into [`PALETTE`], and (x, y, error) points.
#[derive(Debug, Clone)]
pub struct Curve {
    /// Legend label (empty: no legend entry).
    pub label: String,
    /// Drawing style.
    pub style: Style,
    /// Colour index.
    pub color: usize,
    /// Points (x, y, standard error or 0).
    pub points: Vec<(f64, f64, f64)>,
    /// Asymmetric error bars (lo, hi), one per point, drawn instead of y ± error (a Wilson
    /// interval of a probability stays inside [0, 1]); empty: y ± error.
    pub bars: Vec<(f64, f64)>,
}

impl Curve {
    /// A curve with its legend label (anything that converts to a string), drawing style,
    /// colour index and points.
    pub fn new(
        label: impl Into<String>,
        style: Style,
        color: usize,
        points: Vec<(f64, f64, f64)>,
    ) -> Self {
        Curve {
            label: label.into(),
            style,
            color,
            points,
            bars: Vec::new(),
        }
    }

    /// The same curve with asymmetric error bars (lo, hi), one per point.
    pub fn with_bars(mut self, bars: Vec<(f64, f64)>) -> Self {
        self.bars = bars;
        self
    }

    /// The error bar of point `i`: (lo, hi), from `bars` or y ± error; `None` without one.
    pub fn bar(&self, i: usize) -> Option<(f64, f64)> {
        let (_, y, e) = self.points[i];
        match self.bars.get(i) {
            Some(&(lo, hi)) if lo.is_finite() && hi.is_finite() && hi > lo => Some((lo, hi)),
            Some(_) => None,
            None if e > 0.0 && e.is_finite() => Some((y - e, y + e)),
            None => None,
        }
    }
}

/// A text label at data coordinates (a region name on a phase diagram).
#[derive(Debug, Clone)]
pub struct TextLabel {
    /// Position (the text is centred there).
    pub x: f64,
    /// Position.
    pub y: f64,
    /// Text (label markup allowed).
    pub text: String,
}

/// A vertical reference line (e.g. a theory threshold) with a legend label.
#[derive(Debug, Clone)]
pub struct VLine {
    /// Position.
    pub x: f64,
    /// Legend label.
    pub label: String,
    /// Colour index.
    pub color: usize,
}

/// A filled rectangle [x0, x1] × [y0, y1] (phase-diagram cells).
#[derive(Debug, Clone, Copy)]
pub struct Cell {
    /// Corners.
    pub x0: f64,
    /// Corners.
    pub x1: f64,
    /// Corners.
    pub y0: f64,
    /// Corners.
    pub y1: f64,
    /// Fill colour.
    pub rgb: (u8, u8, u8),
}

/// Where the legend sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Legend {
    /// Upper right corner.
    #[default]
    UpperRight,
    /// Lower right corner.
    LowerRight,
    /// Upper left corner.
    UpperLeft,
    /// Lower left corner.
    LowerLeft,
    /// Middle of the right edge.
    MiddleRight,
    /// Middle of the left edge.
    MiddleLeft,
    /// Middle of the top edge.
    UpperMiddle,
    /// Middle of the bottom edge.
    LowerMiddle,
}

/// A 2-D figure.
#[derive(Debug, Clone, Default)]
pub struct Figure {
    /// Legend position.
    pub legend: Legend,
    /// x-axis label (Unicode: α, λ, κ, ρ, subscripts ₀₁).
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// Logarithmic x axis.
    pub x_log: bool,
    /// Logarithmic y axis.
    pub y_log: bool,
    /// Axis ranges; computed from the data when `None`.
    pub x_range: Option<(f64, f64)>,
    /// Axis ranges; computed from the data when `None`.
    pub y_range: Option<(f64, f64)>,
    /// Curves, drawn in order.
    pub curves: Vec<Curve>,
    /// Vertical lines.
    pub vlines: Vec<VLine>,
    /// Background cells (drawn first).
    pub cells: Vec<Cell>,
    /// Legend entries for cells: (label, colour).
    pub cell_legend: Vec<(String, (u8, u8, u8))>,
    /// The fixed parameters of the figure (ensemble, λ, α, samples …), one line above the
    /// axes; empty: none.
    pub subtitle: String,
    /// Text labels in the axes (region names).
    pub labels: Vec<TextLabel>,
    /// The colour scale of a heat map's cells, drawn as a strip above the axes.
    pub colour_bar: Option<ColourBar>,
}

/// A colour bar: what the colours of a heat map mean, as (value, colour) stops from the lowest
/// value to the highest, drawn as a gradient strip with its label and end values.
#[derive(Debug, Clone)]
pub struct ColourBar {
    /// What the colour encodes.
    pub label: String,
    /// (value, colour), increasing in value.
    pub stops: Vec<(f64, (u8, u8, u8))>,
}

#[derive(Clone, Copy)]
pub(super) struct Size {
    pub(super) w: u32,
    pub(super) h: u32,
    pub(super) font: f64,
    pub(super) tick: f64,
    pub(super) line: u32,
    pub(super) marker: u32,
    /// Resolution written into the PNG.
    pub(super) dpi: u32,
}

pub(super) const PAPER: Size = Size {
    w: 1020,
    h: 765,
    font: 36.0,
    tick: 30.0,
    line: 4,
    marker: 7,
    dpi: 300,
};
pub(super) const TALK: Size = Size {
    w: 1600,
    h: 1200,
    font: 44.0,
    tick: 36.0,
    line: 5,
    marker: 10,
    dpi: 200,
};

/// Tick label: up to 3 significant digits in plain notation for 1e-3 ≤ |v| < 1e4, else
/// scientific with one significant digit (log axes span decades).
pub(super) fn tick(v: &f64) -> String {
    let a = v.abs();
    // tick positions computed near 0 carry round-off (−1e-16): print them as 0
    if a < 1e-12 {
        "0".into()
    } else if (1e-3..1e4).contains(&a) {
        let digits = (2 - a.log10().floor() as i32).clamp(0, 6) as usize;
        let s = format!("{v:.digits$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    } else {
        format!("{v:.0e}")
    }
}

pub(super) fn plot_err(path: &Path, e: impl std::fmt::Display) -> EngramError {
    EngramError::Io(format!("cannot render {}: {e}", path.display()))
}
