//! CSAE finetuning runs under flush-to-zero (`potential_kernels::FlushToZero`): once a wrong
//! class's softmax probability falls below 2⁻¹²⁶, the weight gradient it feeds is subnormal, which
//! costs Intel cores a microcode assist per operation. Under the flush those entries are zero; with
//! `set_flush_to_zero(false)` (`POTENTIAL_FTZ=0`) they are kept, as before the flush existed. Each
//! mode gives the same bits at one and two threads.
//!
//! The switch is process-wide, so this file holds a single test.

use potential_activations::ActivationKind;
use potential_csae::{Csae, Finetuner, Variant};
use potential_kernels::set_flush_to_zero;
use potential_models::Output;
use potential_train::init_model;

/// The weight gradients of three classes for rows of class 0 when class 1's logit sits 2 below
/// class 0's and class 2's sits `gap` below: class 2's probability is about e^(−gap), and classes
/// 0 and 1 carry ordinary gradients.
fn weight_gradients(gap: f32, threads: usize) -> (Vec<f32>, Vec<f32>) {
    let classes =
        (0..3).map(|i| init_model(6, 8, ActivationKind::Sigmoid, Output::Real, i).unwrap()).collect();
    let model = Csae::new(classes, vec!["a".into(), "b".into(), "c".into()], vec![0.0; 3]).unwrap();
    let x: Vec<f32> = (0..4 * 8).map(|i| 0.25 + (i % 5) as f32 / 8.0).collect();
    let y = [0u32; 4];
    let mut ws = Finetuner::new(&model, 4, Variant::Log, 0.0);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| {
        ws.gradient(&model, &x, &y).unwrap();
        let e = ws.energies(4);
        let mut shifted = model.clone();
        // Logit sₙᵢ = Eᵢ(xₙ) + Cᵢ: move C₁ and C₂ so that row 0's logits differ by 2 and `gap`.
        shifted.class_bias_mut()[1] = (e[0] - e[1]) as f32 - 2.0;
        shifted.class_bias_mut()[2] = (e[0] - e[2]) as f32 - gap;
        ws.gradient(&shifted, &x, &y).unwrap();
    });
    let g = ws.gradient_parts();
    let normal: Vec<f32> = g.classes[..2].iter().flat_map(|c| c.weight.iter().copied()).collect();
    (normal, g.classes[2].weight.clone())
}

fn subnormals(v: &[f32]) -> usize {
    v.iter().filter(|x| x.is_subnormal()).count()
}

#[test]
fn finetuning_flushes_subnormal_gradients_unless_switched_off() {
    // A gap of 95: class 2's probability ≈ 5·10⁻⁴², a subnormal f32.
    set_flush_to_zero(false);
    let (kept0, kept1) = weight_gradients(95.0, 1);
    assert!(subnormals(&kept1) > 0, "the test's gap gives no subnormal gradient: {kept1:?}");
    assert_eq!(weight_gradients(95.0, 2), (kept0.clone(), kept1.clone()));
    if !set_flush_to_zero(true) {
        eprintln!(
            "skipped: no flush-to-zero mode on this target (the gradients above keep their subnormals)"
        );
        return;
    }
    let (flushed0, flushed1) = weight_gradients(95.0, 1);
    assert_eq!(subnormals(&flushed1), 0);
    assert!(flushed1.iter().all(|&v| v == 0.0), "class 2's whole gradient is below 2⁻¹²⁶: {flushed1:?}");
    // Classes 0 and 1: normal gradients, unchanged by the flush.
    assert_eq!(flushed0, kept0);
    assert!(kept0.iter().any(|&v| v.abs() > 1e-6));
    assert_eq!(weight_gradients(95.0, 2), (flushed0, flushed1));
    // A modest gap: nothing is subnormal, and both modes agree bit for bit.
    let on = weight_gradients(20.0, 1);
    set_flush_to_zero(false);
    assert_eq!(weight_gradients(20.0, 1), on);
}
