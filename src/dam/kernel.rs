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

// ---------------------------------------------------------------------------------------------
// The single-target engine's streaming kernel (one state, patterns in blocks of [`BLOCK`]).

/// Patterns per block of the single-target streaming kernel.
pub const BLOCK: usize = 64;

/// f32 dot product with eight partial sums (one 8-lane vector), summed in f64 at the end.
/// Domain: equal lengths, a multiple of 8.
#[inline(always)]
fn dot8(a: &[f32], b: &[f32]) -> f64 {
    let mut s = [0f32; 8];
    for (ca, cb) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let ca: &[f32; 8] = ca.try_into().expect("chunk of 8");
        let cb: &[f32; 8] = cb.try_into().expect("chunk of 8");
        for k in 0..8 {
            s[k] += ca[k] * cb[k];
        }
    }
    let lo = (s[0] as f64 + s[1] as f64) + (s[2] as f64 + s[3] as f64);
    let hi = (s[4] as f64 + s[5] as f64) + (s[6] as f64 + s[7] as f64);
    lo + hi
}

/// y += w x in f32, 8 lanes at a time. Domain: equal lengths, a multiple of 8.
#[inline(always)]
fn axpy8(w: f32, x: &[f32], y: &mut [f32]) {
    for (cy, cx) in y.chunks_exact_mut(8).zip(x.chunks_exact(8)) {
        let cy: &mut [f32; 8] = cy.try_into().expect("chunk of 8");
        let cx: &[f32; 8] = cx.try_into().expect("chunk of 8");
        for k in 0..8 {
            cy[k] += w * cx[k];
        }
    }
}

/// e^d for d ≤ 0 (the softmax weights relative to the running maximum), accurate to a few ulp:
/// d = k ln2 + r with |r| ≤ ln2/2 (Cody–Waite split of ln 2), e^r by its degree-12 Taylor
/// polynomial (truncation < 2e-17), 2^k by exponent bits. Returns 0 below d = −708 (where e^d
/// is subnormal). Branch-free apart from that clamp, so a loop over a block vectorises.
/// Checked against `f64::exp` over [−745, 0] in the unit tests (≤ 4 ulp).
#[inline(always)]
pub(crate) fn exp_nonpositive(d: f64) -> f64 {
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let x = d.max(-708.0);
    let k = (x * std::f64::consts::LOG2_E).round();
    let r = (x - k * LN2_HI) - k * LN2_LO;
    // Horner, 1/n! coefficients
    let mut p = 1.0 / 479_001_600.0;
    p = p * r + 1.0 / 39_916_800.0;
    p = p * r + 1.0 / 3_628_800.0;
    p = p * r + 1.0 / 362_880.0;
    p = p * r + 1.0 / 40_320.0;
    p = p * r + 1.0 / 5_040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    let scale = f64::from_bits(((k as i64 + 1023) as u64) << 52);
    let v = p * scale;
    if d < -708.0 {
        0.0
    } else {
        v
    }
}

/// One streaming pass's inputs: rows `rows` of a pattern store of row stride `stride`, the
/// state `xf` (f32, length stride), λ, and the cutoff below the running maximum under which
/// a pattern's weight is dropped.
pub struct Pass<'a> {
    /// The store, row-major, rows padded to `stride`.
    pub patterns: &'a [f32],
    /// Row stride (a multiple of 8).
    pub stride: usize,
    /// The rows to stream.
    pub rows: std::ops::Range<usize>,
    /// The state in f32.
    pub xf: &'a [f32],
    /// Inverse temperature λ.
    pub lambda: f64,
    /// Weights below e^{−cutoff} of the running maximum are dropped.
    pub cutoff: f64,
}

/// The buffers a pass writes (allocated once per worker): block logits, the f64 weighted sum
/// and its f32 per-block partial.
pub struct PassBuffers<'a> {
    /// Logits of one block.
    pub logits: &'a mut [f64; BLOCK],
    /// Σ e^{l−M} ξ in f64 (length stride; zeroed by the pass).
    pub acc: &'a mut [f64],
    /// The block's partial sum in f32 (length stride).
    pub block_acc: &'a mut [f32],
}

/// Online softmax state of one streaming pass: running max M, Σ e^{l−M}, Σ e^{l−M} ξ (in acc).
pub struct Softmax {
    /// Running maximum M of the logits.
    pub max: f64,
    /// Σ e^{l − M}.
    pub sum: f64,
}

/// One streaming pass over rows `rows` of the pattern store at state `xf`:
/// accumulates into `acc` (zeroed here) and returns (M, S) with S = Σ e^{l_μ − M}.
///
/// Within a block the weighted sum is accumulated in f32 (weights ≤ 1 relative to the running
/// maximum, at most 64 terms: relative error ~1e-7) and then added to the f64 accumulator.
/// Runs the AVX2 build of the same code when the CPU has it (chosen at run time; results are
/// reproducible on one machine, not bit-identical across CPUs with different features).
pub fn stream(pass: &Pass, buf: PassBuffers) -> Softmax {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { stream_avx2(pass, buf) };
    }
    stream_body(pass, buf, dot8, axpy_block)
}

