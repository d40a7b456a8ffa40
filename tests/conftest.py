"""Shared test set-up: a deterministic hypothesis profile for CI, and a fixed test order seed.

The suite runs in random order (pytest-randomly, in the test extra) so that no test can lean on
another's side effects; under CI the order is fixed by a seed (``MATCALC_TEST_SEED``, default
below) so a failure reproduces: ``pytest -p randomly --randomly-seed=<seed>``. Outside CI each run
shuffles anew (the seed is printed in the header); ``-p no:randomly`` keeps the file order.
"""
import os

import pytest
from hypothesis import HealthCheck, settings

CI_SEED = 15_2026

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Under CI, pytest-randomly's seed is fixed (unless one is given on the command line)."""
    if not os.environ.get("CI") or not config.pluginmanager.hasplugin("randomly"):
        return
    if config.getoption("randomly_seed", "default") == "default":
        config.option.randomly_seed = int(os.environ.get("MATCALC_TEST_SEED", CI_SEED))
