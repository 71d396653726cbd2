//! Drawing a [`Figure`]: ranges, axes, curves, cells, the legend placement, and the three
//! output formats.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use super::legend::{corner_at, draw_legend, legend_size, Glyph, Rect, AUDIT, LEGEND_AUDIT};
#[cfg(feature = "pdf")]
use super::raster::svg_to_pdf;
use super::raster::{rasterise_png, rasterise_rgb, register_fonts};
use super::*;
use crate::error::Result;
use crate::io::write_atomic;

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
