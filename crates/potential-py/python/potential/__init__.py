"""Exact energies of tied autoencoders as scikit-learn estimators.

``potential`` is the Python face of the Rust workspace of the same name, which implements
"The Potential Energy of an Autoencoder" (Kamyshanska & Memisevic, TPAMI 2015). The numerics run
in Rust -- the same code as the ``potential`` command line, so a seed gives the same bits here and
there -- with the GIL released; this package only validates and converts the data.

Estimators
----------
EnergyDetector
    Novelty detection (``OutlierMixin``) with the detector of ``potential detect fit``.
CSAEClassifier
    The class-specific autoencoder classifier of Eq. 45 (``ClassifierMixin``).
Autoencoder
    Contractive or denoising training of a tied autoencoder (``TransformerMixin``).
TiedAutoencoder
    A trained model: energy (Eq. 11-21), vector field (Eq. 9), Laplacian (Eq. 38), contraction
    (Eq. 40), and the safetensors files the command line writes.

``potential.dask`` fits the classifier's classes and the detector's members as Dask tasks.
"""

from ._core import __version__
from .autoencoder import Autoencoder, TiedAutoencoder
from .classifier import CSAEClassifier
from .detector import EnergyDetector

__all__ = ["Autoencoder", "CSAEClassifier", "EnergyDetector", "TiedAutoencoder", "__version__"]
