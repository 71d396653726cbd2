//! Publication figures with plotters: PNG and SVG, the DejaVu Sans font embedded in the binary
//! (no system fonts needed), Greek letters and subscripts from Unicode, theory as lines and
//! simulation as points with error bars, log axes on request.
//!
//! Two sizes: `paper` (3.4 in × 2.55 in at 300 dpi, a two-column figure) written as
//! `<stem>.png` and `<stem>.svg` (and `<stem>.pdf` with the `pdf` feature), and `talk`
//! (1600 × 1200 px) written as `<stem>_talk.png`.
//! Every file is written atomically.

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::error::{EngramError, Result};
use crate::io::write_atomic;

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
}

#[derive(Clone, Copy)]
struct Size {
    w: u32,
    h: u32,
    font: f64,
    tick: f64,
    line: u32,
    marker: u32,
}

const PAPER: Size = Size {
    w: 1020,
    h: 765,
    font: 36.0,
    tick: 30.0,
    line: 4,
    marker: 7,
};
const TALK: Size = Size {
    w: 1600,
    h: 1200,
    font: 44.0,
    tick: 36.0,
    line: 5,
    marker: 10,
};

static FONTS: Once = Once::new();

/// Register the embedded DejaVu Sans for "sans-serif" (all styles) once per process.
fn register_fonts() {
    FONTS.call_once(|| {
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold());
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Italic,
            dejavu::sans::oblique(),
        );
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Oblique,
            dejavu::sans::oblique(),
        );
    });
}

