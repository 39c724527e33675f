//! [`Output`]: the decoder's output kind.

/// The output (decoder) nonlinearity of a tied autoencoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Output {
    /// Real-valued output `r(x) = Wᵀh(u) + b_r`; energy Eq. 11–21. File name `real`.
    #[default]
    Real,
    /// Binary (sigmoid) output `r(x) = σ(Wᵀh(u) + b_r)` for data in [0, 1]; energy Eq. 28 with its
    /// entropy term. File name `binary`.
    Binary,
}

impl Output {
    /// Both kinds.
    pub const ALL: [Output; 2] = [Output::Real, Output::Binary];

    /// The name used in model files: `"real"` or `"binary"`.
    pub const fn name(self) -> &'static str {
        match self {
            Output::Real => "real",
            Output::Binary => "binary",
        }
    }
}

impl core::fmt::Display for Output {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

impl core::str::FromStr for Output {
    type Err = crate::FormatError;

    /// Parse `"real"` or `"binary"` exactly.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "real" => Ok(Output::Real),
            "binary" => Ok(Output::Binary),
            _ => Err(crate::FormatError::UnknownOutput { found: s.to_owned() }),
        }
    }
}
