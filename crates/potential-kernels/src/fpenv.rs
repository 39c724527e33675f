//! Flush-to-zero: subnormal `f32`/`f64` results become (signed) zero while a [`FlushToZero`] guard
//! lives on the current thread.
//!
//! Why: on many Intel cores an arithmetic result in the subnormal range (|x| < 2⁻¹²⁶ for `f32`)
//! costs a microcode assist of the order of a hundred cycles. A classifier trained by gradient
//! descent produces such values: the CSAE's softmax gives wrong classes probabilities far below
//! 2⁻¹²⁶ once it separates them, and the weight-gradient products that carry them are subnormal.
//! Measured on an Intel Xeon host (`csae/finetune/784x500/k10/b100`, two threads): 10.9 s an epoch
//! with subnormals, 5.7 s with flush-to-zero. The values flushed are below 2⁻¹²⁶ ≈ 1.2·10⁻³⁸ in
//! absolute value, some thirty orders of magnitude under the parameters they update; but a long
//! seeded run is chaotic in its last bits, so its figures move within rounding once a flushed value
//! would have changed one (the change is stated where results are reported).
//!
//! Only the FTZ bit of `MXCSR` is touched (never DAZ, the rounding mode or the exception masks,
//! which Rust's code generation assumes at their defaults); on other targets, and under Miri, the
//! guard does nothing. [`set_flush_to_zero`] (or `POTENTIAL_FTZ=0` in the environment, read once)
//! turns the guards off for the whole process, so results recorded before they existed can be
//! re-run bit for bit.
//!
//! The products of [`crate::gemm`] run in their caller's mode on every thread that computes a piece
//! (the helper thread, rayon workers), so a product gives the same bits at one and two threads in
//! either mode.

use std::sync::atomic::{AtomicU8, Ordering};

/// `MXCSR`'s flush-to-zero bit.
#[cfg(all(target_arch = "x86_64", not(miri)))]
const FTZ: u32 = 1 << 15;

/// 0 = not read yet, 1 = off, 2 = on.
static ENABLED: AtomicU8 = AtomicU8::new(0);

/// Whether [`FlushToZero::scope`] sets flush-to-zero (on unless `POTENTIAL_FTZ=0`, or
/// [`set_flush_to_zero`] said otherwise). Always `false` where the target has no such mode.
pub fn flush_to_zero_enabled() -> bool {
    if !SUPPORTED {
        return false;
    }
    match ENABLED.load(Ordering::Relaxed) {
        0 => {
            let on = std::env::var("POTENTIAL_FTZ").map_or(true, |v| v != "0");
            ENABLED.store(if on { 2 } else { 1 }, Ordering::Relaxed);
            on
        }
        v => v == 2,
    }
}

/// Turn [`FlushToZero::scope`] on or off for the rest of the process (guards already alive keep
/// their mode). Returns whether scopes now flush (`false` where the target has no such mode).
pub fn set_flush_to_zero(on: bool) -> bool {
    ENABLED.store(if on { 2 } else { 1 }, Ordering::Relaxed);
    on && SUPPORTED
}

/// Whether this target has a flush-to-zero mode this module can set (x86-64, outside Miri).
const SUPPORTED: bool = cfg!(all(target_arch = "x86_64", not(miri)));

/// Sets the current thread's flush-to-zero mode while it lives; restores the previous mode when
/// dropped (also on unwinding).
///
/// ```
/// use potential_kernels::FlushToZero;
/// let tiny = std::hint::black_box(f32::MIN_POSITIVE);
/// let half = {
///     let _ftz = FlushToZero::scope();
///     std::hint::black_box(tiny) * std::hint::black_box(0.5f32)
/// };
/// if potential_kernels::flush_to_zero_enabled() {
///     assert_eq!(half, 0.0); // 2⁻¹²⁷ is subnormal: flushed
/// }
/// // Outside the scope the default mode is back.
/// assert!(std::hint::black_box(tiny) * std::hint::black_box(0.5f32) > 0.0);
/// ```
#[must_use = "the mode is restored when the guard is dropped"]
pub struct FlushToZero {
    /// The `MXCSR` value to restore, if this guard changed it.
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    saved: Option<u32>,
}

