//! The switches that let the AVX2+FMA path use AVX-512 where the CPU has it. Each part that has an
//! AVX-512 form (the products' micro-tiles, the lane-wise maps) gives the AVX2 form's bits, so a
//! switch changes speed only. Each is on by default where the CPU has AVX-512 F, unless its
//! environment variable is `0`; tests and benchmarks flip them through [`crate::paths`].

use std::sync::atomic::{AtomicU8, Ordering};

/// One switch: decided on first use from the CPU and the environment, then settable.
pub(crate) struct Avx512Switch {
    /// 0: not decided yet, 1: off, 2: on.
    state: AtomicU8,
    /// The environment variable that turns it off with `0`.
    env: &'static str,
}

/// The products' 6×32 micro-tiles (`POTENTIAL_GEMM_AVX512`).
pub(crate) static GEMM: Avx512Switch = Avx512Switch::new("POTENTIAL_GEMM_AVX512");
/// The 16-lane maps: `map`, `map_inplace`, `bias_act` (`POTENTIAL_MAPS_AVX512`).
pub(crate) static MAPS: Avx512Switch = Avx512Switch::new("POTENTIAL_MAPS_AVX512");

impl Avx512Switch {
    const fn new(env: &'static str) -> Self {
        Avx512Switch { state: AtomicU8::new(0), env }
    }

    /// Whether the AVX-512 form is in use.
    pub(crate) fn on(&self) -> bool {
        match self.state.load(Ordering::Relaxed) {
            0 => {
                let on = supported() && std::env::var(self.env).map_or(true, |v| v != "0");
                self.state.store(if on { 2 } else { 1 }, Ordering::Relaxed);
                on
            }
            v => v == 2,
        }
    }

    /// Use (or not) the AVX-512 form for the rest of the process; returns whether it is now in use
    /// (never where the CPU lacks AVX-512 F).
    pub(crate) fn set(&self, on: bool) -> bool {
        let on = on && supported();
        self.state.store(if on { 2 } else { 1 }, Ordering::Relaxed);
        on
    }
}

/// Whether the CPU has AVX-512 F (and so, on x86-64 CPUs that have it, AVX2 and FMA).
fn supported() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx2")
            && is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}
