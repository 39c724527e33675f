//! # potential-data
//!
//! Datasets: memory-mapped IDX and NumPy `.npy`, Larochelle `.amat`, the UCI digits, generators for
//! the Larochelle et al. (2007) benchmark, splits and seeded minibatches.
