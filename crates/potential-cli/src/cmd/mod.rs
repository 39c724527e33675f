//! One module per subcommand.

pub mod data;
pub mod generate;
pub mod inspect;
pub mod score;
