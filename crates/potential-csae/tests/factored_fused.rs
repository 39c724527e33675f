//! The factored finetuner's momentum step with Wʰ and Wˣ updated in their gradient gemms
//! (`gemm_momentum`) equals, bit for bit, the gradient followed by a separate momentum pass over
//! every tensor — on a minibatch whose stacked weight-gradient product has an inner dimension of
//! K·B = 400 (> one 320-long k-block of the gemm), in one- and two-thread pools.

use potential_activations::ActivationKind;
use potential_csae::{FactoredCsae, FactoredFinetuner, Variant};
use potential_data::embedded_digits;
use potential_models::Output;

fn bits(x: &[f32]) -> Vec<u32> {
    x.iter().map(|v| v.to_bits()).collect()
}

fn run(threads: usize) {
    let data = embedded_digits().subset_classes(&[0, 1, 2, 3]);
    let (d, nb, steps) = (data.d(), 100, 4);
    let x: Vec<f32> = data.features().as_slice().iter().map(|v| v / 16.0).collect();
    let y = data.labels();
    let names = (0..4).map(|i| i.to_string()).collect::<Vec<_>>();
    let model = FactoredCsae::init(d, 48, 40, names, ActivationKind::Sigmoid, Output::Real, None, 3).unwrap();
    let (lr, mu) = (0.05f32, 0.9f32);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| {
        // Fused: the library's step.
        let mut fused = model.clone();
        let mut ws = FactoredFinetuner::new(&fused, nb, Variant::Log, 1e-3).unwrap();
        // Reference: the gradient, then v ← μv − ηg; θ ← θ + v on every tensor.
        let mut plain = model.clone();
        let mut wr = FactoredFinetuner::new(&plain, nb, Variant::Log, 1e-3).unwrap();
        let mut vel: Vec<Vec<f32>> = Vec::new();
        for s in 0..steps {
            let (xs, ys) = (&x[s * nb * d..(s + 1) * nb * d], &y[s * nb..(s + 1) * nb]);
            let lf = ws.step(&mut fused, xs, ys, lr, mu).unwrap();
            let lp = wr.gradient(&plain, xs, ys).unwrap();
            assert_eq!(lf.to_bits(), lp.to_bits(), "loss, step {s}");
            let g = wr.gradient_parts();
            let grads = [
                &g.input_factors,
                &g.hidden_factors,
                &g.class_factors,
                &g.hidden_bias,
                &g.visible_bias,
                &g.class_bias,
            ];
            // The fused step leaves the gradient in its workspace too.
            let gf = ws.gradient_parts();
            assert_eq!(bits(&gf.hidden_factors), bits(&g.hidden_factors), "∂Wʰ, step {s}");
            assert_eq!(bits(&gf.input_factors), bits(&g.input_factors), "∂Wˣ, step {s}");
            if vel.is_empty() {
                vel = grads.iter().map(|t| vec![0.0; t.len()]).collect();
            }
            let p = plain.params_mut();
            let params = [
                p.input_factors,
                p.hidden_factors,
                p.class_factors,
                p.hidden_bias,
                p.visible_bias,
                p.class_bias,
            ];
            for ((p, v), g) in params.into_iter().zip(&mut vel).zip(grads) {
                for ((p, v), &g) in p.iter_mut().zip(v.iter_mut()).zip(g.iter()) {
                    *v = mu * *v - lr * g;
                    *p += *v;
                }
            }
            assert_eq!(fused, plain, "parameters after step {s} ({threads} threads)");
        }
    });
}

#[test]
fn fused_momentum_step_is_the_two_pass_step_one_thread() {
    run(1);
}

#[test]
fn fused_momentum_step_is_the_two_pass_step_two_threads() {
    run(2);
}
