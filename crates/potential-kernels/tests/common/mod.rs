//! Shared helpers of the kernel tests: `f64` ground truth, ulp distance, input generators.
#![allow(dead_code)]

use potential_kernels::SimdPath;

/// The paths this CPU can run; prints a skip note for AVX2 when it cannot (never silently).
pub fn paths() -> Vec<SimdPath> {
    let mut v = vec![SimdPath::Portable];
    if SimdPath::Avx2Fma.is_supported() {
        v.push(SimdPath::Avx2Fma);
    } else {
        eprintln!("skipped: AVX2+FMA path (this CPU lacks AVX2 or FMA); testing the portable path only");
    }
    v
}

/// The bit patterns of `x`, for exact comparisons (NaN payloads and signed zeros included).
pub fn bits(x: &[f32]) -> Vec<u32> {
    x.iter().map(|v| v.to_bits()).collect()
}

/// Spacing of `f32` at the magnitude of `x` (2⁻¹⁴⁹ in the subnormal range, 2¹⁰⁴ beyond f32::MAX).
pub fn ulp_f32(x: f64) -> f64 {
    let a = x.abs();
    if a < f32::MIN_POSITIVE as f64 {
        return 2f64.powi(-149);
    }
    let e = (((a.to_bits() >> 52) & 0x7ff) as i32 - 1023).min(127);
    2f64.powi(e - 23)
}

/// Largest value that rounds to a finite `f32`.
const F32_OVERFLOW: f64 = f32::MAX as f64 * (1.0 + 1.0 / 33_554_432.0);

/// Error of `got` against the exact `want`, in units of `ulps·ulp(want) + abs`; `Ok(err)` if
/// within 1, else a description. NaN must match NaN; results beyond `f32` range must be the same
/// infinity.
pub fn check(got: f32, want: f64, ulps: f64, abs: f64) -> Result<f64, String> {
    if want.is_nan() {
        return if got.is_nan() { Ok(0.0) } else { Err(format!("got {got:e}, want NaN")) };
    }
    if got.is_nan() {
        return Err(format!("got NaN, want {want:e}"));
    }
    if want.abs() >= F32_OVERFLOW || want.is_infinite() {
        return if got.is_infinite() && (got > 0.0) == (want > 0.0) {
            Ok(0.0)
        } else {
            Err(format!("got {got:e}, want {want:e} (overflows f32)"))
        };
    }
    if got.is_infinite() {
        return Err(format!("got {got:e}, want {want:e}"));
    }
    let err = (got as f64 - want).abs();
    let tol = ulps * ulp_f32(want) + abs;
    let r = if tol > 0.0 {
        err / tol
    } else if err == 0.0 {
        0.0
    } else {
        f64::INFINITY
    };
    if r <= 1.0 {
        Ok(r)
    } else {
        Err(format!(
            "got {got:e}, want {want:e}: error {err:e} = {:.2} ulp > {ulps} ulp + {abs:e}",
            err / ulp_f32(want)
        ))
    }
}

/// Special inputs every kernel must handle.
pub fn specials() -> Vec<f32> {
    let mut v = vec![
        0.0,
        -0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        -f32::NAN,
        1e30,
        -1e30,
        f32::MAX,
        f32::MIN,
        f32::MIN_POSITIVE,
        -f32::MIN_POSITIVE,
        1e-40,
        -1e-40,
        f32::from_bits(1),
        -f32::from_bits(1),
        f32::EPSILON,
        1.0,
        -1.0,
        0.5,
        0.625,
        -0.625,
        0.624_999_94,
        88.72,
        88.722_84,
        88.73,
        89.0,
        -87.3,
        -88.0,
        -100.0,
        -103.2,
        -103.97,
        -104.0,
        -104.5,
        -150.0,
        1e4,
        -1e4,
        1e13,
        -1e13,
        1.9e19,
        -1.9e19,
    ];
    v.extend((-40..=40).map(|i| i as f32 * 0.25));
    v
}

/// About `count` `f32` values spread over the whole bit-pattern space (both signs, all exponents,
/// subnormals, ±∞ and NaNs), plus the specials.
pub fn bit_sweep(count: u32) -> Vec<f32> {
    let step = (u32::MAX / count).max(1) | 1;
    let mut v: Vec<f32> = (0..count).map(|i| f32::from_bits(i.wrapping_mul(step))).collect();
    v.extend(specials());
    v
}

/// `count` values uniform in `[lo, hi]` from a fixed seed.
pub fn uniform(count: usize, lo: f32, hi: f32, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..count)
        .map(|_| {
            // xorshift64*
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            let r = (s.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 40) as f32 / (1u64 << 24) as f32;
            lo + (hi - lo) * r
        })
        .collect()
}

pub fn sigmoid64(u: f64) -> f64 {
    potential_kernels::reference::sigmoid_f64(u)
}

/// σ(u)(1 − σ(u)) without cancellation.
pub fn sigmoid_prime64(u: f64) -> f64 {
    let e = (-u.abs()).exp();
    e / ((1.0 + e) * (1.0 + e))
}

/// ∫₋∞ᵘ softplus = −Li₂(−eᵘ) in `f64`, by series independent of the crate's Bernoulli series:
/// with t = e^{−|u|}, F = −Li₂(−t) is the alternating series Σₖ (−1)ᵏ⁺¹ tᵏ/k² for t ≤ ½, and for
/// t > ½ Landen's identity −Li₂(−t) = Li₂(x) + ½ ln²(1 + t) with x = t/(1 + t) ≤ ½ and
/// Li₂(x) = Σₖ xᵏ/k²; then H(u) = F for u ≤ 0 and u²/2 + π²/6 − F for u > 0 (inversion formula).
pub fn softplus_integral64(u: f64) -> f64 {
    if u.is_nan() {
        return u;
    }
    // Σₖ sᵏ xᵏ/k² for s = ±1, |x| ≤ ½, until the terms no longer change the sum.
    let series = |x: f64, s: f64| {
        let (mut sum, mut p, mut k) = (0.0f64, 1.0f64, 1.0f64);
        loop {
            p *= s * x;
            let term = p / (k * k);
            if term.abs() <= 1e-18 * sum.abs() || term == 0.0 {
                return sum + term;
            }
            sum += term;
            k += 1.0;
        }
    };
    let t = (-u.abs()).exp();
    let f = if t <= 0.5 {
        -series(t, -1.0)
    } else {
        let l = t.ln_1p();
        series(t / (1.0 + t), 1.0) + 0.5 * l * l
    };
    if u > 0.0 {
        0.5 * u * u + (std::f64::consts::PI * std::f64::consts::PI / 6.0 - f)
    } else {
        f
    }
}
