//! Criterion benchmarks of the potential workspace live in `benches/`; this library is empty.
