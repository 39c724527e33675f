//! The bf16 energy: the f32 precision is the plain energy bit for bit, the bf16 energy stays within
//! its derived bound (a seeded property over every activation and both output kinds), the bound is
//! not vacuous, and the errors are typed.

mod common;

use common::{case, runner};
use potential_activations::ActivationKind;
use potential_kernels::MatRef;
use potential_models::{Error, Output, Precision, Score, TiedAutoencoder};

/// A seeded xorshift stream of uniform values in [0, 1) (24 bits each).
fn uniform01(mut s: u64) -> impl FnMut() -> f32 {
    move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// A 40×300 sigmoid model over 50 pixel-like rows, weights of a trained scale.
fn mnist_like() -> (TiedAutoencoder, Vec<f32>) {
    let (h, d, n) = (40, 300, 50);
    let mut next = uniform01(0x1234_5678_9abc_def1);
    let w: Vec<f32> = (0..h * d).map(|_| (next() - 0.5) * 0.2).collect();
    let bh: Vec<f32> = (0..h).map(|_| next() - 0.5).collect();
    let br: Vec<f32> = (0..d).map(|_| next() * 0.3).collect();
    let x: Vec<f32> = (0..n * d).map(|_| if next() < 0.6 { 0.0 } else { next() }).collect();
    (TiedAutoencoder::new(w, bh, br, ActivationKind::Sigmoid, Output::Real).unwrap(), x)
}

#[test]
fn f32_precision_is_the_energy_bit_for_bit() {
    let (m, x) = mnist_like();
    let xv = MatRef::from_row_major(&x, x.len() / m.visible(), m.visible());
    let a = m.energy_batch(xv).unwrap();
    let b = m.energy_batch_with(xv, Precision::F32).unwrap();
    assert_eq!(
        a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        b.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
    for what in Score::ALL {
        let s = m.score_batch(xv, what).unwrap();
        let t = m.score_batch_with(xv, what, Precision::F32).unwrap();
        assert_eq!(s, t, "{what}");
    }
}

#[test]
fn bf16_energy_within_the_bound_property() {
    if !Precision::Bf16.is_available() {
        eprintln!("skipped: no AVX-512 BF16 on this CPU (or POTENTIAL_FORCE_PORTABLE set)");
        return;
    }
    let worst = std::cell::Cell::new(0.0f64);
    runner("bf16_energy_within_the_bound", 256)
        .run(&case(&ActivationKind::ALL, &[Output::Real, Output::Binary], 0.0), |c| {
            let d = c.model.visible();
            let xv = MatRef::from_row_major(&c.x, 1, d);
            let e32 = c.model.energy_batch_with(xv, Precision::F32).unwrap()[0];
            let e16 = c.model.energy_batch_with(xv, Precision::Bf16).unwrap()[0];
            let bound = c.model.bf16_energy_error_bound(&c.x).unwrap();
            // Derivation: Precision module docs (operand rounding 2⁻⁸ each, f32 sums γ_D, H′ = h).
            assert!((e16 - e32).abs() <= bound, "{:?}: |{e16} − {e32}| > {bound}", c.model.activation());
            worst.set(worst.get().max((e16 - e32).abs() / bound.max(f64::MIN_POSITIVE)));
            Ok(())
        })
        .unwrap();
    eprintln!("largest |ΔE| / bound over the cases: {:.3}", worst.get());
}

/// On a pixel-like batch: bf16 really differs from f32 (the path is used), every row is within its
/// bound, and the bound is within a factor 200 of the observed worst error (not vacuous).
#[test]
fn bf16_bound_is_met_and_not_vacuous_on_pixel_like_rows() {
    if !Precision::Bf16.is_available() {
        eprintln!("skipped: no AVX-512 BF16 on this CPU (or POTENTIAL_FORCE_PORTABLE set)");
        return;
    }
    let (m, x) = mnist_like();
    let d = m.visible();
    let xv = MatRef::from_row_major(&x, x.len() / d, d);
    let e32 = m.energy_batch(xv).unwrap();
    let e16 = m.energy_batch_with(xv, Precision::Bf16).unwrap();
    let mut ratio = 0.0f64;
    for (i, (a, b)) in e32.iter().zip(&e16).enumerate() {
        let bound = m.bf16_energy_error_bound(&x[i * d..(i + 1) * d]).unwrap();
        assert!((a - b).abs() <= bound, "row {i}: |{b} − {a}| > {bound}");
        ratio = ratio.max((a - b).abs() / bound);
    }
    assert!(e32 != e16, "the bf16 energies equal the f32 ones: the bf16 path was not used");
    assert!(ratio > 1.0 / 200.0, "bound vacuous: worst |ΔE|/bound = {ratio}");
    // Split invariance: a batch split in two gives the same bf16 energies.
    let half = (x.len() / d / 2) * d;
    let lo = m.energy_batch_with(MatRef::from_row_major(&x[..half], half / d, d), Precision::Bf16).unwrap();
    assert_eq!(&e16[..half / d], &lo[..]);
}

#[test]
fn precision_errors_are_typed() {
    let (m, x) = mnist_like();
    let xv = MatRef::from_row_major(&x, x.len() / m.visible(), m.visible());
    let e = m.score_batch_with(xv, Score::Laplacian, Precision::Bf16).unwrap_err();
    assert!(matches!(e, Error::PrecisionUnsupported { score: "laplacian", precision: "bf16" }), "{e}");
    assert_eq!("bf16".parse::<Precision>().unwrap(), Precision::Bf16);
    assert_eq!("f32".parse::<Precision>().unwrap(), Precision::F32);
    assert!("f16".parse::<Precision>().unwrap_err().to_string().contains("expected f32 or bf16"));
    if !Precision::Bf16.is_available() {
        let e = m.energy_batch_with(xv, Precision::Bf16).unwrap_err();
        assert!(matches!(e, Error::Bf16Unavailable { what: "energy" }), "{e}");
        assert!(e.to_string().contains("avx512bf16"), "{e}");
    }
}

/// The bound is the formula of the module docs, term by term (written here from the docs, in
/// `f64`), for every activation: per unit k, δₖ = (2u_b + u_b² + γ_D(1 + (1 + u_b)²))·sₖ + D·2⁻¹²⁶,
/// δ′ₖ = δₖ + 2⁻²³(|aₖ| + δₖ), Lₖ = max |h| at aₖ ± δ′ₖ, and the sum of δ′ₖLₖ + 2·10⁻⁶·max(1,
/// |H(aₖ)| + δ′ₖLₖ), with the stated margin of 10⁻⁶. (A bound only ever checked from above could
/// be any larger number.) Needs no bf16 hardware: the bound is arithmetic.
#[test]
fn bf16_bound_is_the_documented_formula() {
    let (h, d) = (5, 7);
    let mut u = uniform01(0x2545_f491_4f6c_dd1d);
    let mut next = move || u() * 2.0 - 1.0;
    for act in ActivationKind::ALL {
        let w: Vec<f32> = (0..h * d).map(|_| next() * 0.8).collect();
        let bh: Vec<f32> = (0..h).map(|_| next()).collect();
        let m = TiedAutoencoder::new(w.clone(), bh.clone(), vec![0.0; d], act, Output::Real).unwrap();
        let x: Vec<f32> = (0..d).map(|_| next() * 3.0).collect();
        let (ub, df) = (2f64.powi(-8), d as f64);
        let gamma = df * 2f64.powi(-24) / (1.0 - df * 2f64.powi(-24));
        let mut want = 0.0f64;
        for k in 0..h {
            let row = &w[k * d..(k + 1) * d];
            let sk: f64 = row.iter().zip(&x).map(|(&a, &b)| (a as f64 * b as f64).abs()).sum();
            let ak: f64 = bh[k] as f64 + row.iter().zip(&x).map(|(&a, &b)| a as f64 * b as f64).sum::<f64>();
            let delta = (2.0 * ub + ub * ub + gamma * (1.0 + (1.0 + ub).powi(2))) * sk + df * 2f64.powi(-126);
            let dp = delta + 2f64.powi(-23) * (ak.abs() + delta);
            let l = (act.h((ak - dp) as f32) as f64).abs().max((act.h((ak + dp) as f32) as f64).abs());
            let big_h = (act.antiderivative(ak as f32) as f64).abs();
            want += dp * l + 2e-6 * (big_h + dp * l).max(1.0);
        }
        want *= 1.0 + 1e-6;
        let got = m.bf16_energy_error_bound(&x).unwrap();
        assert!((got - want).abs() <= 1e-12 * want, "{act:?}: {got} vs {want}");
    }
}

#[test]
fn precisions_are_named_and_parse_back() {
    for (p, name) in [(Precision::F32, "f32"), (Precision::Bf16, "bf16")] {
        assert_eq!(p.to_string(), name);
        assert_eq!(name.parse::<Precision>().unwrap(), p);
    }
    assert!(Precision::F32.is_available());
}