/// Tick label: up to 3 significant digits in plain notation for 1e-3 ≤ |v| < 1e4, else
/// scientific with one significant digit (log axes span decades).
fn tick(v: &f64) -> String {
    let a = v.abs();
    if a == 0.0 {
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

/// Vector PDF of an SVG figure with the embedded DejaVu Sans as the sans-serif family
/// (feature `pdf`).
#[cfg(feature = "pdf")]
fn svg_to_pdf(svg: &str) -> std::result::Result<Vec<u8>, String> {
    use svg2pdf::usvg;
    let mut opt = usvg::Options::default();
    let db = opt.fontdb_mut();
    db.load_font_data(dejavu::sans::regular().to_vec());
    db.load_font_data(dejavu::sans::bold().to_vec());
    db.load_font_data(dejavu::sans::oblique().to_vec());
    db.set_sans_serif_family("DejaVu Sans");
    let tree = usvg::Tree::from_str(svg, &opt).map_err(|e| e.to_string())?;
    svg2pdf::to_pdf(
        &tree,
        svg2pdf::ConversionOptions::default(),
        svg2pdf::PageOptions::default(),
    )
    .map_err(|e| e.to_string())
}

fn plot_err(path: &Path, e: impl std::fmt::Display) -> EngramError {
    EngramError::Io(format!("cannot render {}: {e}", path.display()))
}

impl Figure {
    /// Data range over curves, vertical lines and cells, padded by 4% (log axes: in log space).
    fn ranges(&self) -> ((f64, f64), (f64, f64)) {
        let mut xs: Vec<f64> = Vec::new();
        let mut ys: Vec<f64> = Vec::new();
        for c in &self.curves {
            for &(x, y, e) in &c.points {
                if x.is_finite() && y.is_finite() {
                    xs.push(x);
                    ys.push(y - e.max(0.0));
                    ys.push(y + e.max(0.0));
                }
            }
        }
        for v in &self.vlines {
            if v.x.is_finite() {
                xs.push(v.x);
            }
        }
        for c in &self.cells {
            xs.extend([c.x0, c.x1]);
            ys.extend([c.y0, c.y1]);
        }
        let span = |v: &[f64], log: bool, fixed: Option<(f64, f64)>| -> (f64, f64) {
            if let Some(r) = fixed {
                return r;
            }
            let v: Vec<f64> = v.iter().copied().filter(|x| !log || *x > 0.0).collect();
            let (mut lo, mut hi) = v
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                    (a.min(x), b.max(x))
                });
            if !lo.is_finite() || !hi.is_finite() {
                return if log { (0.1, 10.0) } else { (0.0, 1.0) };
            }
            if log {
                let (l, h) = (lo.ln(), hi.ln());
                let pad = 0.04 * (h - l).max(1e-3);
                ((l - pad).exp(), (h + pad).exp())
            } else {
                if hi - lo < 1e-12 {
                    lo -= 0.5;
                    hi += 0.5;
                }
                let pad = 0.04 * (hi - lo);
                (lo - pad, hi + pad)
            }
        };
        (
            span(&xs, self.x_log, self.x_range),
            span(&ys, self.y_log, self.y_range),
        )
    }

    /// Render `<stem>.png`, `<stem>.svg` (paper size) and `<stem>_talk.png`; returns the paths.
    pub fn render(&self, stem: &Path) -> Result<Vec<PathBuf>> {
        register_fonts();
        let mut written = Vec::new();
        let with_ext = |suffix: &str| {
            let mut s = stem.as_os_str().to_owned();
            s.push(suffix);
            PathBuf::from(s)
        };
        for (size, suffix) in [(PAPER, ".png"), (TALK, "_talk.png")] {
            let path = with_ext(suffix);
            let mut buf = vec![255u8; (size.w * size.h * 3) as usize];
            {
                let root =
                    BitMapBackend::with_buffer(&mut buf, (size.w, size.h)).into_drawing_area();
                self.draw(&root, size).map_err(|e| plot_err(&path, e))?;
                root.present().map_err(|e| plot_err(&path, e))?;
            }
            let img = image::RgbImage::from_raw(size.w, size.h, buf)
                .ok_or_else(|| plot_err(&path, "bad buffer"))?;
            let mut png = Vec::new();
            img.write_to(
                &mut std::io::Cursor::new(&mut png),
                image::ImageOutputFormat::Png,
            )
            .map_err(|e| plot_err(&path, e))?;
            write_atomic(&path, &png)?;
            written.push(path);
        }
        let path = with_ext(".svg");
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (PAPER.w, PAPER.h)).into_drawing_area();
            self.draw(&root, PAPER).map_err(|e| plot_err(&path, e))?;
            root.present().map_err(|e| plot_err(&path, e))?;
        }
        write_atomic(&path, svg.as_bytes())?;
        written.push(path);
        #[cfg(feature = "pdf")]
        {
            let path = with_ext(".pdf");
            write_atomic(&path, &svg_to_pdf(&svg).map_err(|e| plot_err(&path, e))?)?;
            written.push(path);
        }
        Ok(written)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
        size: Size,
    ) -> std::result::Result<(), String> {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let ((x0, x1), (y0, y1)) = self.ranges();
        match (self.x_log, self.y_log) {
            (false, false) => self.draw_in(root, size, x0..x1, y0..y1),
            (true, false) => self.draw_in(root, size, (x0..x1).log_scale(), y0..y1),
            (false, true) => self.draw_in(root, size, x0..x1, (y0..y1).log_scale()),
            (true, true) => self.draw_in(root, size, (x0..x1).log_scale(), (y0..y1).log_scale()),
        }
    }

    fn draw_in<DB, XR, YR>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
        size: Size,
        xr: XR,
        yr: YR,
    ) -> std::result::Result<(), String>
    where
        DB: DrawingBackend,
        XR: AsRangedCoord<Value = f64>,
        YR: AsRangedCoord<Value = f64>,
        XR::CoordDescType: ValueFormatter<f64>,
        YR::CoordDescType: ValueFormatter<f64>,
    {
        let err = |e: &dyn std::fmt::Display| e.to_string();
        let label_font = ("sans-serif", size.font).into_font();
        let tick_font = ("sans-serif", size.tick).into_font();
        let mut chart = ChartBuilder::on(root)
            .margin(size.font as u32 / 2)
            .x_label_area_size((size.font * 2.2) as u32)
            .y_label_area_size((size.font * 3.5) as u32)
            .build_cartesian_2d(xr, yr)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .axis_desc_style(label_font.clone())
            .label_style(tick_font.clone())
            .x_labels(6)
            .y_labels(6)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .axis_style(BLACK.stroke_width(2))
            .draw()
            .map_err(|e| err(&e))?;
        let lw = size.line;
        for c in &self.cells {
            let (r, g, b) = c.rgb;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(c.x0, c.y0), (c.x1, c.y1)],
                    RGBColor(r, g, b).filled(),
                )))
                .map_err(|e| err(&e))?;
        }
        for (label, (r, g, b)) in &self.cell_legend {
            let col = RGBColor(*r, *g, *b);
            chart
                .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())
                .map_err(|e| err(&e))?
                .label(label.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 8), (x + 20, y + 8)], col.filled()));
        }
        for v in &self.vlines {
            let col = PALETTE[v.color % PALETTE.len()];
            let (ylo, yhi) = {
                let r = chart.y_range();
                (r.start, r.end)
            };
            let s = chart
                .draw_series(DashedLineSeries::new(
                    [(v.x, ylo), (v.x, yhi)],
                    (3 * lw) as i32,
                    (2 * lw) as i32,
                    col.stroke_width(lw),
                ))
                .map_err(|e| err(&e))?;
            if !v.label.is_empty() {
                s.label(v.label.as_str()).legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 30, y)], col.stroke_width(lw))
                });
            }
        }
        for c in &self.curves {
            let col = PALETTE[c.color % PALETTE.len()];
            let pts: Vec<(f64, f64, f64)> = c
                .points
                .iter()
                .copied()
                .filter(|p| p.0.is_finite() && p.1.is_finite())
                .collect();
            let anno = match c.style {
                Style::Line => chart
                    .draw_series(LineSeries::new(
                        pts.iter().map(|p| (p.0, p.1)),
                        col.stroke_width(lw),
                    ))
                    .map_err(|e| err(&e))?,
                Style::Dashed => chart
                    .draw_series(DashedLineSeries::new(
                        pts.iter().map(|p| (p.0, p.1)),
                        (4 * lw) as i32,
                        (2 * lw) as i32,
                        col.stroke_width(lw),
                    ))
                    .map_err(|e| err(&e))?,
                Style::Points => {
                    chart
                        .draw_series(pts.iter().filter(|p| p.2 > 0.0).map(|p| {
                            ErrorBar::new_vertical(
                                p.0,
                                p.1 - p.2,
                                p.1,
                                p.1 + p.2,
                                col.stroke_width(lw.max(2) - 1),
                                3 * size.marker,
                            )
                        }))
                        .map_err(|e| err(&e))?;
                    chart
                        .draw_series(
                            pts.iter()
                                .map(|p| Circle::new((p.0, p.1), size.marker, col.filled())),
                        )
                        .map_err(|e| err(&e))?
                }
            };
            if !c.label.is_empty() {
                let m = size.marker;
                match c.style {
                    Style::Points => {
                        anno.label(c.label.as_str())
                            .legend(move |(x, y)| Circle::new((x + 15, y), m, col.filled()));
                    }
                    _ => {
                        anno.label(c.label.as_str()).legend(move |(x, y)| {
                            PathElement::new([(x, y), (x + 30, y)], col.stroke_width(lw))
                        });
                    }
                }
            }
        }
        let has_legend = self.curves.iter().any(|c| !c.label.is_empty())
            || self.vlines.iter().any(|v| !v.label.is_empty())
            || !self.cell_legend.is_empty();
        if has_legend {
            chart
                .configure_series_labels()
                .label_font(("sans-serif", size.tick * 0.85).into_font())
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.stroke_width(1))
                .position(match self.legend {
                    Legend::UpperRight => SeriesLabelPosition::UpperRight,
                    Legend::LowerRight => SeriesLabelPosition::LowerRight,
                    Legend::UpperLeft => SeriesLabelPosition::UpperLeft,
                    Legend::LowerLeft => SeriesLabelPosition::LowerLeft,
                })
                .draw()
                .map_err(|e| err(&e))?;
        }
        Ok(())
    }
}
