"""Shared test set-up: a deterministic hypothesis profile for CI, and a fixed test order seed.

The suite runs in random order (pytest-randomly, in the test extra) so that no test can lean on
another's side effects; under CI the order is fixed by a seed (``MATCALC_TEST_SEED``, default
below) so a failure reproduces: ``pytest -p randomly --randomly-seed=<seed>``. Outside CI each run
shuffles anew (the seed is printed in the header); ``-p no:randomly`` keeps the file order.
"""
import importlib
import os
import pkgutil

import pytest
from hypothesis import HealthCheck, settings

CI_SEED = 15_2026

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def _import_every_module() -> None:
    """Import all of matcalc before any test runs.

    Hypothesis draws some values from the literals of the "local" modules loaded so far
    (``hypothesis.internal.conjecture.providers._get_local_constants`` scans ``sys.modules``). With
    an editable install matcalc's modules are local, and the ones a test happens to load first
    depend on the test order: the same seed then generated different programs in the full suite
    than in one file. Loading every module up front makes the generated examples a function of
    the code and the seed alone.
    """
    import matcalc

    for info in pkgutil.walk_packages(matcalc.__path__, "matcalc."):
        if info.name.endswith("__main__"):
            continue
        importlib.import_module(info.name)


def _no_local_constants() -> None:
    """Hypothesis draws no literals from the "local" modules loaded so far.

    Loading matcalc up front (above) is not enough: test modules, notebooks' kernels and lazily
    imported helpers join ``sys.modules`` at different moments in different test orders, and each
    new local module adds its literals to the pool the draws pick from, so a derandomized test's
    2,000 programs differed with the order (test_the_generator_reaches_every_operation missed
    ``^{-T}`` in one order). With the pool kept empty the examples are a function of the strategy
    and the seed alone. (An internal of hypothesis 6.1xx; if it moves, nothing is patched.)"""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover
        return
    if hasattr(providers, "_get_local_constants") and hasattr(providers, "_local_constants"):
        empty = providers._local_constants
        providers._get_local_constants = lambda: empty


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Under CI, pytest-randomly's seed is fixed (unless one is given on the command line)."""
    _import_every_module()
    _no_local_constants()
    if not os.environ.get("CI") or not config.pluginmanager.hasplugin("randomly"):
        return
    if config.getoption("randomly_seed", "default") == "default":
        config.option.randomly_seed = int(os.environ.get("MATCALC_TEST_SEED", CI_SEED))
