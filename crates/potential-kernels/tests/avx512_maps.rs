//! The 16-lane AVX-512 maps of the AVX2+FMA path (`map`, `map_inplace`, `bias_act`) give the
//! 8-lane AVX2 maps' bits: every op and every activation (with and without the derivative), over a
//! sweep of the whole `f32` bit range with the special values, at every length from 0 to 40 (all
//! tail sizes of both widths) and a long one — both forms in one process, switched with
//! `paths::set_maps_avx512`. (One test function: the switch is process-wide.)

mod common;

use common::{bit_sweep, bits, uniform};
use potential_kernels::{paths as kp, ActivationKind, SimdPath, UnaryOp};

/// Every map's output bits on `xs` (and the first `xs.len()` of `bias`), labelled.
fn outputs(xs: &[f32], bias: &[f32]) -> Vec<(String, Vec<u32>)> {
    let path = SimdPath::Avx2Fma;
    let n = xs.len();
    let mut out = Vec::new();
    for op in UnaryOp::ALL {
        let mut d = vec![0.0f32; n];
        kp::map(path, op, xs, &mut d);
        out.push((format!("map {op:?}"), bits(&d)));
        let mut b = xs.to_vec();
        kp::map_inplace(path, op, &mut b);
        out.push((format!("map_inplace {op:?}"), bits(&b)));
    }
    for f in ActivationKind::ALL {
        for with_dh in [false, true] {
            let (mut u, mut h, mut dh) = (xs.to_vec(), vec![0.0f32; n], vec![0.0f32; n]);
            kp::bias_act(path, &mut u, &bias[..n], f, &mut h, with_dh.then_some(&mut dh[..]));
            let tag = format!("bias_act {f:?} dh={with_dh}");
            out.push((format!("{tag} u"), bits(&u)));
            out.push((format!("{tag} h"), bits(&h)));
            out.push((format!("{tag} dh"), bits(&dh)));
        }
    }
    out
}

#[test]
fn avx512_maps_give_the_avx2_bits() {
    if !SimdPath::Avx2Fma.is_supported() || !kp::set_maps_avx512(true) {
        eprintln!("skipped: AVX-512 maps (this CPU lacks AVX-512 F, AVX2 or FMA); nothing to compare");
        return;
    }
    // The whole bit range with the specials, then ordinary values where the maps' branches turn.
    let mut xs = bit_sweep(20_000);
    xs.extend(uniform(5_000, -100.0, 100.0, 7));
    xs.extend(uniform(5_000, -2.0, 2.0, 8));
    let mut bias = uniform(xs.len(), -1.0, 1.0, 9);
    // Biases that are special too: an infinite or NaN pre-activation from a finite u.
    for (i, b) in bias.iter_mut().enumerate().step_by(97) {
        *b = [f32::INFINITY, f32::NEG_INFINITY, f32::NAN, -0.0, 1e38][i % 5];
    }
    let mut cases: Vec<(usize, usize)> = (0..=40).map(|n| (n * 13 % 1000, n)).collect();
    cases.push((0, xs.len()));
    for (start, n) in cases {
        let (x, b) = (&xs[start..start + n], &bias[start..start + n]);
        assert!(kp::set_maps_avx512(true));
        assert!(kp::maps_avx512());
        let wide = outputs(x, b);
        kp::set_maps_avx512(false);
        assert!(!kp::maps_avx512());
        let narrow = outputs(x, b);
        for ((tag, w), (_, a)) in wide.iter().zip(&narrow) {
            if let Some(i) = (0..w.len()).find(|&i| w[i] != a[i]) {
                panic!(
                    "{tag}, length {n} from {start}: element {i} (x = {:e}, bias {:e}) is {:#010x} in 16 \
                     lanes and {:#010x} in 8",
                    x[i], b[i], w[i], a[i]
                );
            }
        }
    }
    kp::set_maps_avx512(true);
}
