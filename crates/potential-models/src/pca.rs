//! The linear (PCA) autoencoder: the top-d principal directions of a data matrix (Sec. 3.1).

use crate::tied::{non_finite_in, rows_of};
use crate::{Error, Output, Result, TiedAutoencoder};
use potential_activations::ActivationKind;
use potential_kernels::{gemm, MatMut, MatRef, Parallelism};

impl TiedAutoencoder {
    /// The PCA autoencoder of `data` ([n, D]) with `d` hidden units: linear hiddens, W = the top-d
    /// eigenvectors of the covariance as rows (W Wᵀ = I), b_h = −Wμ and b_r = μ for the data mean μ,
    /// so r(x) = μ + WᵀW(x − μ) is the orthogonal projection onto the principal subspace and
    /// `E(x) = −½‖(I − WᵀW)(x − μ)‖²`, with ΔE = d − D everywhere (Sec. 3.1).
    ///
    /// The covariance (1/n)·(X − μ)ᵀ(X − μ) is one f32 gemm of the centred data (mean in f64); its
    /// eigendecomposition is `nalgebra`'s `SymmetricEigen` in f64 (Householder tridiagonalisation +
    /// implicit symmetric QR). Equal eigenvalues make the directions non-unique; any orthonormal
    /// basis of the subspace gives the same model function.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if n = 0 or d > D; [`Error::Shape`] if D = 0;
    /// [`Error::NonFinite`] naming the data row and column; [`Error::Eigen`] if the decomposition
    /// fails.
    pub fn pca(data: MatRef<'_>, d: usize) -> Result<Self> {
        let dim = data.cols();
        let xs = rows_of(data, dim, "pca")?;
        let n = xs.n;
        if dim == 0 {
            return Err(Error::Shape { op: "pca", what: "data columns", expected: 1, found: 0 });
        }
        if n == 0 {
            return Err(Error::InvalidParameter { name: "data", reason: "needs at least one row" });
        }
        if d > dim {
            return Err(Error::InvalidParameter { name: "d", reason: "more components than dimensions" });
        }
        let mut mean = vec![0.0f64; dim];
        for i in 0..n {
            let r = xs.row(i);
            if let Some(e) = non_finite_in(i, r) {
                return Err(e);
            }
            mean.iter_mut().zip(r).for_each(|(m, &v)| *m += v as f64);
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        let mut centred = vec![0.0f32; n * dim];
        for i in 0..n {
            for ((c, &v), &m) in centred[i * dim..(i + 1) * dim].iter_mut().zip(xs.row(i)).zip(&mean) {
                *c = (v as f64 - m) as f32;
            }
        }
        let mut cov = vec![0.0f32; dim * dim];
        let c = MatRef::from_row_major(&centred, n, dim);
        gemm(
            1.0 / n as f32,
            c.t(),
            c,
            0.0,
            MatMut::from_row_major(&mut cov, dim, dim),
            Parallelism::Rayon(0),
        );
        // Symmetrise exactly (the gemm's two triangles differ by rounding).
        let sym = nalgebra::DMatrix::<f64>::from_fn(dim, dim, |a, b| {
            0.5 * (cov[a * dim + b] as f64 + cov[b * dim + a] as f64)
        });
        let eig = nalgebra::SymmetricEigen::try_new(sym, f64::EPSILON, 0).ok_or(Error::Eigen { dim })?;
        let mut order: Vec<usize> = (0..dim).collect();
        order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
        let mut weight = Vec::with_capacity(d * dim);
        for &k in &order[..d] {
            let v = eig.eigenvectors.column(k);
            let norm = v.norm();
            weight.extend(v.iter().map(|&x| (x / norm) as f32));
        }
        let hidden_bias: Vec<f32> = (0..d)
            .map(|k| -(0..dim).map(|j| weight[k * dim + j] as f64 * mean[j]).sum::<f64>() as f32)
            .collect();
        let visible_bias: Vec<f32> = mean.iter().map(|&m| m as f32).collect();
        Self::new(weight, hidden_bias, visible_bias, ActivationKind::Linear, Output::Real)
    }
}
