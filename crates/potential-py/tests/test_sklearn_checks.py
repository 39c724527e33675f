"""scikit-learn's own estimator checks, for every estimator, with the expected failures listed
with their reasons."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from potential import Autoencoder, CSAEClassifier, EnergyDetector

ESTIMATORS = [
    EnergyDetector(epochs=30, random_state=0),
    CSAEClassifier(hidden=16, random_state=0),
    Autoencoder(hidden=6, epochs=5, random_state=0),
]

#: Checks each estimator is expected to fail, with why.
EXPECTED_FAILURES = {}


def expected_failed_checks(estimator):
    return EXPECTED_FAILURES.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
