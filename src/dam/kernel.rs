//! Tile kernels of the K-target DAM engine ([`super::batch`]): one retrieval step of 16 targets
//! against a block of patterns is an attention forward pass, written as two small matrix
//! products that share one register-blocked micro-kernel.
//!
//! A tile holds [`LANES`] = 16 targets, one per SIMD lane (two 8-lane AVX vectors). With the
//! states stored q-major (`xt[k·16 + r]` = component k of target r) and the weights likewise
//! (`w[j·16 + r]`), both products have the form
//!
//! `C[i][r] = Σ_q A(i, q) · V[q][r]`,   `A(i, q) = a[i·sa + q·sq]`,
//!
//! - logits:  `L[j][r] = λ Σ_k ξ^j_k x^r_k`   (i = pattern j, q = component k: sa = N, sq = 1),
//! - weighted sum: `Acc[c][r] = Σ_j ξ^j_c w^r_j`   (i = component c, q = pattern j: sa = 1, sq = N),
//!
//! and the micro-kernel keeps a 6 × 16 block of C in twelve AVX registers, broadcasting six
//! entries of A per q and loading two vectors of V: 12 FMAs per 8 loads, FMA-bound on cores
//! with two load ports. Per-target quantities never mix across lanes, so a target's arithmetic
//! does not depend on which slot of which tile it occupies (results are independent of threads
//! and tiling). The AVX2/FMA build is chosen at run time; the portable build does the same
//! sums with separate multiply and add (so the two differ by f32 rounding, not more).

/// Targets per tile (SIMD lanes of the tile kernels).
pub const LANES: usize = 16;
/// Rows of C held in registers by the micro-kernel.
const GROUP: usize = 6;

/// C[i·16 + r] = scale · Σ_{q < nq} a[i·sa + q·sq] · v[q·16 + r] for i < ni, r < 16.
///
/// Domain: `a` holds every index read, `v.len() ≥ nq·16`, `c.len() ≥ ni·16`.
#[inline]
#[allow(clippy::too_many_arguments)]
pub fn gemm16(
    a: &[f32],
    sa: usize,
    sq: usize,
    ni: usize,
    nq: usize,
    v: &[f32],
    scale: f32,
    c: &mut [f32],
) {
    assert!(v.len() >= nq * LANES && c.len() >= ni * LANES);
    if ni > 0 && nq > 0 {
        assert!((ni - 1) * sa + (nq - 1) * sq < a.len());
    }
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: AVX2 and FMA are present (checked); bounds were asserted above.
        unsafe { gemm16_avx2(a, sa, sq, ni, nq, v, scale, c) };
        return;
    }
    gemm16_portable(a, sa, sq, ni, nq, v, scale, c);
}

