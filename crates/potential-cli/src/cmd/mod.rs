//! One module per subcommand.

pub mod csae;
pub mod data;
pub mod demo;
pub mod demo_digits;
pub mod detect;
pub mod detect_fit;
pub mod generate;
pub mod inspect;
pub mod score;
pub mod train;
