"""Shared test configuration.

With ``REQUIRE_FRAMEWORKS=1`` (set by ``.ci/run``), a test that would be skipped because
PyTorch, JAX, optax or Keras cannot be imported FAILS instead: CI installs them from
requirements-frameworks.txt, so a skip there means the claims about the frameworks went
untested. Readers who run ``pytest`` without the frameworks still get clean skips.
"""

import os

import pytest

FRAMEWORKS = ("torch", "jax", "optax", "keras")


def _names_a_framework(reason):
    return any(f"'{name}" in reason or f" {name}" in reason for name in FRAMEWORKS)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("REQUIRE_FRAMEWORKS") != "1" or not report.skipped:
        return
    reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
    if _names_a_framework(reason):
        report.outcome = "failed"
        report.longrepr = f"REQUIRE_FRAMEWORKS=1 but the test was skipped: {reason}"
