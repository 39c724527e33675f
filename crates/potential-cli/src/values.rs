//! Typed values of the closed-set flags (`--activation`, `--output`, `--variant`, `--optimizer`,
//! `--score`, `--what`, `--noise`): clap parses them, lists the valid names in `--help` and in its
//! error for an unknown one, and the commands receive the library's own types.

use clap::builder::PossibleValue;
use clap::ValueEnum;

/// A clap value over a library enum with `ALL` and `name()` (the names of the file formats and
/// the library's `FromStr`), so the two lists cannot drift apart.
macro_rules! library_value {
    ($(#[$m:meta])* $name:ident($inner:ty)) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name(pub $inner);

        impl ValueEnum for $name {
            fn value_variants<'a>() -> &'a [Self] {
                const N: usize = <$inner>::ALL.len();
                const ALL: [$name; N] = {
                    let mut out = [$name(<$inner>::ALL[0]); N];
                    let mut i = 1;
                    while i < N {
                        out[i] = $name(<$inner>::ALL[i]);
                        i += 1;
                    }
                    out
                };
                &ALL
            }

            fn to_possible_value(&self) -> Option<PossibleValue> {
                Some(PossibleValue::new(self.0.name()))
            }
        }

        impl From<$name> for $inner {
            fn from(v: $name) -> Self {
                v.0
            }
        }
    };
}

library_value!(
    /// `--activation`: a hidden activation by its file-format name.
    Activation(potential_activations::ActivationKind)
);
library_value!(
    /// `--output`: `real` (squared error) or `binary` (cross-entropy).
    OutputKind(potential_models::Output)
);
library_value!(
    /// `--variant`: what CSAE finetuning optimises (Table 4).
    Variant(potential_csae::Variant)
);
library_value!(
    /// `--optimizer`: the CSAE finetuning update rule.
    Optimizer(potential_csae::Optimizer)
);
library_value!(
    /// `--score` of `detect`: the score that ranks rows as outliers.
    NoveltyScore(potential_models::NoveltyScore)
);
library_value!(
    /// `--what` of `score`: the per-row score written.
    Score(potential_models::Score)
);

/// `--noise`: the denoising corruption of `train`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoiseKind {
    /// Zero-masking: each input set to 0 with probability P.
    Mask,
    /// Additive Gaussian noise of standard deviation P.
    Gaussian,
    /// Salt and pepper: each input set to 0 or 1 with probability P.
    SaltPepper,
}

impl NoiseKind {
    /// The library's name of the corruption ([`potential_train::Noise::from_name`]).
    pub fn name(self) -> &'static str {
        match self {
            NoiseKind::Mask => "mask",
            NoiseKind::Gaussian => "gaussian",
            NoiseKind::SaltPepper => "salt-pepper",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every library value is offered under its own name, in the library's order.
    #[test]
    fn values_are_the_library_lists() {
        let names = |v: &[PossibleValue]| v.iter().map(|p| p.get_name().to_owned()).collect::<Vec<_>>();
        let acts: Vec<_> =
            Activation::value_variants().iter().filter_map(|v| v.to_possible_value()).collect();
        let want: Vec<String> =
            potential_activations::ActivationKind::ALL.iter().map(|a| a.name().to_owned()).collect();
        assert_eq!(names(&acts), want);
        assert_eq!(
            Variant::from_str("normalize-only", false),
            Ok(Variant(potential_csae::Variant::NormalizeOnly))
        );
        assert_eq!(OutputKind::from_str("binary", false), Ok(OutputKind(potential_models::Output::Binary)));
        assert!(Score::from_str("laplacian", false).is_ok() && Score::from_str("softmax", false).is_err());
        for n in NoiseKind::value_variants() {
            assert!(potential_train::Noise::from_name(n.name(), 0.1).is_ok(), "{n:?}");
        }
    }
}
