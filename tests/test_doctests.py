"""The examples in gdlib's docstrings run and print what they claim."""

import doctest
import importlib

import numpy as np
import pytest

MODULES = [
    "gdlib",
    "gdlib.surfaces",
    "gdlib.driver",
    "gdlib.strategies",
    "gdlib.parallel",
    "gdlib.schedules.apply",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    np.set_printoptions(legacy=False)
    result = doctest.testmod(
        importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 0 and result.failed == 0
