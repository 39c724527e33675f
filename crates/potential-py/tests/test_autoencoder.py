"""Autoencoder and TiedAutoencoder: the same Rust code as `potential train`, the energy calculus
against closed forms, model files."""

import numpy as np
import pytest
from conftest import blobs, digits, run_cli

from potential import Autoencoder, TiedAutoencoder


@pytest.mark.parametrize(
    "flags, params",
    [
        (["--contractive", 0.1], {"contractive": 0.1}),
        (["--denoise", 0.3, "--noise", "gaussian"], {"denoise": 0.3, "noise": "gaussian"}),
    ],
    ids=["contractive", "denoising"],
)
def test_python_and_the_cli_train_the_same_model_file(cli, tmp_path, flags, params):
    X, _ = digits()
    np.save(tmp_path / "x.npy", X[:500])
    ae = Autoencoder(hidden=12, epochs=4, batch_size=50, random_state=4, **params).fit(X[:500])
    run_cli(cli, "train", "--data", tmp_path / "x.npy", "--hidden", 12, "--epochs", 4, "--batch-size", 50,
            "--seed", 4, *flags, "--quiet", "--out", tmp_path / "m.safetensors")
    assert ae.model_.to_bytes() == (tmp_path / "m.safetensors").read_bytes()
    loaded = TiedAutoencoder.load(tmp_path / "m.safetensors")
    assert loaded == ae.model_
    np.testing.assert_array_equal(loaded.energy(X), ae.energy(X))
    assert loaded.provenance["config"]["seed"] == 4


def test_transform_and_the_calculus_of_the_fitted_model():
    X = blobs(300, 4, seed=3)
    ae = Autoencoder(hidden=6, activation="tanh", epochs=15, batch_size=30, contractive=0.1,
                     random_state=0).fit(X)
    H = ae.transform(X)
    assert H.shape == (300, 6) and H.dtype == np.float32
    m = ae.model_
    np.testing.assert_allclose(H, np.tanh(X @ m.weight.T + m.hidden_bias), rtol=1e-5, atol=1e-6)
    R = ae.reconstruct(X)
    np.testing.assert_allclose(R, H @ m.weight + m.visible_bias, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ae.vector_field(X), R - X, rtol=1e-4, atol=1e-5)
    # Laplacian = sum_k h'(u_k) ||w_k||^2 - D (Eq. 38); contraction = sum_k h'(u_k)^2 ||w_k||^2.
    dh = 1 - H.astype(np.float64) ** 2
    norms = (m.weight.astype(np.float64) ** 2).sum(axis=1)
    np.testing.assert_allclose(ae.laplacian(X), dh @ norms - 4, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ae.contraction(X), dh**2 @ norms, rtol=1e-5, atol=1e-6)
    # The energy's gradient is the vector field (Eq. 9), by central differences.
    e = np.eye(4, dtype=np.float64) * 1e-3
    x = X[:5].astype(np.float64)
    fd = np.stack([(ae.energy((x + e[j]).astype(np.float32)) - ae.energy((x - e[j]).astype(np.float32))) / 2e-3
                   for j in range(4)], axis=1)
    np.testing.assert_allclose(fd, ae.vector_field(X[:5]), atol=2e-2)
    np.testing.assert_array_equal(ae.score_samples(X), ae.energy(X))
    assert ae.get_feature_names_out().tolist() == [f"autoencoder{i}" for i in range(6)]
    assert ae.history_[-1]["epoch"] == 15


def test_a_linear_model_has_the_closed_form_energy_and_laplacian():
    m = TiedAutoencoder([[1.0, 0.0]], [0.0], [0.0, 0.0], activation="linear")
    assert m.energy([[3.0, 4.0]]).tolist() == [-8.0]
    assert m.vector_field([[3.0, 4.0]]).tolist() == [[0.0, -4.0]]
    assert m.laplacian([[3.0, 4.0]]).tolist() == [-1.0]
    assert m.encode([[3.0, 4.0]]).tolist() == [[3.0]]
    assert (m.n_hidden, m.n_features, m.activation, m.output) == (1, 2, "linear", "real")
    assert repr(m) == "TiedAutoencoder(1 x 2, activation='linear', output='real')"


def test_files_and_bytes_round_trip(tmp_path):
    X = blobs(100, 3, seed=1)
    ae = Autoencoder(hidden=5, epochs=3, random_state=2).fit(X)
    b = ae.model_.to_bytes()
    back = TiedAutoencoder.from_bytes(b)
    assert back == ae.model_ and back.to_bytes() == b
    ae.model_.save(tmp_path / "m.safetensors")
    assert (tmp_path / "m.safetensors").read_bytes() == b
    np.testing.assert_array_equal(TiedAutoencoder.load(str(tmp_path / "m.safetensors")).reconstruct(X),
                                  ae.reconstruct(X))
    for bad in [b"", b"not a model", b[: len(b) // 2], b[:9] + b"!" + b[10:]]:
        with pytest.raises(ValueError, match="not a valid safetensors file"):
            TiedAutoencoder.from_bytes(bad)
    with pytest.raises(ValueError, match="unknown activation `sigmoix`"):
        TiedAutoencoder.from_bytes(b.replace(b"sigmoid", b"sigmoix"))
    with pytest.raises(FileNotFoundError, match="missing"):
        TiedAutoencoder.load(tmp_path / "missing.safetensors")
    (tmp_path / "corrupt.safetensors").write_bytes(b[:40])
    with pytest.raises(ValueError, match="corrupt.safetensors"):
        TiedAutoencoder.load(tmp_path / "corrupt.safetensors")


def test_binary_output_needs_data_in_the_unit_cube():
    X, _ = digits()
    ae = Autoencoder(hidden=8, output="binary", epochs=2, random_state=0).fit(X[:200])
    assert np.isfinite(ae.energy(X[:10])).all()
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        Autoencoder(hidden=8, output="binary", epochs=2).fit(X[:200] * 2)
    with pytest.raises(ValueError, match="infinite"):
        ae.laplacian(X[:10])  # pixels exactly 0: the log-odds are infinite there
