//! One module per subcommand.

pub mod data;
pub mod inspect;
pub mod score;
