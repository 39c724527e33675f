"""The estimators inside Pipeline and GridSearchCV."""

import numpy as np
from conftest import blobs, digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from potential import Autoencoder, CSAEClassifier, EnergyDetector


def test_minmax_scaler_and_detector_in_grid_search():
    X = blobs(400, 4, seed=3, outliers=40)
    y = np.r_[np.ones(360), -np.ones(40)]  # 1 = inlier, as predict says
    pipe = Pipeline([("scale", MinMaxScaler()), ("detect", EnergyDetector(epochs=10, random_state=0))])
    grid = GridSearchCV(pipe, {"detect__hidden": [4, 8], "detect__combine": ["softplus", "mean"]},
                        scoring="roc_auc", cv=StratifiedKFold(3, shuffle=True, random_state=0))
    grid.fit(X, y)
    assert set(grid.best_params_) == {"detect__hidden", "detect__combine"}
    assert grid.best_score_ > 0.9
    best = grid.best_estimator_
    assert best.predict(X).shape == (400,)
    # The pipeline scores as its steps do.
    det = best.named_steps["detect"]
    np.testing.assert_array_equal(best.score_samples(X), det.score_samples(best.named_steps["scale"].transform(X)))


def test_csae_in_grid_search_and_cross_validation():
    X, y = digits([0, 1, 2, 3])
    pipe = make_pipeline(StandardScaler(), CSAEClassifier(hidden=16, pretrain_epochs=2, finetune_epochs=3,
                                                          random_state=0))
    grid = GridSearchCV(pipe, {"csaeclassifier__learning_rate": [0.003, 0.01]}, cv=3)
    grid.fit(X, y)
    assert grid.best_score_ > 0.9
    assert grid.predict_proba(X[:5]).shape == (5, 4)
    assert cross_val_score(pipe, X, y, cv=3).mean() > 0.9


def test_autoencoder_codes_feed_a_classifier_and_set_output_works():
    X, y = digits([4, 7])
    pipe = make_pipeline(Autoencoder(hidden=16, activation="tanh", epochs=20, contractive=0.1, random_state=0),
                         LogisticRegression(max_iter=500))
    assert cross_val_score(pipe, X, y, cv=3).mean() > 0.9
    ae = Autoencoder(hidden=3, epochs=2, random_state=0).set_output(transform="pandas")
    df = ae.fit_transform(X)
    assert list(df.columns) == ["autoencoder0", "autoencoder1", "autoencoder2"]
