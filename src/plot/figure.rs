//! Drawing a [`Figure`]: ranges, axes, curves, cells, the legend placement, and the three
//! output formats.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use super::legend::{
    corner_at, draw_legend, legend_size, FigureAudit, Glyph, Rect, AUDIT, LEGEND_AUDIT,
};
#[cfg(feature = "pdf")]
use super::raster::svg_to_pdf;
use super::raster::{rasterise_png, rasterise_rgb, register_fonts};
use super::*;
use crate::error::Result;
use crate::io::write_atomic;

/// Whether a curve has a point to draw.
fn has_points(c: &Curve) -> bool {
    c.points.iter().any(|p| p.0.is_finite() && p.1.is_finite())
}

/// Two curves drawn the same way through the same points (one hides the other).
fn same_curve(a: &Curve, b: &Curve) -> bool {
    a.style == b.style
        && a.points.len() == b.points.len()
        && a.points.iter().zip(&b.points).all(|(p, q)| {
            (p.0 - q.0).abs() <= 1e-9 * p.0.abs().max(1.0)
                && (p.1 - q.1).abs() <= 1e-9 * p.1.abs().max(1.0)
        })
}

/// Major (labelled) and minor tick positions of a log axis over [lo, hi]: every decade; with
/// fewer than two decades inside also 2 and 5 times a decade (labelled); minors at the other
/// integer multiples.
pub(super) fn log_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let (mut major, mut minor) = (Vec::new(), Vec::new());
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return (major, minor);
    }
    let (k0, k1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let decades = (k0..=k1)
        .filter(|&k| (lo..=hi).contains(&10f64.powi(k)))
        .count();
    for k in k0..=k1 {
        for m in 1..10 {
            let v = m as f64 * 10f64.powi(k);
            if !(lo..=hi).contains(&v) {
                continue;
            }
            if m == 1 || (decades < 2 && (m == 2 || m == 5)) {
                major.push(v);
            } else {
                minor.push(v);
            }
        }
    }
    (major, minor)
}

/// A log-axis tick label in one format per axis: plain for labels in [0.01, 1000], else
/// m×10^{k} with a real superscript.
fn log_label(v: f64, plain: bool) -> String {
    if plain {
        return tick(&v);
    }
    let k = v.log10().floor() as i32;
    let m = (v / 10f64.powi(k)).round() as i32;
    let exp = if k < 0 {
        format!("−{}", -k)
    } else {
        k.to_string()
    };
    if m == 1 {
        format!("10^{{{exp}}}")
    } else {
        format!("{m}×10^{{{exp}}}")
    }
}

/// Whether a log axis over `r` gets plain labels: all its labels inside [0.01, 1000].
fn plain_log_labels(r: std::ops::Range<f64>) -> bool {
    log_ticks(r.start, r.end)
        .0
        .iter()
        .all(|v| (0.01..=1000.0).contains(v))
}

/// Space reserved above the axes (pixels): the subtitle line and a legend that fits no corner.
#[derive(Clone, Copy)]
pub(super) struct Top {
    subtitle: i32,
    bar: i32,
    legend: i32,
}

/// What a drawing pass decided: the legend box, the height a legend above the axes needs (0:
/// it fits a corner, or is drawn), and the axes' share of the canvas width.
pub(super) struct Layout {
    rect: Option<Rect>,
    legend_above: i32,
    axes_fraction: f64,
}

