//! The AMX kernel: 32×32 output blocks held in four 16×16 `f32` tiles (tmm0–3) over the whole
//! inner dimension, two 16-row tiles of X̂ (tmm4, tmm5) and two 16-column tiles of Ŵ (tmm6, tmm7)
//! per step of 16 pairs, four `tdpbf16ps` per step. The AMX instructions are written with `asm!`
//! (their intrinsics are not stable); the tile registers are used only inside [`block`], which
//! configures them first and releases them last.

use super::avx512::convert_rows;
use super::{Bf16Weights, MC_AMX, NR, TK};
use crate::MatRef;
use std::arch::asm;

/// Rows and columns of an output block (2×2 tiles of 16).
const BLK: usize = 32;

/// `arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)`: ask Linux for the AMX tile-data state
/// for this process (the kernel refuses the first tile instruction otherwise). True on success.
pub(super) fn request_permission() -> bool {
    let ret: i64;
    // SAFETY: system call 158 (arch_prctl on x86_64) with ARCH_REQ_XCOMP_PERM (0x1023) and
    // XFEATURE_XTILEDATA (18) only extends the xsave features this process may use; it reads no
    // memory of ours, and `syscall` clobbers rcx and r11, declared here.
    unsafe {
        asm!(
            "syscall",
            inlateout("rax") 158i64 => ret,
            in("rdi") 0x1023i64,
            in("rsi") 18i64,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    ret == 0
}

/// The `ldtilecfg` operand: palette 1, eight tiles of 16 rows × 64 bytes.
#[repr(C, align(64))]
struct TileConfig([u8; 64]);

impl TileConfig {
    fn new() -> Self {
        let mut c = [0u8; 64];
        c[0] = 1;
        for t in 0..8 {
            c[16 + 2 * t] = 64; // bytes per row (little-endian u16)
            c[48 + t] = 16; // rows
        }
        TileConfig(c)
    }
}

/// Rows `i0..i0+mc` of the product into `c` (row stride `ldc`): convert those rows of X to bf16
/// pairs in `a` (row stride kpp, rows up to the next multiple of 32 zeroed), then every 32×32
/// block over the whole inner dimension; blocks that stick out of the matrix go through a scratch
/// block.
///
/// # Safety
/// avx512f, avx512bf16, amx-bf16 and amx-tile are available and the tile state is permitted
/// ([`request_permission`]); `a.len() ≥ MC_AMX·kpp` (kpp = `w.kpp` ≥ 16), mc ≤ MC_AMX; `c` holds
/// rows `i0..i0+mc` of an m×n (n = w.rows()) matrix with row stride `ldc` and column stride 1.
#[target_feature(enable = "avx512f,avx512bf16")]
pub(super) unsafe fn block(
    x: MatRef<'_>,
    i0: usize,
    mc: usize,
    w: &Bf16Weights,
    a: &mut [u32],
    c: &mut [f32],
    ldc: usize,
) {
    let (n, kpp) = (w.n, w.kpp);
    let mc_pad = mc.div_ceil(BLK) * BLK;
    debug_assert!(a.len() >= MC_AMX * kpp && mc <= MC_AMX && kpp >= TK && kpp.is_multiple_of(TK));
    // SAFETY: the caller guarantees the features and that `a` holds mc_pad ≤ MC_AMX rows of kpp.
    unsafe { convert_rows(x, i0, mc, mc_pad, kpp, a) };
    let cfg = TileConfig::new();
    // SAFETY: AMX is available and permitted (caller); `cfg` is a valid 64-byte palette-1
    // configuration (rows ≤ 16, 64 bytes per row).
    unsafe { asm!("ldtilecfg [{}]", in(reg) cfg.0.as_ptr(), options(nostack, readonly)) };
    let mut scratch = [0.0f32; BLK * BLK];
    for ib in (0..mc).step_by(BLK) {
        let rows = BLK.min(mc - ib);
        for jb in (0..n).step_by(BLK) {
            let cols = BLK.min(n - jb);
            let full = rows == BLK && cols == BLK;
            let (dst, ld) =
                if full { (&mut c[(i0 + ib) * ldc + jb..], ldc) } else { (&mut scratch[..], BLK) };
            // SAFETY: A rows ib..ib+32 (padded) of kpp pairs exist in `a`; panel jb/64 of W holds
            // kpp steps of 64 lanes, and columns jb%64..jb%64+32 lie inside it; the 32×32 block
            // at `dst` with row stride `ld` lies inside `c` (a full block inside the matrix,
            // whose last row has n ≥ jb + 32 entries) or is the scratch block; the tiles are
            // configured above.
            unsafe {
                tile32(
                    kpp / TK,
                    a.as_ptr().add(ib * kpp),
                    kpp,
                    w.data.as_ptr().add((jb / NR) * kpp * NR + jb % NR),
                    dst.as_mut_ptr(),
                    ld,
                )
            };
            if !full {
                for i in 0..rows {
                    let at = (i0 + ib + i) * ldc + jb;
                    c[at..at + cols].copy_from_slice(&scratch[i * BLK..i * BLK + cols]);
                }
            }
        }
    }
    // SAFETY: releases the tile state configured above; no tile is used after this.
    unsafe { asm!("tilerelease", options(nostack, nomem)) };
}

/// One 32×32 block: `C = Σ_steps A[0..32, step] · B[step, 0..32]` with A's rows at `a + i·lda`
/// (16 pairs = 64 bytes per row and step) and B's pair-rows at `b + p·NR` (32 lanes used),
/// stored to `c` with row stride `ldc` (elements).
///
/// # Safety
/// The tiles are configured by [`block`]; steps ≥ 1; `a + i·lda + 16s + l` readable for i < 32,
/// s < steps, l < 16; `b + (16s + r)·NR + l` readable for r < 16, l < 32; `c + i·ldc + l`
/// writable for i < 32, l < 32.
unsafe fn tile32(steps: usize, a: *const u32, lda: usize, b: *const u32, c: *mut f32, ldc: usize) {
    // SAFETY: the caller's bounds cover every tile load (16 rows × 64 bytes at the given strides)
    // and store; the loop runs `steps` ≥ 1 times; tmm0–7 are ours between ldtilecfg and
    // tilerelease in `block`.
    unsafe {
        asm!(
            "tilezero tmm0",
            "tilezero tmm1",
            "tilezero tmm2",
            "tilezero tmm3",
            "2:",
            "tileloadd tmm4, [{a0} + {sa}]",
            "tileloadd tmm5, [{a1} + {sa}]",
            "tileloadd tmm6, [{b} + {sb}]",
            "tileloadd tmm7, [{b} + {sb} + 64]",
            "tdpbf16ps tmm0, tmm4, tmm6",
            "tdpbf16ps tmm1, tmm4, tmm7",
            "tdpbf16ps tmm2, tmm5, tmm6",
            "tdpbf16ps tmm3, tmm5, tmm7",
            "add {a0}, 64",
            "add {a1}, 64",
            "add {b}, {bstep}",
            "dec {steps}",
            "jnz 2b",
            "tilestored [{c0} + {sc}], tmm0",
            "tilestored [{c0} + {sc} + 64], tmm1",
            "tilestored [{c1} + {sc}], tmm2",
            "tilestored [{c1} + {sc} + 64], tmm3",
            a0 = inout(reg) a => _,
            a1 = inout(reg) a.add(16 * lda) => _,
            b = inout(reg) b => _,
            steps = inout(reg) steps => _,
            sa = in(reg) lda * 4,
            sb = in(reg) NR * 4,
            bstep = in(reg) TK * NR * 4,
            c0 = in(reg) c,
            c1 = in(reg) c.add(16 * ldc),
            sc = in(reg) ldc * 4,
            options(nostack),
        );
    }
}