/// Whether the AVX2 + FMA kernels run on this CPU.
#[inline]
pub fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Portable build of [`gemm16`] (multiply, then add; the compiler vectorises the lanes).
#[allow(clippy::too_many_arguments)]
pub fn gemm16_portable(
    a: &[f32],
    sa: usize,
    sq: usize,
    ni: usize,
    nq: usize,
    v: &[f32],
    scale: f32,
    c: &mut [f32],
) {
    for i in 0..ni {
        let mut acc = [0f32; LANES];
        for q in 0..nq {
            let x = a[i * sa + q * sq];
            let vq: &[f32; LANES] = v[q * LANES..(q + 1) * LANES].try_into().expect("16 lanes");
            for r in 0..LANES {
                acc[r] += x * vq[r];
            }
        }
        for r in 0..LANES {
            c[i * LANES + r] = scale * acc[r];
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn gemm16_avx2(
    a: &[f32],
    sa: usize,
    sq: usize,
    ni: usize,
    nq: usize,
    v: &[f32],
    scale: f32,
    c: &mut [f32],
) {
    use std::arch::x86_64::*;
    let (ap, vp, cp) = (a.as_ptr(), v.as_ptr(), c.as_mut_ptr());
    let vs = _mm256_set1_ps(scale);
    let mut i = 0;
    while i + GROUP <= ni {
        let mut acc = [_mm256_setzero_ps(); 2 * GROUP];
        let base = ap.add(i * sa);
        for q in 0..nq {
            let v0 = _mm256_loadu_ps(vp.add(q * LANES));
            let v1 = _mm256_loadu_ps(vp.add(q * LANES + 8));
            let aq = base.add(q * sq);
            for g in 0..GROUP {
                let b = _mm256_broadcast_ss(&*aq.add(g * sa));
                acc[2 * g] = _mm256_fmadd_ps(b, v0, acc[2 * g]);
                acc[2 * g + 1] = _mm256_fmadd_ps(b, v1, acc[2 * g + 1]);
            }
        }
        for g in 0..GROUP {
            let o = cp.add((i + g) * LANES);
            _mm256_storeu_ps(o, _mm256_mul_ps(vs, acc[2 * g]));
            _mm256_storeu_ps(o.add(8), _mm256_mul_ps(vs, acc[2 * g + 1]));
        }
        i += GROUP;
    }
    while i < ni {
        let (mut c0, mut c1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        let base = ap.add(i * sa);
        for q in 0..nq {
            let b = _mm256_broadcast_ss(&*base.add(q * sq));
            c0 = _mm256_fmadd_ps(b, _mm256_loadu_ps(vp.add(q * LANES)), c0);
            c1 = _mm256_fmadd_ps(b, _mm256_loadu_ps(vp.add(q * LANES + 8)), c1);
        }
        let o = cp.add(i * LANES);
        _mm256_storeu_ps(o, _mm256_mul_ps(vs, c0));
        _mm256_storeu_ps(o.add(8), _mm256_mul_ps(vs, c1));
        i += 1;
    }
}

/// One block of the online softmax, per lane r: the block maximum of the logits `l` (rows × 16,
/// −∞ for masked entries), the new running maximum `m`, the factor `scale` = e^{m_old − m_new}
/// for what was accumulated before, the weights e^{l − m} written over `l` (f32), and their sum
/// added to `s` after rescaling. Lanes that have seen only −∞ keep weight 0.
#[inline]
pub fn softmax_block(
    l: &mut [f32],
    m: &mut [f32; LANES],
    s: &mut [f64; LANES],
    scale: &mut [f64; LANES],
) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: AVX2 and FMA are present (checked).
        unsafe { softmax_block_avx2(l, m, s, scale) };
        return;
    }
    softmax_block_body(l, m, s, scale, |a, b, c| a * b + c);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn softmax_block_avx2(
    l: &mut [f32],
    m: &mut [f32; LANES],
    s: &mut [f64; LANES],
    scale: &mut [f64; LANES],
) {
    softmax_block_body(l, m, s, scale, f32::mul_add);
}

/// Elementwise operations per lane; `fma` is fused in the AVX2 build (exp polynomial).
#[inline(always)]
fn softmax_block_body(
    l: &mut [f32],
    m: &mut [f32; LANES],
    s: &mut [f64; LANES],
    scale: &mut [f64; LANES],
    fma: impl Fn(f32, f32, f32) -> f32 + Copy,
) {
    let mut bmax = [f32::NEG_INFINITY; LANES];
    for lj in l.chunks_exact(LANES) {
        for r in 0..LANES {
            bmax[r] = bmax[r].max(lj[r]);
        }
    }
    let mut shift = [0f32; LANES];
    for r in 0..LANES {
        scale[r] = 1.0;
        let mn = m[r].max(bmax[r]);
        if mn > m[r] {
            if m[r] > f32::NEG_INFINITY {
                scale[r] = ((m[r] - mn) as f64).exp();
            }
            m[r] = mn;
        }
        shift[r] = if m[r] > f32::NEG_INFINITY { m[r] } else { 0.0 };
    }
    let mut bsum = [0f32; LANES];
    for lj in l.chunks_exact_mut(LANES) {
        for r in 0..LANES {
            let w = exp_f32_nonpositive_with(lj[r] - shift[r], fma);
            lj[r] = w;
            bsum[r] += w;
        }
    }
    for r in 0..LANES {
        s[r] = s[r] * scale[r] + bsum[r] as f64;
    }
}

/// `acc64[c][r] ← acc64[c][r]·scale[r] + acc32[c][r]` (the block's weighted sum joins the f64
/// accumulator after the running maximum moved).
#[inline]
pub fn rescale_add(acc64: &mut [f64], acc32: &[f32], scale: &[f64; LANES]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: AVX2 and FMA are present (checked).
        unsafe { rescale_add_avx2(acc64, acc32, scale) };
        return;
    }
    rescale_add_body(acc64, acc32, scale);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn rescale_add_avx2(acc64: &mut [f64], acc32: &[f32], scale: &[f64; LANES]) {
    rescale_add_body(acc64, acc32, scale);
}

#[inline(always)]
fn rescale_add_body(acc64: &mut [f64], acc32: &[f32], scale: &[f64; LANES]) {
    for (a64, a32) in acc64.chunks_exact_mut(LANES).zip(acc32.chunks_exact(LANES)) {
        for r in 0..LANES {
            a64[r] = a64[r] * scale[r] + a32[r] as f64;
        }
    }
}

/// e^d in f32 for d ≤ 0 (softmax weights relative to the running maximum): d = k ln2 + r,
/// |r| ≤ ln2/2, e^r = 1 + r + r²·P(r) with Cephes' degree-5 minimax P (relative error ~1e-7),
/// 2^k by exponent bits; 0 below d = −87 (and for d = −∞). Branch-free, so loops over lanes
/// vectorise. `fma(a, b, c)` = a·b + c: fused in the AVX2 build, separate in the portable one.
/// Checked against `f64::exp` in the tests (relative error < 3e-7 in both builds).
#[inline(always)]
pub fn exp_f32_nonpositive_with(d: f32, fma: impl Fn(f32, f32, f32) -> f32) -> f32 {
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // round to nearest by the 1.5·2^23 shift (no libm call, vectorises on any x86_64)
    const SHIFT: f32 = 12_582_912.0;
    let x = d.max(-87.0);
    let t = fma(x, std::f32::consts::LOG2_E, SHIFT);
    let k = t - SHIFT;
    // k as an integer from the mantissa of t (a saturating `as` cast would not vectorise)
    let ki = (t.to_bits() as i32).wrapping_sub(SHIFT.to_bits() as i32);
    let r = fma(k, -LN2_LO, fma(k, -LN2_HI, x));
    let mut p = 1.987_569_1e-4;
    p = fma(p, r, 1.398_199_9e-3);
    p = fma(p, r, 8.333_452e-3);
    p = fma(p, r, 4.166_579_6e-2);
    p = fma(p, r, 1.666_666_5e-1);
    p = fma(p, r, 0.5);
    let e = fma(p, r * r, r) + 1.0;
    let scale = f32::from_bits(((ki + 127) as u32) << 23);
    if d < -87.0 {
        0.0
    } else {
        e * scale
    }
}

/// [`exp_f32_nonpositive_with`] with separate multiply and add.
#[inline(always)]
pub fn exp_f32_nonpositive(d: f32) -> f32 {
    exp_f32_nonpositive_with(d, |a, b, c| a * b + c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(a: &[f32], sa: usize, sq: usize, ni: usize, nq: usize, v: &[f32]) -> Vec<f64> {
        let mut c = vec![0f64; ni * LANES];
        for i in 0..ni {
            for r in 0..LANES {
                c[i * LANES + r] = (0..nq)
                    .map(|q| a[i * sa + q * sq] as f64 * v[q * LANES + r] as f64)
                    .sum();
            }
        }
        c
    }

    /// Both builds of the micro-kernel against an f64 reference, in both access patterns
    /// (logits: sa = n, sq = 1; weighted sum: sa = 1, sq = n), with group remainders.
    #[test]
    fn gemm16_matches_f64_reference() {
        let n = 61;
        let rows = 23;
        let a: Vec<f32> = (0..rows * n)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 17.0)
            .collect();
        for &(sa, sq, ni, nq) in &[(n, 1, rows, n), (1, n, n, rows)] {
            let v: Vec<f32> = (0..nq * LANES)
                .map(|i| ((i * 13 % 29) as f32 - 14.0) / 7.0)
                .collect();
            let want = reference(&a, sa, sq, ni, nq, &v);
            let mut c1 = vec![0f32; ni * LANES];
            let mut c2 = vec![0f32; ni * LANES];
            gemm16(&a, sa, sq, ni, nq, &v, 1.0, &mut c1);
            gemm16_portable(&a, sa, sq, ni, nq, &v, 1.0, &mut c2);
            let scale: f64 = want.iter().map(|x| x.abs()).fold(0.0, f64::max);
            for ((&w, &x), &y) in want.iter().zip(&c1).zip(&c2) {
                assert!((w - x as f64).abs() < 1e-5 * scale, "{w} {x}");
                assert!((w - y as f64).abs() < 1e-5 * scale, "{w} {y}");
            }
        }
    }

    #[test]
    fn exp_f32_matches_libm() {
        let mut worst = 0f64;
        for i in 0..=100_000 {
            let d = -87.0 * i as f64 / 100_000.0;
            let a = exp_f32_nonpositive(d as f32) as f64;
            let b = (d as f32 as f64).exp();
            worst = worst.max(((a - b) / b).abs());
        }
        assert!(worst < 3e-7, "{worst}");
        let mut worst = 0f64;
        for i in 0..=100_000 {
            let d = -87.0 * i as f64 / 100_000.0;
            let a = exp_f32_nonpositive_with(d as f32, f32::mul_add) as f64;
            let b = (d as f32 as f64).exp();
            worst = worst.max(((a - b) / b).abs());
        }
        assert!(worst < 3e-7, "fused: {worst}");
        assert_eq!(exp_f32_nonpositive(0.0), 1.0);
        assert_eq!(exp_f32_nonpositive(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp_f32_nonpositive(-100.0), 0.0);
    }
}
