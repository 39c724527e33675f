//! Criterion benchmarks of the potential workspace live in `benches/`; this library holds nothing but
//! the workspace README's Rust examples, compiled and run as doctests (a crate that is not
//! published may include a file outside itself).

/// The examples of the workspace's README.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct WorkspaceReadme;