/// y += Σ_k w_k row_k, rows with w_k = 0 skipped (portable path, row by row with [`axpy8`]).
#[inline(always)]
fn axpy_block(w: &[f32], rows: &[f32], stride: usize, y: &mut [f32]) {
    for (&wk, row) in w.iter().zip(rows.chunks_exact(stride)) {
        if wk != 0.0 {
            axpy8(wk, row, y);
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn stream_avx2(pass: &Pass, buf: PassBuffers) -> Softmax {
    // SAFETY (both closures): AVX2 is enabled here; all lengths are multiples of 8.
    let dot = |a: &[f32], b: &[f32]| unsafe { avx2::dot8(a, b) };
    let axpy = |w: &[f32], rows: &[f32], stride: usize, y: &mut [f32]| unsafe {
        avx2::axpy_block(w, rows, stride, y)
    };
    stream_body(pass, buf, dot, axpy)
}

/// Explicit AVX2 versions of [`dot8`] and [`axpy8`], with the same lane layout and the same
/// order of operations (no FMA), hence bit-identical results.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    /// Domain: equal lengths, a multiple of 8; the caller guarantees AVX2.
    #[inline]
    #[target_feature(enable = "avx2")]
    pub unsafe fn dot8(a: &[f32], b: &[f32]) -> f64 {
        let mut acc = _mm256_setzero_ps();
        for i in (0..a.len()).step_by(8) {
            let va = _mm256_loadu_ps(a.as_ptr().add(i));
            let vb = _mm256_loadu_ps(b.as_ptr().add(i));
            acc = _mm256_add_ps(acc, _mm256_mul_ps(va, vb));
        }
        let mut s = [0f32; 8];
        _mm256_storeu_ps(s.as_mut_ptr(), acc);
        let lo = (s[0] as f64 + s[1] as f64) + (s[2] as f64 + s[3] as f64);
        let hi = (s[4] as f64 + s[5] as f64) + (s[6] as f64 + s[7] as f64);
        lo + hi
    }

    /// y += Σ_k w_k row_k over a block of rows (`rows` = w.len() × stride), rows with w_k = 0
    /// skipped. Columns are taken 64 at a time with the 8 partial vectors held in registers
    /// across the whole block (no store/load of y per row); each lane does y + w·x in the same
    /// row order as repeated [`axpy8`] calls, so the result is bit-identical.
    /// Domain: stride a multiple of 8, y.len() = stride; the caller guarantees AVX2.
    #[inline]
    #[target_feature(enable = "avx2")]
    pub unsafe fn axpy_block(w: &[f32], rows: &[f32], stride: usize, y: &mut [f32]) {
        let full = stride / 64 * 64;
        let mut c = 0;
        while c < full {
            let yp = y.as_mut_ptr().add(c);
            let mut a0 = _mm256_loadu_ps(yp);
            let mut a1 = _mm256_loadu_ps(yp.add(8));
            let mut a2 = _mm256_loadu_ps(yp.add(16));
            let mut a3 = _mm256_loadu_ps(yp.add(24));
            let mut a4 = _mm256_loadu_ps(yp.add(32));
            let mut a5 = _mm256_loadu_ps(yp.add(40));
            let mut a6 = _mm256_loadu_ps(yp.add(48));
            let mut a7 = _mm256_loadu_ps(yp.add(56));
            for (k, &wk) in w.iter().enumerate() {
                if wk == 0.0 {
                    continue;
                }
                let vw = _mm256_set1_ps(wk);
                let xp = rows.as_ptr().add(k * stride + c);
                a0 = _mm256_add_ps(a0, _mm256_mul_ps(vw, _mm256_loadu_ps(xp)));
                a1 = _mm256_add_ps(a1, _mm256_mul_ps(vw, _mm256_loadu_ps(xp.add(8))));
                a2 = _mm256_add_ps(a2, _mm256_mul_ps(vw, _mm256_loadu_ps(xp.add(16))));
                a3 = _mm256_add_ps(a3, _mm256_mul_ps(vw, _mm256_loadu_ps(xp.add(24))));
                a4 = _mm256_add_ps(a4, _mm256_mul_ps(vw, _mm256_loadu_ps(xp.add(32))));
                a5 = _mm256_add_ps(a5, _mm256_mul_ps(vw, _mm256_loadu_ps(xp.add(40))));
                a6 = _mm256_add_ps(a6, _mm256_mul_ps(vw, _mm256_loadu_ps(xp.add(48))));
                a7 = _mm256_add_ps(a7, _mm256_mul_ps(vw, _mm256_loadu_ps(xp.add(56))));
            }
            _mm256_storeu_ps(yp, a0);
            _mm256_storeu_ps(yp.add(8), a1);
            _mm256_storeu_ps(yp.add(16), a2);
            _mm256_storeu_ps(yp.add(24), a3);
            _mm256_storeu_ps(yp.add(32), a4);
            _mm256_storeu_ps(yp.add(40), a5);
            _mm256_storeu_ps(yp.add(48), a6);
            _mm256_storeu_ps(yp.add(56), a7);
            c += 64;
        }
        if full < stride {
            for (k, &wk) in w.iter().enumerate() {
                if wk != 0.0 {
                    let row = &rows[k * stride + full..(k + 1) * stride];
                    axpy8(wk, row, &mut y[full..]);
                }
            }
        }
    }

    /// Domain: equal lengths, a multiple of 8; the caller guarantees AVX2.
    #[inline]
    #[target_feature(enable = "avx2")]
    pub unsafe fn axpy8(w: f32, x: &[f32], y: &mut [f32]) {
        let vw = _mm256_set1_ps(w);
        for i in (0..x.len()).step_by(8) {
            let vy = _mm256_loadu_ps(y.as_ptr().add(i));
            let vx = _mm256_loadu_ps(x.as_ptr().add(i));
            _mm256_storeu_ps(
                y.as_mut_ptr().add(i),
                _mm256_add_ps(vy, _mm256_mul_ps(vw, vx)),
            );
        }
    }
}

#[inline(always)]
fn stream_body(
    pass: &Pass,
    buf: PassBuffers,
    dot: impl Fn(&[f32], &[f32]) -> f64,
    axpy: impl Fn(&[f32], &[f32], usize, &mut [f32]),
) -> Softmax {
    let Pass {
        patterns,
        stride,
        ref rows,
        xf,
        lambda,
        cutoff,
    } = *pass;
    let PassBuffers {
        logits,
        acc,
        block_acc,
    } = buf;
    debug_assert!(stride % 8 == 0 && xf.len() == stride && block_acc.len() == stride);
    acc.iter_mut().for_each(|a| *a = 0.0);
    let mut sm = Softmax {
        max: f64::NEG_INFINITY,
        sum: 0.0,
    };
    let mut start = rows.start;
    while start < rows.end {
        let end = (start + BLOCK).min(rows.end);
        let block = &patterns[start * stride..end * stride];
        let mut bmax = f64::NEG_INFINITY;
        for (l, row) in logits.iter_mut().zip(block.chunks_exact(stride)) {
            *l = lambda * dot(row, xf);
            bmax = bmax.max(*l);
        }
        if bmax > sm.max {
            if sm.sum > 0.0 {
                let scale = (sm.max - bmax).exp();
                sm.sum *= scale;
                acc.iter_mut().for_each(|a| *a *= scale);
            }
            sm.max = bmax;
        }
        let floor = sm.max - cutoff;
        block_acc.iter_mut().for_each(|a| *a = 0.0);
        // weights e^{l − M} for the block: a branch-free map (vectorised), then the sum in row
        // order; rows below the cutoff get weight 0 and are skipped by `axpy`
        let mut wexp = [0f64; BLOCK];
        let n = end - start;
        for (w, &l) in wexp[..n].iter_mut().zip(&logits[..n]) {
            let d = l - sm.max;
            *w = if l < floor { 0.0 } else { exp_nonpositive(d) };
        }
        let mut bsum = 0.0;
        let mut weights = [0f32; BLOCK];
        for (wt, &w) in weights[..n].iter_mut().zip(&wexp[..n]) {
            bsum += w;
            // w as f32 may be 0 (underflow): adding 0·x leaves block_acc unchanged either way
            *wt = w as f32;
        }
        axpy(&weights[..end - start], block, stride, block_acc);
        sm.sum += bsum;
        for (a, &b) in acc.iter_mut().zip(block_acc.iter()) {
            *a += b as f64;
        }
        start = end;
    }
    sm
}

// ---------------------------------------------------------------------------------------------
// The step tail shared by both engines.

/// What one descent step did: the energy per neuron at the state it started from and ‖Δx‖².
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepOutcome {
    /// E/N = (−lse/λ + ½‖x‖²)/N at the state before the step.
    pub energy: f64,
    /// ‖Δx‖² of the step.
    pub dx2: f64,
}

/// The end of one descent step, shared by the single-target and the K-target engine
/// (docs/theory.md#simulator). The stream over the other patterns gave their online-softmax
/// state (M = `max`, S = `sum` = Σ_{μ≠1} e^{l_μ − M}) and their weighted sum Σ e^{l_μ − M} ξ^μ
/// (`acc(i)`); the target's own pattern ξ¹ (`xi(i)`) is added exactly in f64:
/// l₁ = λ ξ¹·x, lse = ln(S e^M + e^{l₁}), T(x) = (acc·e^{M−m} + e^{l₁−m} ξ¹)/(S e^{M−m} + e^{l₁−m})
/// with m = max(M, l₁), and x ← x − η(x − T(x)). `moved(i, x_i)` sees every updated component
/// (the K-target engine keeps an f32 copy). Domain: λ, η > 0, `x.len()` = N ≥ 1.
#[inline]
#[allow(clippy::too_many_arguments)]
pub fn step_tail(
    lambda: f64,
    eta: f64,
    max: f64,
    sum: f64,
    x: &mut [f64],
    xi: impl Fn(usize) -> f64,
    acc: impl Fn(usize) -> f64,
    mut moved: impl FnMut(usize, f64),
) -> StepOutcome {
    let n = x.len();
    let l1 = lambda * (0..n).map(|i| xi(i) * x[i]).sum::<f64>();
    let m = max.max(l1);
    let scale_rest = if max > f64::NEG_INFINITY {
        (max - m).exp()
    } else {
        0.0
    };
    let w1 = (l1 - m).exp();
    let total = sum * scale_rest + w1;
    let lse = m + total.ln();
    let x2: f64 = x.iter().map(|v| v * v).sum();
    let energy = (-lse / lambda + 0.5 * x2) / n as f64;
    let mut dx2 = 0.0;
    for (i, xv) in x.iter_mut().enumerate() {
        let t = (acc(i) * scale_rest + w1 * xi(i)) / total;
        let dx = -eta * (*xv - t);
        *xv += dx;
        dx2 += dx * dx;
        moved(i, *xv);
    }
    StepOutcome { energy, dx2 }
}

/// Δ₀ = ‖x − ξ‖²/N and the overlap m = x·ξ/N at the end of a trajectory.
#[inline]
pub fn observe(x: &[f64], xi: impl Fn(usize) -> f64) -> (f64, f64) {
    let (mut d2, mut ov) = (0.0, 0.0);
    for (i, &a) in x.iter().enumerate() {
        let b = xi(i);
        d2 += (a - b).powi(2);
        ov += a * b;
    }
    let nf = x.len() as f64;
    (d2 / nf, ov / nf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

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

    /// The kernel's exp agrees with libm's to 4 ulp over the whole range it is used on.
    #[test]
    fn exp_nonpositive_matches_libm() {
        let mut worst = 0f64;
        for i in 0..=200_000 {
            let d = -708.0 * i as f64 / 200_000.0;
            let (a, b) = (exp_nonpositive(d), d.exp());
            worst = worst.max(((a - b) / b).abs());
        }
        assert!(worst < 4.0 * f64::EPSILON, "{worst}");
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert_eq!(exp_nonpositive(-800.0), 0.0);
    }

    /// The AVX2 kernel (dot8, register-held block sums) gives bit-identical results to the
    /// portable row-by-row code, for strides that are and are not multiples of 64, row counts
    /// that are not multiples of the block, and a cutoff that skips rows.
    #[test]
    fn avx2_and_portable_are_bit_identical() {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
            for &(stride, rows, lambda, cutoff) in &[
                (64usize, 1000usize, 0.3, 40.0),
                (136, 333, 1.0, 40.0),
                (8, 257, 2.0, 3.0),
                (64, 130, 5.0, 1.0),
            ] {
                let patterns: Vec<f32> = (0..stride * rows)
                    .map(|_| StandardNormal.sample(&mut rng))
                    .collect();
                let xf: Vec<f32> = patterns[..stride].to_vec();
                let mut logits = [0f64; BLOCK];
                let (mut acc1, mut acc2) = (vec![0f64; stride], vec![0f64; stride]);
                let (mut b1, mut b2) = (vec![0f32; stride], vec![0f32; stride]);
                let pass = Pass {
                    patterns: &patterns,
                    stride,
                    rows: 0..rows,
                    xf: &xf,
                    lambda,
                    cutoff,
                };
                let s1 = stream_body(
                    &pass,
                    PassBuffers {
                        logits: &mut logits,
                        acc: &mut acc1,
                        block_acc: &mut b1,
                    },
                    dot8,
                    axpy_block,
                );
                // SAFETY: AVX2 checked above.
                let s2 = unsafe {
                    stream_avx2(
                        &pass,
                        PassBuffers {
                            logits: &mut logits,
                            acc: &mut acc2,
                            block_acc: &mut b2,
                        },
                    )
                };
                assert_eq!(s1.max.to_bits(), s2.max.to_bits());
                assert_eq!(s1.sum.to_bits(), s2.sum.to_bits());
                assert!(acc1
                    .iter()
                    .zip(&acc2)
                    .all(|(a, b)| a.to_bits() == b.to_bits()));
            }
        }
    }
}
