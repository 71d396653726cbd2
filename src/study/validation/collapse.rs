//! `[[validation.collapse]]`: the diffusion collapse noise, forward (a noised training pattern
//! keeps weight > ½, exact O(P) draws) and backward (reverse SDE with the exact score), against
//! s_C² = 1/(e^{2α} − 1) (Biroli, Bonnaire, de Bortoli, Mézard, Nat. Commun. 2024).

use std::path::{Path, PathBuf};

use crate::dam::fss::FitReport;
use crate::error::Result;
use crate::plot::Legend;
use crate::stats::fmt_num as fmt;

use super::analysis::{
    fit_summary_rows, fss_rows, series_of, summary_row, PointRow, SummaryKey, Tables,
};
use super::{CollapseCheck, Job, JobCx, ValidationPoint, ValidationSection};

impl CollapseCheck {
    /// Check label `collapse:a<α>`.
    pub fn label(&self) -> String {
        format!("collapse:a{}", fmt(self.alpha.0))
    }
    fn forward_ns(&self, quick: bool) -> Vec<usize> {
        super::sizes(Some(&self.n), quick, 2)
    }
    fn backward_ns(&self, quick: bool) -> Vec<usize> {
        super::sizes(self.backward_n.as_ref(), quick, 1)
    }

    /// The forward sizes, then the backward ones.
    pub(super) fn points(
        &self,
        v: &ValidationSection,
        c: usize,
        quick: bool,
        draws: usize,
        trajectories: usize,
        steps: usize,
    ) -> Vec<ValidationPoint> {
        let mut pts = Vec::new();
        for n in self.forward_ns(quick) {
            pts.push(v.point(Job::Forward { check: c, n }, self.label(), None, draws, 0));
        }
        for n in self.backward_ns(quick) {
            let mut p = v.point(
                Job::Backward { check: c, n },
                self.label(),
                None,
                trajectories,
                0,
            );
            p.reverse = Some((self.t_max.0, self.t_min.0, steps));
            pts.push(p);
        }
        pts
    }

    fn row(&self, series: &str, n: usize, (value, err): (f64, f64), count: usize) -> PointRow {
        PointRow {
            count,
            ..PointRow::new(&self.label(), series, "spherical", n, value, err)
                .at(None, Some(self.alpha.0))
        }
    }

    /// Forward collapse s²_{1/2}(N): value, err; count = draws.
    pub(super) fn forward(&self, cx: &JobCx, n: usize) -> Result<PointRow> {
        let JobCx { v, pt, tick } = *cx;
        let (m, err) = crate::diffusion::forward_collapse(n, self.alpha.0, pt.count, v.seed)?;
        for _ in 0..pt.count {
            tick();
        }
        Ok(self.row("forward_s2", n, (m, err), pt.count))
    }

    /// Backward collapse (median s² of condensation): value, err; value2 = p_memorised, err2.
    pub(super) fn backward(&self, cx: &JobCx, n: usize) -> Result<PointRow> {
        let JobCx { v, pt, tick } = *cx;
        let (t_max, t_min, steps) =
            pt.reverse
                .unwrap_or((self.t_max.0, self.t_min.0, self.steps.0));
        let rp = crate::diffusion::ReverseParams {
            n,
            alpha: self.alpha.0,
            samples: pt.count,
            t_max,
            t_min,
            steps,
            seed: v.seed,
        };
        let s = crate::diffusion::reverse_point(&rp, tick)?;
        let mut r = self.row(
            "backward_s2",
            n,
            (s.s2_condensed_median, s.s2_condensed_err),
            rp.samples,
        );
        r.value2 = Some(s.memorised.p);
        r.err2 = Some(s.memorised.err);
        Ok(r)
    }

    pub(super) fn analyse(&self, pts: &[PointRow], out: &mut Tables) -> Result<()> {
        let Tables { fss, summary } = out;
        let label = self.label();
        let theory = crate::diffusion::s2_collapse(self.alpha.0)?;
        for name in ["forward_s2", "backward_s2"] {
            let report = FitReport::new(name, series_of(pts, &label, name), theory);
            fss.extend(fss_rows(&label, &report));
            let key = SummaryKey {
                quantity: "s2_collapse",
                ensemble: "spherical",
                lambda: None,
                rho: None,
                series: name,
            };
            let note = format!("alpha = {}", fmt(self.alpha.0));
            summary.extend(fit_summary_rows(&key, &report, &note));
            if report.fits.is_empty() {
                if let Some(&(n, v, e)) = report.points.last() {
                    summary.push(summary_row(
                        &key,
                        theory,
                        (v, e),
                        None,
                        (n, n),
                        &format!("{note}; largest N without extrapolation"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// `collapse_a<α>`: s²_{1/2}(N) forward and backward with the fits of the forward series.
    pub(super) fn render(&self, dir: &Path, pts: &[PointRow]) -> Result<Vec<PathBuf>> {
        let label = self.label();
        let theory = crate::diffusion::s2_collapse(self.alpha.0)?;
        let fwd = series_of(pts, &label, "forward_s2");
        let bwd = series_of(pts, &label, "backward_s2");
        let fits = FitReport::new("forward_s2", fwd.clone(), theory).extrapolations();
        let series: Vec<crate::study::fss_figure::CrossingSeries> = [
            ("forward: w_{1} = 1/2 (exact draws)".to_string(), fwd),
            ("backward: reverse SDE, median".to_string(), bwd),
        ]
        .into_iter()
        .filter(|s| !s.1.is_empty())
        .collect();
        let mut fig = crate::study::fss_figure::fss_figure(&series, &fits, theory);
        fig.y_label = format!("collapse noise s^{{2}}, α = {}", fmt(self.alpha.0));
        fig.legend = Legend::UpperLeft;
        if let Some(first) = fig.curves.first_mut() {
            first.label = format!("s_{{C}}^{{2}} = 1/(e^{{2α}} − 1) = {theory:.4}");
        }
        fig.render(&dir.join(format!("collapse_a{}", fmt(self.alpha.0))))
    }
}