impl FlushToZero {
    /// Flush-to-zero on this thread if [`flush_to_zero_enabled`]; otherwise the mode is left as is.
    pub fn scope() -> Self {
        Self::set(flush_to_zero_enabled())
    }

    /// This thread's mode set to `on` (flush or not), whatever it was.
    pub fn set(on: bool) -> Self {
        #[cfg(all(target_arch = "x86_64", not(miri)))]
        {
            let old = read_mxcsr();
            let new = if on { old | FTZ } else { old & !FTZ };
            if new == old {
                return Self { saved: None };
            }
            write_mxcsr(new);
            Self { saved: Some(old) }
        }
        #[cfg(not(all(target_arch = "x86_64", not(miri))))]
        {
            let _ = on;
            Self {}
        }
    }

    /// Whether the current thread flushes subnormal results to zero now.
    pub fn is_on() -> bool {
        #[cfg(all(target_arch = "x86_64", not(miri)))]
        {
            read_mxcsr() & FTZ != 0
        }
        #[cfg(not(all(target_arch = "x86_64", not(miri))))]
        {
            false
        }
    }
}

impl Drop for FlushToZero {
    fn drop(&mut self) {
        #[cfg(all(target_arch = "x86_64", not(miri)))]
        if let Some(old) = self.saved {
            write_mxcsr(old);
        }
    }
}

#[cfg(all(target_arch = "x86_64", not(miri)))]
fn read_mxcsr() -> u32 {
    let mut v = 0u32;
    // SAFETY: `stmxcsr` stores the 32-bit MXCSR (SSE, part of the x86-64 baseline) to the address
    // of `v`, a live local of that size; it changes no other state.
    unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut v, options(nostack, preserves_flags)) };
    v
}

#[cfg(all(target_arch = "x86_64", not(miri)))]
fn write_mxcsr(v: u32) {
    // SAFETY: `ldmxcsr` loads MXCSR from the address of `v` (a live local). Callers only ever
    // change the FTZ bit of the value they read: the exception masks, the rounding mode and DAZ,
    // which Rust's code generation assumes at their defaults (see `core::arch::x86_64::_mm_setcsr`),
    // are written back as they were.
    unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &v, options(nostack, preserves_flags, readonly)) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hint::black_box;

    fn half_min() -> f32 {
        black_box(f32::MIN_POSITIVE) * black_box(0.5f32)
    }

    #[test]
    fn scope_flushes_and_restores() {
        let before = FlushToZero::is_on();
        assert!(half_min() > 0.0, "default mode keeps subnormals");
        {
            let _g = FlushToZero::set(true);
            if SUPPORTED {
                assert!(FlushToZero::is_on());
                assert_eq!(half_min(), 0.0);
                assert_eq!(
                    (black_box(-f32::MIN_POSITIVE) * black_box(0.5f32)).to_bits(),
                    (-0.0f32).to_bits()
                );
                // f64 too, and the f64 → f32 conversion.
                assert_eq!(black_box(f64::MIN_POSITIVE) * black_box(0.5), 0.0);
                assert_eq!(black_box(1e-40f64) as f32, 0.0);
                {
                    let _inner = FlushToZero::set(false);
                    assert!(half_min() > 0.0);
                }
                assert_eq!(half_min(), 0.0, "the inner guard restored the outer mode");
            }
            // Normal results are untouched.
            assert_eq!(black_box(f32::MIN_POSITIVE) * black_box(2.0f32), f32::MIN_POSITIVE * 2.0);
        }
        assert_eq!(FlushToZero::is_on(), before);
        assert!(half_min() > 0.0);
    }

    #[test]
    fn restored_on_unwind() {
        let r = std::panic::catch_unwind(|| {
            let _g = FlushToZero::set(true);
            panic!("inside the scope");
        });
        assert!(r.is_err());
        assert!(!FlushToZero::is_on());
        assert!(half_min() > 0.0);
    }
}
