//! Fonts and formats: the embedded DejaVu Sans, the SVG rasterised to PNG by resvg, and the
//! optional PDF (feature `pdf`).

use std::sync::Once;

use plotters::style::FontStyle;

pub(super) static FONTS: Once = Once::new();

/// Register the embedded DejaVu Sans for "sans-serif" (all styles) once per process.
pub(super) fn register_fonts() {
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

/// Vector PDF of an SVG figure with the embedded DejaVu Sans as the sans-serif family
/// (feature `pdf`).
#[cfg(feature = "pdf")]
pub(super) fn svg_to_pdf(svg: &str) -> std::result::Result<Vec<u8>, String> {
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

/// usvg options with the embedded DejaVu Sans as the sans-serif family.
pub(super) fn usvg_options() -> resvg::usvg::Options<'static> {
    let mut opt = resvg::usvg::Options::default();
    let db = opt.fontdb_mut();
    db.load_font_data(dejavu::sans::regular().to_vec());
    db.load_font_data(dejavu::sans::bold().to_vec());
    db.load_font_data(dejavu::sans::oblique().to_vec());
    db.set_sans_serif_family("DejaVu Sans");
    opt
}

/// Rasterise an SVG (white background) to RGB bytes, row-major.
pub(super) fn rasterise_rgb(svg: &str) -> std::result::Result<Vec<u8>, String> {
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

/// Rasterise an SVG to PNG bytes, with its resolution (`dpi`) in the pHYs chunk, so that a
/// journal's tools read the intended print size (1020 px at 300 dpi = 3.4 in).
pub(super) fn rasterise_png(svg: &str, dpi: u32) -> std::result::Result<Vec<u8>, String> {
    let tree = resvg::usvg::Tree::from_str(svg, &usvg_options()).map_err(|e| e.to_string())?;
    let size = tree.size().to_int_size();
    let rgb = rasterise_rgb(svg)?;
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, size.width(), size.height());
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let per_metre = (dpi as f64 / 0.0254).round() as u32;
        enc.set_pixel_dims(Some(png::PixelDimensions {
            xppu: per_metre,
            yppu: per_metre,
            unit: png::Unit::Meter,
        }));
        let mut w = enc.write_header().map_err(|e| e.to_string())?;
        w.write_image_data(&rgb).map_err(|e| e.to_string())?;
    }
    Ok(out)
}