impl Figure {
    /// Data range over curves, vertical lines and cells, padded by 4% (log axes: in log space).
    fn ranges(&self) -> ((f64, f64), (f64, f64)) {
        let mut xs: Vec<f64> = Vec::new();
        let mut ys: Vec<f64> = Vec::new();
        for c in &self.curves {
            for (i, &(x, y, _)) in c.points.iter().enumerate() {
                if x.is_finite() && y.is_finite() {
                    xs.push(x);
                    ys.push(y);
                    if let Some((lo, hi)) = c.bar(i) {
                        ys.extend([lo, hi]);
                    }
                }
            }
        }
        for l in &self.labels {
            xs.push(l.x);
            ys.push(l.y);
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
    ///
    /// A labelled curve drawn exactly under a later one (same style, same points) would be an
    /// invisible legend entry: its label joins the later curve's entry instead.
    pub fn render(&self, stem: &Path) -> Result<Vec<PathBuf>> {
        self.merged_duplicates().render_as_is(stem)
    }

    /// This figure with every labelled curve that a later identical curve covers folded into
    /// that curve's legend label ("A = B").
    fn merged_duplicates(&self) -> Figure {
        let mut fig = self.clone();
        for i in 0..fig.curves.len() {
            if fig.curves[i].label.is_empty() {
                continue;
            }
            if let Some(j) =
                (i + 1..fig.curves.len()).find(|&j| same_curve(&fig.curves[i], &fig.curves[j]))
            {
                let label = std::mem::take(&mut fig.curves[i].label);
                let later = &mut fig.curves[j].label;
                *later = if later.is_empty() {
                    label
                } else {
                    format!("{label} = {later}")
                };
            }
        }
        fig
    }

    fn render_as_is(&self, stem: &Path) -> Result<Vec<PathBuf>> {
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
            let (svg, rect, axes) = self.svg(size, true).map_err(|e| plot_err(&path, e))?;
            let png = rasterise_png(&svg, size.dpi).map_err(|e| plot_err(&path, e))?;
            write_atomic(&path, &png)?;
            written.push(path.clone());
            if size.w == PAPER.w {
                if LEGEND_AUDIT.load(Ordering::Relaxed) {
                    let n = match rect {
                        Some(r) => self.ink_under(size, r).map_err(|e| plot_err(&path, e))?,
                        None => 0,
                    };
                    AUDIT.lock().expect("audit lock").push(FigureAudit {
                        png: path.clone(),
                        ink_under_legend: n,
                        axes_fraction: axes,
                        bars: self.bar_extent(),
                        colour_bar: self.colour_bar.is_some(),
                        hidden_entries: self.hidden_entries(),
                        log_majors: {
                            let ((x0, x1), (y0, y1)) = self.ranges();
                            [(self.x_log, x0, x1), (self.y_log, y0, y1)]
                                .iter()
                                .filter(|a| a.0)
                                .map(|a| log_ticks(a.1, a.2).0.len())
                                .min()
                        },
                        cell_colours: {
                            let mut c: Vec<(u8, u8, u8)> =
                                self.cells.iter().map(|c| c.rgb).collect();
                            c.sort();
                            c.dedup();
                            c.len()
                        },
                    });
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
    ///
    /// The axes keep their size: a subtitle, and a legend that fits no corner of the axes, go
    /// above them on a taller canvas (the legend in as many columns as the width holds).
    fn svg(
        &self,
        size: Size,
        legend: bool,
    ) -> std::result::Result<(String, Option<Rect>, f64), String> {
        let pass = |size: Size, top: Top| -> std::result::Result<(String, Layout), String> {
            let mut svg = String::new();
            let layout;
            {
                let root = SVGBackend::with_string(&mut svg, (size.w, size.h)).into_drawing_area();
                layout = self.draw(&root, size, legend, top)?;
                root.present().map_err(|e| e.to_string())?;
            }
            Ok((svg, layout))
        };
        let subtitle = if self.subtitle.is_empty() {
            0
        } else {
            (size.tick * 1.4).ceil() as i32
        };
        let bar = if self.colour_bar.is_some() {
            (size.tick * 2.6).ceil() as i32
        } else {
            0
        };
        let mut top = Top {
            subtitle,
            bar,
            legend: 0,
        };
        let grown = |top: Top| Size {
            h: size.h + (top.subtitle + top.bar + top.legend) as u32,
            ..size
        };
        let (mut svg, mut layout) = pass(grown(top), top)?;
        if layout.legend_above > 0 {
            top.legend = layout.legend_above;
            (svg, layout) = pass(grown(top), top)?;
        }
        Ok((markup_to_svg(&svg), layout.rect, layout.axes_fraction))
    }

    /// Pixels of data ink (not white) inside `rect` in the drawing without its legend: 0 means
    /// the legend hides no marker, error bar or line.
    fn ink_under(&self, size: Size, rect: Rect) -> std::result::Result<usize, String> {
        let (svg, _, _) = self.svg(size, false)?;
        let pix = rasterise_rgb(&svg)?;
        let (x0, y0, x1, y1) = rect;
        let h = (pix.len() / 3 / size.w as usize) as i32;
        let mut n = 0;
        for y in y0.max(0)..y1.min(h) {
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

    /// The lowest and highest end of any error bar (for the audit that probability bars stay
    /// inside [0, 1]).
    fn bar_extent(&self) -> Option<(f64, f64)> {
        let mut ext: Option<(f64, f64)> = None;
        for c in &self.curves {
            for i in 0..c.points.len() {
                if let Some((lo, hi)) = c.bar(i) {
                    ext = Some(match ext {
                        Some((a, b)) => (a.min(lo), b.max(hi)),
                        None => (lo, hi),
                    });
                }
            }
        }
        ext
    }

    /// The colour bar in the band starting at `y` above the axes (which span `x0 .. x0 + aw`):
    /// its label on the left, the gradient strip, and the end values under the strip.
    fn draw_colour_bar<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
        size: Size,
        cb: &ColourBar,
        (x0, aw): (i32, i32),
        y: i32,
    ) -> std::result::Result<(), String> {
        use plotters::style::text_anchor::{HPos, Pos, VPos};
        let err = |e: &dyn std::fmt::Display| e.to_string();
        let font: TextStyle = ("sans-serif", size.tick * 0.8).into_font().into();
        let (lw, _) = root
            .estimate_text_size(&cb.label, &font)
            .map_err(|e| err(&e))?;
        let strip_h = (size.tick * 0.7) as i32;
        let (sx0, sx1) = (x0 + lw as i32 + 20, x0 + aw - 10);
        root.draw_text(
            &cb.label,
            &font.pos(Pos::new(HPos::Left, VPos::Center)),
            (x0, y + strip_h / 2),
        )
        .map_err(|e| err(&e))?;
        let (Some(&(lo, _)), Some(&(hi, _))) = (cb.stops.first(), cb.stops.last()) else {
            return Ok(());
        };
        let n = cb.stops.len();
        let colour_at = |v: f64| -> RGBColor {
            // linear between the two stops around v (a single stop: its colour)
            let k = cb.stops.partition_point(|s| s.0 < v).clamp(1, n.max(2) - 1);
            let (a, b) = (cb.stops[k - 1], cb.stops[k.min(n - 1)]);
            let t = if b.0 > a.0 {
                ((v - a.0) / (b.0 - a.0)).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let mix = |p: u8, q: u8| (p as f64 + (q as f64 - p as f64) * t).round() as u8;
            RGBColor(
                mix(a.1 .0, b.1 .0),
                mix(a.1 .1, b.1 .1),
                mix(a.1 .2, b.1 .2),
            )
        };
        let steps = 64;
        for i in 0..steps {
            let xa = sx0 + (sx1 - sx0) * i / steps;
            let xb = sx0 + (sx1 - sx0) * (i + 1) / steps;
            let v = lo + (hi - lo) * (i as f64 + 0.5) / steps as f64;
            root.draw(&Rectangle::new(
                [(xa, y), (xb, y + strip_h)],
                colour_at(v).filled(),
            ))
            .map_err(|e| err(&e))?;
        }
        root.draw(&Rectangle::new(
            [(sx0, y), (sx1, y + strip_h)],
            BLACK.stroke_width(1),
        ))
        .map_err(|e| err(&e))?;
        for (x, v, h) in [(sx0, lo, HPos::Left), (sx1, hi, HPos::Right)] {
            root.draw_text(
                &tick(&v),
                &font.pos(Pos::new(h, VPos::Top)),
                (x, y + strip_h + 4),
            )
            .map_err(|e| err(&e))?;
        }
        Ok(())
    }

    /// Labels of legend entries whose curve cannot be seen: covered by a later curve drawn in
    /// the same style through the same points ([`Figure::render`] merges those, so the audit
    /// expects none; curves without points get no entry at all).
    fn hidden_entries(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, c) in self.curves.iter().enumerate() {
            if c.label.is_empty() || !has_points(c) {
                continue;
            }
            if self.curves[i + 1..].iter().any(|d| same_curve(c, d)) {
                out.push(c.label.clone());
            }
        }
        out
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
            // a curve with nothing to draw has no legend entry
            if !c.label.is_empty() && has_points(c) {
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
            }
            if c.style == Style::Points {
                for i in 0..c.points.len() {
                    let p = c.points[i];
                    let Some((blo, bhi)) = c.bar(i) else { continue };
                    if !(p.0.is_finite() && p.1.is_finite()) {
                        continue;
                    }
                    let (lo, hi) = (px(p.0, blo), px(p.0, bhi));
                    for y in (hi.1.min(lo.1)..=hi.1.max(lo.1)).step_by(4) {
                        ink.push((lo.0, y));
                    }
                }
            }
        }
        for l in &self.labels {
            let (x, y) = px(l.x, l.y);
            let half = (size.tick * 0.4 * l.text.chars().count() as f64 / 2.0) as i32;
            for dx in (-half..=half).step_by(4) {
                ink.push((x + dx, y));
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
        top: Top,
    ) -> std::result::Result<Layout, String> {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let ((x0, x1), (y0, y1)) = self.ranges();
        // log axes: a label at every decade (and at 2 and 5 when the range spans less than two
        // decades), minor ticks at the other integers times a power of ten
        let lx = || (x0..x1).log_scale().with_key_points(log_ticks(x0, x1).0);
        let ly = || (y0..y1).log_scale().with_key_points(log_ticks(y0, y1).0);
        match (self.x_log, self.y_log) {
            (false, false) => self.draw_in(root, size, &|| x0..x1, &|| y0..y1, legend, top),
            (true, false) => self.draw_in(root, size, &lx, &|| y0..y1, legend, top),
            (false, true) => self.draw_in(root, size, &|| x0..x1, &ly, legend, top),
            (true, true) => self.draw_in(root, size, &lx, &ly, legend, top),
        }
    }

    /// Draw with the axes' coordinates made by `xr` and `yr` (called once per layout pass).
    fn draw_in<DB, XR, YR>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
        size: Size,
        xr: &dyn Fn() -> XR,
        yr: &dyn Fn() -> YR,
        legend: bool,
        top: Top,
    ) -> std::result::Result<Layout, String>
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
        let entries = self.legend_entries();
        let legend_font: TextStyle = ("sans-serif", size.tick * 0.85).into_font().into();
        let (bw, bh, line_h) = legend_size(root, &entries, &legend_font, 1)?;
        let margin = size.font as i32 / 2;
        let build = || {
            ChartBuilder::on(root)
                .margin(margin as u32)
                .margin_top((margin + top.subtitle + top.bar + top.legend) as u32)
                .x_label_area_size((size.font * 2.2) as u32)
                .y_label_area_size((size.font * 3.5) as u32)
                .build_cartesian_2d(xr(), yr())
                .map_err(|e| err(&e))
        };
        // where the legend goes: the corner covering the least data, else above the axes
        let mut placement = None;
        if !entries.is_empty() {
            let probe = build()?;
            let (corner, covered) = self.best_corner(&probe, size, bw, bh);
            placement = Some(if covered == 0 { Some(corner) } else { None });
        }
        let mut chart = build()?;
        let (x_plain, y_plain) = (
            plain_log_labels(chart.x_range()),
            plain_log_labels(chart.y_range()),
        );
        let x_log_fmt = |v: &f64| log_label(*v, x_plain);
        let y_log_fmt = |v: &f64| log_label(*v, y_plain);
        let xf: &dyn Fn(&f64) -> String = if self.x_log { &x_log_fmt } else { &tick };
        let yf: &dyn Fn(&f64) -> String = if self.y_log { &y_log_fmt } else { &tick };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .axis_desc_style(label_font.clone())
            .label_style(tick_font.clone())
            .x_labels(6)
            .y_labels(6)
            .x_label_formatter(xf)
            .y_label_formatter(yf)
            .axis_style(BLACK.stroke_width(2))
            .draw()
            .map_err(|e| err(&e))?;
        // minor ticks of log axes, drawn outward like plotters' major ones (half their length)
        {
            let area = chart.plotting_area();
            let (aw, ah) = area.dim_in_pixel();
            let base = area.get_base_pixel();
            let minor = BLACK.stroke_width(2);
            let len = (size.tick / 5.0) as i32;
            if self.x_log {
                let r = chart.x_range();
                for m in log_ticks(r.start, r.end).1 {
                    let (px, _) = chart.backend_coord(&(m, chart.y_range().start));
                    if px >= base.0 && px <= base.0 + aw as i32 {
                        let yb = base.1 + ah as i32;
                        root.draw(&PathElement::new([(px, yb), (px, yb + len)], minor))
                            .map_err(|e| err(&e))?;
                    }
                }
            }
            if self.y_log {
                let r = chart.y_range();
                for m in log_ticks(r.start, r.end).1 {
                    let (_, py) = chart.backend_coord(&(chart.x_range().start, m));
                    if py >= base.1 && py <= base.1 + ah as i32 {
                        root.draw(&PathElement::new([(base.0 - len, py), (base.0, py)], minor))
                            .map_err(|e| err(&e))?;
                    }
                }
            }
        }
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
                Style::Line => {
                    chart
                        .draw_series(LineSeries::new(
                            pts.iter().map(|p| (p.0, p.1)),
                            col.stroke_width(lw),
                        ))
                        .map_err(|e| err(&e))?;
                }
                Style::Dashed => {
                    chart
                        .draw_series(DashedLineSeries::new(
                            pts.iter().map(|p| (p.0, p.1)),
                            (4 * lw) as i32,
                            (2 * lw) as i32,
                            col.stroke_width(lw),
                        ))
                        .map_err(|e| err(&e))?;
                }
                Style::Points => {
                    let bars: Vec<(f64, f64, f64, f64)> = (0..c.points.len())
                        .filter(|&i| c.points[i].0.is_finite() && c.points[i].1.is_finite())
                        .filter_map(|i| {
                            c.bar(i)
                                .map(|(lo, hi)| (c.points[i].0, lo, c.points[i].1, hi))
                        })
                        .collect();
                    // a bar and its two caps, drawn by hand (plotters' ErrorBar adds a ring at
                    // the centre that the legend's dot does not show); a bar shorter than the
                    // marker would hide under it, so those are drawn over the marker in black
                    let style = col.stroke_width(lw.max(2) - 1);
                    let cap = (3 * size.marker / 2) as i32;
                    let segs = |x: f64, lo: f64, hi: f64| {
                        let (a, b) = (chart.backend_coord(&(x, lo)), chart.backend_coord(&(x, hi)));
                        let short = (a.1 - b.1).abs() < 2 * size.marker as i32 + 2;
                        let c = if short { size.marker as i32 } else { cap };
                        (
                            short,
                            [
                                [a, b],
                                [(a.0 - c, a.1), (a.0 + c, a.1)],
                                [(b.0 - c, b.1), (b.0 + c, b.1)],
                            ],
                        )
                    };
                    let segments: Vec<_> =
                        bars.iter().map(|&(x, lo, _, hi)| segs(x, lo, hi)).collect();
                    for (short, ss) in segments.iter().copied() {
                        if !short {
                            for seg in ss {
                                root.draw(&PathElement::new(seg, style))
                                    .map_err(|e| err(&e))?;
                            }
                        }
                    }
                    chart
                        .draw_series(
                            pts.iter()
                                .map(|p| Circle::new((p.0, p.1), size.marker, col.filled())),
                        )
                        .map_err(|e| err(&e))?;
                    for (short, ss) in segments {
                        if short {
                            for seg in ss {
                                root.draw(&PathElement::new(seg, BLACK.stroke_width(2)))
                                    .map_err(|e| err(&e))?;
                            }
                        }
                    }
                }
            };
        }
        let label_style: TextStyle = ("sans-serif", size.tick).into_font().into();
        let centred = label_style.pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Center,
        ));
        for l in &self.labels {
            let at = chart.backend_coord(&(l.x, l.y));
            root.draw_text(&l.text, &centred, at).map_err(|e| err(&e))?;
        }
        let area = chart.plotting_area();
        let (aw, ah) = area.dim_in_pixel();
        let base = area.get_base_pixel();
        if !self.subtitle.is_empty() {
            // shrink a subtitle that would not fit the canvas width
            let mut font = size.tick * 0.9;
            let probe: TextStyle = ("sans-serif", font).into_font().into();
            let (tw, _) = root
                .estimate_text_size(&self.subtitle, &probe)
                .map_err(|e| err(&e))?;
            let room = size.w as f64 - 2.0 * margin as f64;
            let mut half = tw as i32 / 2;
            if tw as f64 > room {
                font *= room / tw as f64;
                half = room as i32 / 2;
            }
            // centred over the axes, kept inside the canvas
            let cx = (base.0 + aw as i32 / 2).clamp(margin + half, size.w as i32 - margin - half);
            let sub: TextStyle = ("sans-serif", font).into_font().into();
            let sub = sub.pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Center,
                plotters::style::text_anchor::VPos::Center,
            ));
            root.draw_text(&self.subtitle, &sub, (cx, margin + top.subtitle / 2))
                .map_err(|e| err(&e))?;
        }
        if let Some(cb) = &self.colour_bar {
            self.draw_colour_bar(root, size, cb, (base.0, aw as i32), margin + top.subtitle)?;
        }
        let axes_fraction = aw as f64 / size.w as f64;
        let Some(placement) = placement else {
            return Ok(Layout {
                rect: None,
                legend_above: 0,
                axes_fraction,
            });
        };
        let (lx, ly, cols, (bw, bh)) = match placement {
            Some(c) => {
                let (x, y) = corner_at(c, (aw, ah), bw, bh);
                (base.0 + x, base.1 + y, 1, (bw, bh))
            }
            None => {
                // above the axes, in as many columns as the axes' width holds
                let entry_w = bw - 10;
                let cols = ((aw as i32 - 10) / entry_w).clamp(1, entries.len().max(1) as i32);
                let (w, h, _) = legend_size(root, &entries, &legend_font, cols as usize)?;
                if top.legend == 0 {
                    return Ok(Layout {
                        rect: None,
                        legend_above: h + margin / 2,
                        axes_fraction,
                    });
                }
                (
                    base.0 + (aw as i32 - w) / 2,
                    margin + top.subtitle + top.bar,
                    cols as usize,
                    (w, h),
                )
            }
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
                (line_h, cols),
            )?;
        }
        Ok(Layout {
            rect: Some((lx, ly, lx + bw, ly + bh)),
            legend_above: 0,
            axes_fraction,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{log_label, log_ticks};

    /// A log axis is labelled at every decade it spans (and at 2 and 5 within less than two
    /// decades), with minor ticks at the other integer multiples, in one format.
    #[test]
    fn log_axes_get_every_decade() {
        let near = |v: &[f64], x: f64| v.iter().any(|y| (y / x - 1.0).abs() < 1e-12);
        let (major, minor) = log_ticks(2e-3, 0.5);
        assert!(major.len() == 2 && near(&major, 1e-2) && near(&major, 0.1));
        // 2e-3 … 9e-3, 2e-2 … 9e-2, 0.2 … 0.5
        assert!(near(&minor, 2e-3) && near(&minor, 0.3) && minor.len() == 8 + 8 + 4);
        let (major, _) = log_ticks(3e-5, 2.0);
        assert_eq!(major.len(), 5); // 1e-4 … 1
        let (major, minor) = log_ticks(1.2, 18.0);
        assert!(major.len() == 3 && near(&major, 2.0) && near(&major, 5.0) && near(&major, 10.0));
        assert_eq!(minor.len(), 6); // 3, 4, 6, 7, 8, 9
                                    // one format per axis: plain inside [0.01, 1000], powers of ten outside
        assert_eq!(log_label(0.01, true), "0.01");
        assert_eq!(log_label(1e-4, false), "10^{−4}");
        assert_eq!(log_label(2e5, false), "2×10^{5}");
    }
}
