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
//! segments, cells), else outside the axes on the right;
//! legend entries carry the marker or dash of their curves.
//!
//! Two sizes: `paper` (3.4 in × 2.55 in at 300 dpi, a two-column figure) written as
//! `<stem>.png` and `<stem>.svg` (and `<stem>.pdf` with the `pdf` feature), and `talk`
//! (1600 × 1200 px) written as `<stem>_talk.png`.
//! Every file is written atomically.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};

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

    /// Render `<stem>.png`, `<stem>.svg` (paper size) and `<stem>_talk.png` (and `<stem>.pdf`
    /// with the `pdf` feature); returns the paths. The PNGs are the SVG drawing rasterised.
    pub fn render(&self, stem: &Path) -> Result<Vec<PathBuf>> {
        register_fonts();
        let mut written = Vec::new();
        let with_ext = |suffix: &str| {
            let mut s = stem.as_os_str().to_owned();
            s.push(suffix);
            PathBuf::from(s)
        };
        let mut paper_svg = String::new();
        for (size, suffix) in [(PAPER, ".png"), (TALK, "_talk.png")] {
            let path = with_ext(suffix);
            let (svg, rect) = self.svg(size, true).map_err(|e| plot_err(&path, e))?;
            let png = rasterise_png(&svg).map_err(|e| plot_err(&path, e))?;
            write_atomic(&path, &png)?;
            written.push(path.clone());
            if size.w == PAPER.w {
                if LEGEND_AUDIT.load(Ordering::Relaxed) {
                    let n = match rect {
                        Some(r) => self.ink_under(size, r).map_err(|e| plot_err(&path, e))?,
                        None => 0,
                    };
                    AUDIT.lock().expect("audit lock").push((path.clone(), n));
                }
                paper_svg = svg;
            }
        }
        let path = with_ext(".svg");
        write_atomic(&path, paper_svg.as_bytes())?;
        written.push(path);
        #[cfg(feature = "pdf")]
        {
            let path = with_ext(".pdf");
            write_atomic(
                &path,
                &svg_to_pdf(&paper_svg).map_err(|e| plot_err(&path, e))?,
            )?;
            written.push(path);
        }
        Ok(written)
    }

    /// The SVG drawing at `size` (markup expanded) and the legend box in pixels, if any.
    fn svg(&self, size: Size, legend: bool) -> std::result::Result<(String, Option<Rect>), String> {
        let mut svg = String::new();
        let rect;
        {
            let root = SVGBackend::with_string(&mut svg, (size.w, size.h)).into_drawing_area();
            rect = self.draw(&root, size, legend)?;
            root.present().map_err(|e| e.to_string())?;
        }
        Ok((markup_to_svg(&svg), rect))
    }

    /// Pixels of data ink (not white) inside `rect` in the drawing without its legend: 0 means
    /// the legend hides no marker, error bar or line.
    fn ink_under(&self, size: Size, rect: Rect) -> std::result::Result<usize, String> {
        let (svg, _) = self.svg(size, false)?;
        let pix = rasterise_rgb(&svg)?;
        let (x0, y0, x1, y1) = rect;
        let mut n = 0;
        for y in y0.max(0)..y1.min(size.h as i32) {
            for x in x0.max(0)..x1.min(size.w as i32) {
                let i = 3 * (y as usize * size.w as usize + x as usize);
                // antialiasing fringes of far-away strokes stay near white
                if pix[i] < 200 || pix[i + 1] < 200 || pix[i + 2] < 200 {
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// Legend entries in drawing order: cell colours, vertical lines, curves.
    fn legend_entries(&self) -> Vec<(String, Glyph)> {
        let mut v: Vec<(String, Glyph)> = self
            .cell_legend
            .iter()
            .map(|(l, (r, g, b))| (l.clone(), Glyph::Fill(RGBColor(*r, *g, *b))))
            .collect();
        for l in &self.vlines {
            if !l.label.is_empty() {
                v.push((
                    l.label.clone(),
                    Glyph::Dashed(PALETTE[l.color % PALETTE.len()]),
                ));
            }
        }
        for c in &self.curves {
            if !c.label.is_empty() {
                let col = PALETTE[c.color % PALETTE.len()];
                v.push((
                    c.label.clone(),
                    match c.style {
                        Style::Line => Glyph::Line(col),
                        Style::Dashed => Glyph::Dashed(col),
                        Style::Points => Glyph::Marker(col),
                    },
                ));
            }
        }
        v
    }

    /// The corner (preferred first) whose legend box of (bw, bh) pixels covers the fewest data
    /// samples (markers, error bars, line segments every 4 px, cells, vertical lines), and that
    /// count.
    fn best_corner<DB, X, Y>(
        &self,
        chart: &ChartContext<DB, Cartesian2d<X, Y>>,
        size: Size,
        bw: i32,
        bh: i32,
    ) -> (Legend, usize)
    where
        DB: DrawingBackend,
        X: Ranged<ValueType = f64>,
        Y: Ranged<ValueType = f64>,
    {
        let area = chart.plotting_area();
        let (aw, ah) = area.dim_in_pixel();
        let base = area.get_base_pixel();
        let px = |x: f64, y: f64| {
            let (u, v) = chart.backend_coord(&(x, y));
            (u - base.0, v - base.1)
        };
        let mut ink: Vec<(i32, i32)> = Vec::new();
        for c in &self.curves {
            let pts: Vec<&(f64, f64, f64)> = c
                .points
                .iter()
                .filter(|p| p.0.is_finite() && p.1.is_finite())
                .collect();
            if c.style != Style::Points {
                for w in pts.windows(2) {
                    let (a, b) = (px(w[0].0, w[0].1), px(w[1].0, w[1].1));
                    let steps = ((b.0 - a.0).abs().max((b.1 - a.1).abs()) / 4).max(1);
                    for k in 0..=steps {
                        let t = k as f64 / steps as f64;
                        ink.push((
                            a.0 + ((b.0 - a.0) as f64 * t) as i32,
                            a.1 + ((b.1 - a.1) as f64 * t) as i32,
                        ));
                    }
                }
            }
            for p in pts {
                ink.push(px(p.0, p.1));
                if c.style == Style::Points && p.2 > 0.0 {
                    let (lo, hi) = (px(p.0, p.1 - p.2), px(p.0, p.1 + p.2));
                    for y in (hi.1.min(lo.1)..=hi.1.max(lo.1)).step_by(4) {
                        ink.push((lo.0, y));
                    }
                }
            }
        }
        for v in &self.vlines {
            let (x, _) = px(v.x, 0.0);
            for y in (0..ah as i32).step_by(4) {
                ink.push((x, y));
            }
        }
        for c in &self.cells {
            let (a, b) = (px(c.x0, c.y0), px(c.x1, c.y1));
            for x in (a.0.min(b.0)..=a.0.max(b.0)).step_by(4) {
                for y in (a.1.min(b.1)..=a.1.max(b.1)).step_by(4) {
                    ink.push((x, y));
                }
            }
        }
        let pad = size.marker as i32 + size.line as i32;
        let all = [
            Legend::UpperRight,
            Legend::UpperLeft,
            Legend::LowerRight,
            Legend::LowerLeft,
            Legend::MiddleRight,
            Legend::MiddleLeft,
            Legend::UpperMiddle,
            Legend::LowerMiddle,
        ];
        std::iter::once(self.legend)
            .chain(all.into_iter().filter(|c| *c != self.legend))
            .map(|c| {
                let (x, y) = corner_at(c, (aw, ah), bw, bh);
                let n = ink
                    .iter()
                    .filter(|p| {
                        p.0 >= x - pad
                            && p.0 <= x + bw + pad
                            && p.1 >= y - pad
                            && p.1 <= y + bh + pad
                    })
                    .count();
                (c, n)
            })
            .min_by_key(|(_, n)| *n)
            .unwrap_or((self.legend, 0))
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
        size: Size,
        legend: bool,
    ) -> std::result::Result<Option<Rect>, String> {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let ((x0, x1), (y0, y1)) = self.ranges();
        match (self.x_log, self.y_log) {
            (false, false) => self.draw_in(root, size, x0..x1, y0..y1, legend),
            (true, false) => self.draw_in(root, size, (x0..x1).log_scale(), y0..y1, legend),
            (false, true) => self.draw_in(root, size, x0..x1, (y0..y1).log_scale(), legend),
            (true, true) => self.draw_in(
                root,
                size,
                (x0..x1).log_scale(),
                (y0..y1).log_scale(),
                legend,
            ),
        }
    }

    fn draw_in<DB, XR, YR>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
        size: Size,
        xr: XR,
        yr: YR,
        legend: bool,
    ) -> std::result::Result<Option<Rect>, String>
    where
        DB: DrawingBackend,
        XR: AsRangedCoord<Value = f64> + Clone,
        YR: AsRangedCoord<Value = f64> + Clone,
        XR::CoordDescType: ValueFormatter<f64>,
        YR::CoordDescType: ValueFormatter<f64>,
    {
        let err = |e: &dyn std::fmt::Display| e.to_string();
        let label_font = ("sans-serif", size.font).into_font();
        let tick_font = ("sans-serif", size.tick).into_font();
        let entries = self.legend_entries();
        let legend_font: TextStyle = ("sans-serif", size.tick * 0.85).into_font().into();
        let (bw, bh, line_h) = legend_size(root, &entries, &legend_font)?;
        let build = |right: u32| {
            ChartBuilder::on(root)
                .margin(size.font as u32 / 2)
                .margin_right(size.font as u32 / 2 + right)
                .x_label_area_size((size.font * 2.2) as u32)
                .y_label_area_size((size.font * 3.5) as u32)
                .build_cartesian_2d(xr.clone(), yr.clone())
                .map_err(|e| err(&e))
        };
        // where the legend goes: the corner covering the least data, or outside on the right
        let mut placement = None;
        if !entries.is_empty() {
            let probe = build(0)?;
            let (corner, covered) = self.best_corner(&probe, size, bw, bh);
            placement = Some(if covered == 0 { Some(corner) } else { None });
        }
        let outside = matches!(placement, Some(None));
        let mut chart = build(if outside { (bw + 20) as u32 } else { 0 })?;
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
        for v in &self.vlines {
            let col = PALETTE[v.color % PALETTE.len()];
            let (ylo, yhi) = {
                let r = chart.y_range();
                (r.start, r.end)
            };
            chart
                .draw_series(DashedLineSeries::new(
                    [(v.x, ylo), (v.x, yhi)],
                    (3 * lw) as i32,
                    (2 * lw) as i32,
                    col.stroke_width(lw),
                ))
                .map_err(|e| err(&e))?;
        }
        for c in &self.curves {
            let col = PALETTE[c.color % PALETTE.len()];
            let pts: Vec<(f64, f64, f64)> = c
                .points
                .iter()
                .copied()
                .filter(|p| p.0.is_finite() && p.1.is_finite())
                .collect();
            match c.style {
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
        }
        let Some(placement) = placement else {
            return Ok(None);
        };
        let area = chart.plotting_area();
        let (aw, ah) = area.dim_in_pixel();
        let base = area.get_base_pixel();
        let (lx, ly) = match placement {
            Some(c) => {
                let (x, y) = corner_at(c, (aw, ah), bw, bh);
                (base.0 + x, base.1 + y)
            }
            None => (base.0 + aw as i32 + 12, base.1 + 5),
        };
        // without `legend` the same layout is drawn without the box (the legend audit)
        if legend {
            draw_legend(
                root,
                &entries,
                &legend_font,
                size,
                (lx, ly),
                (bw, bh),
                line_h,
            )?;
        }
        Ok(Some((lx, ly, lx + bw, ly + bh)))
    }
}

/// How a legend entry is drawn: like its curve.
#[derive(Clone, Copy)]
enum Glyph {
    Line(RGBColor),
    Dashed(RGBColor),
    Marker(RGBColor),
    Fill(RGBColor),
}

/// Width, height and line height of the legend box (glyph slot 40 px, margins 10 px).
fn legend_size<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    entries: &[(String, Glyph)],
    font: &TextStyle,
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
    Ok((w + 40 + 20, line_h * entries.len() as i32 + 20, line_h))
}

/// Top-left corner of a legend box of size (bw, bh) in a plotting area of `dim` pixels.
fn corner_at(c: Legend, dim: (u32, u32), bw: i32, bh: i32) -> (i32, i32) {
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
fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    entries: &[(String, Glyph)],
    font: &TextStyle,
    size: Size,
    at: (i32, i32),
    (bw, bh): (i32, i32),
    line_h: i32,
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
    for (k, (label, glyph)) in entries.iter().enumerate() {
        let cy = y + 10 + line_h * k as i32 + line_h / 2;
        let gx = x + 10;
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
        root.draw_text(label, &style, (x + 50, cy))
            .map_err(|x| e(&x))?;
    }
    Ok(())
}

/// A legend box in absolute pixels (x0, y0, x1, y1).
type Rect = (i32, i32, i32, i32);

/// Whether [`Figure::render`] records the data ink under each legend (for tests).
static LEGEND_AUDIT: AtomicBool = AtomicBool::new(false);
static AUDIT: Mutex<Vec<(PathBuf, usize)>> = Mutex::new(Vec::new());

/// Turn on the legend audit: every paper-size figure rendered from now on also renders
/// without its legend and counts the non-white pixels inside the legend box.
pub fn set_legend_audit(on: bool) {
    LEGEND_AUDIT.store(on, Ordering::Relaxed);
}

/// The audit so far: (PNG path, data pixels under its legend), and clear it.
pub fn take_legend_audit() -> Vec<(PathBuf, usize)> {
    std::mem::take(&mut *AUDIT.lock().expect("audit lock"))
}

/// Expand the label markup `_{…}` (subscript) and `^{…}` (superscript) in the text of an SVG
/// into `tspan`s with a baseline shift and a 70% font size. Text without markup is unchanged.
pub fn markup_to_svg(svg: &str) -> String {
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    loop {
        let next = [rest.find("_{"), rest.find("^{")]
            .into_iter()
            .flatten()
            .min();
        let Some(i) = next else {
            out.push_str(rest);
            return out;
        };
        let Some(close) = rest[i + 2..].find('}') else {
            out.push_str(rest);
            return out;
        };
        let shift = if rest.as_bytes()[i] == b'_' {
            "sub"
        } else {
            "super"
        };
        out.push_str(&rest[..i]);
        out.push_str(&format!(
            "<tspan baseline-shift=\"{shift}\" font-size=\"70%\">{}</tspan>",
            &rest[i + 2..i + 2 + close]
        ));
        rest = &rest[i + 3 + close..];
    }
}

/// usvg options with the embedded DejaVu Sans as the sans-serif family.
fn usvg_options() -> resvg::usvg::Options<'static> {
    let mut opt = resvg::usvg::Options::default();
    let db = opt.fontdb_mut();
    db.load_font_data(dejavu::sans::regular().to_vec());
    db.load_font_data(dejavu::sans::bold().to_vec());
    db.load_font_data(dejavu::sans::oblique().to_vec());
    db.set_sans_serif_family("DejaVu Sans");
    opt
}

/// Rasterise an SVG (white background) to RGB bytes, row-major.
fn rasterise_rgb(svg: &str) -> std::result::Result<Vec<u8>, String> {
    use resvg::tiny_skia;
    let tree = resvg::usvg::Tree::from_str(svg, &usvg_options()).map_err(|e| e.to_string())?;
    let size = tree.size().to_int_size();
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("empty figure")?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::identity(),
        &mut pixmap.as_mut(),
    );
    // opaque white background: premultiplied RGBA is plain RGBA
    Ok(pixmap
        .data()
        .chunks(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect())
}

/// Rasterise an SVG to PNG bytes.
fn rasterise_png(svg: &str) -> std::result::Result<Vec<u8>, String> {
    let tree = resvg::usvg::Tree::from_str(svg, &usvg_options()).map_err(|e| e.to_string())?;
    let size = tree.size().to_int_size();
    let rgb = rasterise_rgb(svg)?;
    let img = image::RgbImage::from_raw(size.width(), size.height(), rgb).ok_or("bad buffer")?;
    let mut png = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut png),
        image::ImageOutputFormat::Png,
    )
    .map_err(|e| e.to_string())?;
    Ok(png)
}
