"""scikit-learn's own estimator checks, for every estimator, with their defaults and with short
training runs. Every check passes: no expected failure is listed."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from potential import Autoencoder, CSAEClassifier, EnergyDetector

ESTIMATORS = [
    EnergyDetector(),
    EnergyDetector(epochs=30, members=2, random_state=0),
    CSAEClassifier(),
    CSAEClassifier(hidden=16, variant="hinge", optimizer="adam", random_state=0),
    Autoencoder(),
    Autoencoder(hidden=6, epochs=5, denoise=0.2, noise="gaussian", random_state=0),
]

#: Checks an estimator is expected to fail, with the reason: none.
EXPECTED_FAILURES = {}


def expected_failed_checks(estimator):
    return EXPECTED_FAILURES.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
