//! One module per subcommand.

pub mod data;
pub mod demo;
pub mod generate;
pub mod inspect;
pub mod score;
pub mod train;
