"""The examples in the docstrings run as printed, and every public item has a NumPy-style
docstring."""

import doctest
import inspect

import pytest

import potential
import potential.autoencoder
import potential.classifier
import potential.dask
import potential.detector

MODULES = [potential, potential.autoencoder, potential.classifier, potential.detector, potential.dask]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module):
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert failed == 0
    if module is not potential.dask and module is not potential:
        assert attempted > 0, f"{module.__name__} has no example"


@pytest.mark.parametrize("cls", [potential.EnergyDetector, potential.CSAEClassifier, potential.Autoencoder,
                                 potential.TiedAutoencoder])
def test_public_methods_have_numpy_style_docstrings(cls):
    assert "Parameters\n    ----------" in cls.__doc__ and "Examples\n    --------" in cls.__doc__
    for name, member in inspect.getmembers(cls, inspect.isfunction):
        if name.startswith("_") or member.__module__.split(".")[0] != "potential":
            continue
        doc = inspect.getdoc(member)
        assert doc, f"{cls.__name__}.{name} has no docstring"
        params = [p for p in inspect.signature(member).parameters if p not in ("self", "cls")]
        if params:
            assert "Parameters\n----------" in doc, f"{cls.__name__}.{name}: no Parameters section"
            for p in params:
                assert f"\n{p} :" in doc or doc.startswith(f"{p} :"), f"{cls.__name__}.{name}: {p} undocumented"
