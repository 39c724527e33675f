//! Ready-made configurations: the settings of `potential demo` on the embedded UCI digits
//! ([`potential_data::embedded_digits`]), for a library user who wants the demo's classifier, and
//! those of the reduced MNIST pipeline ([`reduced_mnist`]).

use crate::{
    select_and_fit, Csae, CsaeConfig, FinetuneConfig, Grid, Observer, PretrainOn, Result, Selection, Trial,
};
use potential_data::{Dataset, DIGITS_SIDE};
use potential_train::TrainConfig;

/// Zero-masking probability of the digits preset's finetuning ([`FinetuneConfig::input_mask`]),
/// chosen on the writer-disjoint validation rows (RESULTS.md, "The main job").
pub const DIGITS_INPUT_MASK: f32 = 0.1;

/// The digits preset: per class a contractive sigmoid autoencoder pretrained for 100 epochs (λ =
/// 0.2, minibatches of 20, learning rate 0.1), then up to 40 epochs of finetuning (minibatches of
/// 20, momentum 0.9, patience 10, inputs masked with probability [`DIGITS_INPUT_MASK`]), over the
/// grid hidden ∈ {50, 100} × learning rate ∈ {0.01, 0.03}. The selection runs pretrain on the
/// training rows only and the refit pretrains again on train + validation ([`PretrainOn::Train`],
/// the leak-free protocol).
pub fn digits(seed: u64) -> (CsaeConfig, Grid) {
    let cfg = CsaeConfig {
        hidden: 50,
        pretrain: Some(TrainConfig {
            epochs: 100,
            batch_size: 20,
            learning_rate: 0.1,
            contractive: 0.2,
            seed,
            metric_rows: 200,
            ..TrainConfig::default()
        }),
        finetune: FinetuneConfig {
            epochs: 40,
            batch_size: 20,
            learning_rate: 0.03,
            patience: Some(10),
            input_mask: DIGITS_INPUT_MASK,
            seed,
            ..FinetuneConfig::default()
        },
        seed,
        pretrain_on: PretrainOn::Train,
        ..CsaeConfig::default()
    };
    let grid = Grid { hidden: vec![50, 100], learning_rate: vec![0.01, 0.03], weight_decay: vec![0.0] };
    (cfg, grid)
}

/// The reduced MNIST pipeline of the CI test (RESULTS.md, "MNIST, reduced pipeline"; trained on
/// the first 10000 training images): 100 sigmoid hiddens per class on the plain Glorot bound
/// (`init_scale` 1), 50 epochs of contractive pretraining (λ = 0.2, learning rate 0.02, momentum
/// 0.9, minibatches of 100, seed 2·`seed` − 1), 20 epochs of finetuning (learning rate 0.01,
/// momentum 0.9, minibatches of 100, inputs masked with probability 0.2, seed 2·`seed`). Chosen on
/// validation rows (training rows 50000–60000). `seed` ≥ 1; seed 1 is the CI test's run.
pub fn reduced_mnist(seed: u64) -> CsaeConfig {
    CsaeConfig {
        hidden: 100,
        pretrain: Some(TrainConfig {
            epochs: 50,
            learning_rate: 0.02,
            contractive: 0.2,
            seed: 2 * seed - 1,
            ..TrainConfig::default()
        }),
        finetune: FinetuneConfig {
            epochs: 20,
            learning_rate: 0.01,
            input_mask: 0.2,
            seed: 2 * seed,
            ..FinetuneConfig::default()
        },
        init_scale: Some(1.0),
        ..CsaeConfig::default()
    }
}

/// The fit of `potential demo` with a configuration from [`digits`] (possibly changed): the
/// selection ([`select_and_fit`]) on `train` with its one-pixel shifts
/// ([`Dataset::with_shifts`], 8×8 images), early stopping and the choice on `valid` as it is, and
/// the refit on both.
///
/// # Errors
/// As [`select_and_fit`]; [`crate::Error::Dataset`] when the rows are not 8×8 images.
pub fn fit_digits(
    cfg: &CsaeConfig,
    grid: &Grid,
    train: &Dataset,
    valid: &Dataset,
    observer: Observer<'_>,
    on_trial: &mut dyn FnMut(&Trial),
) -> Result<(Csae, Selection)> {
    let shifted = train.with_shifts(DIGITS_SIDE, DIGITS_SIDE)?;
    select_and_fit(cfg, grid, &shifted, valid, observer, on_trial)
}

#[cfg(test)]
mod tests {
    use super::*;
    use potential_data::Features;

    /// The preset is the demo's: its grid, its seed everywhere, the leak-free protocol; rows that
    /// are not 8×8 images are refused before anything is trained.
    #[test]
    fn digits_preset_and_its_shape_check() {
        let (cfg, grid) = digits(7);
        assert_eq!(
            (grid.hidden.as_slice(), grid.learning_rate.as_slice()),
            (&[50, 100][..], &[0.01, 0.03][..])
        );
        assert_eq!((cfg.seed, cfg.finetune.seed, cfg.pretrain.as_ref().map(|p| p.seed)), (7, 7, Some(7)));
        assert_eq!((cfg.pretrain_on, cfg.finetune.input_mask), (PretrainOn::Train, DIGITS_INPUT_MASK));
        cfg.validate().unwrap();
        let rows =
            Dataset::new(Features::from_vec(vec![0.5; 40], 4, 10).unwrap(), vec![0, 1, 0, 1], None).unwrap();
        let err = fit_digits(&cfg, &grid, &rows, &rows, &|_| {}, &mut |_| {}).unwrap_err();
        assert!(matches!(err, crate::Error::Dataset(_)), "{err}");
    }
}
