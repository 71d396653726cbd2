//! The figure of a finite-size analysis, shared by `engram dam crossing --fss-figure` and the
//! `[validation]` study: crossing series α_{1/2}(N) against N^{−1/2} with their fits and the
//! N → ∞ theory.

use crate::plot::{Curve, Figure, Style};

/// A labelled crossing series: (label, [(N, α½, error)]).
pub type CrossingSeries = (String, Vec<(usize, f64, f64)>);

/// Figure of a finite-size analysis: crossing series α_{1/2}(N) against N^{−1/2} (where the
/// empirical form a + b/√N is a straight line), each fit of the first series drawn as a curve
/// from the largest N to N → ∞ (x = 0), and α₁ as a horizontal line. `series`: (label,
/// [(N, α½, error)]); `fits`: fits of the first series.
pub fn fss_figure(
    series: &[CrossingSeries],
    fits: &[crate::dam::fss::Extrapolation],
    alpha_1: f64,
) -> Figure {
    use crate::dam::fss::FssForm;
    let x = |n: f64| 1.0 / n.sqrt();
    let mut fig = Figure {
        x_label: "N^{−1/2}".into(),
        y_label: "α_{1/2}(N)".into(),
        legend: crate::plot::Legend::LowerLeft,
        ..Default::default()
    };
    let n_min = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.0))
        .min()
        .unwrap_or(2) as f64;
    fig.curves.push(Curve::new(
        format!("α_{{1}} = {alpha_1:.4}"),
        Style::Line,
        6,
        vec![(0.0, alpha_1, 0.0), (x(n_min) * 1.05, alpha_1, 0.0)],
    ));
    for (k, f) in fits.iter().enumerate() {
        // the fit a + b·g(N) drawn on the N^{−1/2} axis, from N = ∞ to the smallest N
        let pts: Vec<(f64, f64, f64)> = (0..=60)
            .map(|i| {
                let t = x(n_min) * i as f64 / 60.0;
                let y = if t == 0.0 {
                    f.a
                } else {
                    f.form.value(f.a, f.b, 1.0 / (t * t))
                };
                (t, y, 0.0)
            })
            .collect();
        let name = match f.form {
            FssForm::InvN => "fit a + b/N",
            FssForm::LogNOverN => "fit a + b ln N/N",
            FssForm::InvSqrtN => "fit a + b/√N",
            FssForm::Fold => "fit a − ln N/N + b/N (fold)",
        };
        fig.curves.push(Curve {
            bars: Vec::new(),
            label: if !f.p_value.is_finite() {
                format!("{name} (through both points)")
            } else if f.p_value < 1e-3 {
                format!("{name} (p = {:.1e})", f.p_value)
            } else {
                format!("{name} (p = {:.3})", f.p_value)
            },
            style: Style::Dashed,
            color: 1 + k,
            points: pts,
        });
    }
    if series.len() > 1 && !fits.is_empty() {
        // say which series the dashed curves were fitted to
        fig.subtitle = format!("dashed: fits to “{}”", series[0].0);
    }
    const SERIES_COLORS: [usize; 3] = [4, 0, 5];
    for (k, (label, pts)) in series.iter().enumerate() {
        fig.curves.push(Curve::new(
            label.clone(),
            Style::Points,
            SERIES_COLORS[k % 3],
            pts.iter().map(|p| (x(p.0 as f64), p.1, p.2)).collect(),
        ));
    }
    fig
}
