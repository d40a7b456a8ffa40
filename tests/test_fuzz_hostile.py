"""Hostile input: mutants of valid programs and plain random text end in a result or a MatcalcError.

A MatcalcError whose position is known shows a caret line. A per-example alarm (10 s) only
makes a hang fail loudly; it is not a timing assertion. The command line is fed mutants through
a subprocess: exit status 0 or 2, never a traceback.
"""
from __future__ import annotations

import contextlib
import signal
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matcalc

from programs import mutants, noise, programs, run_hostile

HANG = 10


@contextlib.contextmanager
def no_hang(text: str):
    def alarm(signum, frame):
        raise AssertionError(f"no answer within {HANG} s for {text!r}")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(HANG)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutants())
def test_mutants_end_in_a_result_or_a_matcalc_error(text):
    with no_hang(text):
        run_hostile(text)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(noise())
def test_random_text_ends_in_a_result_or_a_matcalc_error(text):
    with no_hang(text):
        run_hostile(text)


@pytest.mark.fuzz
@settings(max_examples=10_000, deadline=None, database=None, derandomize=False,
          suppress_health_check=list(HealthCheck))
@given(st.one_of(mutants(), mutants(), mutants(), noise()))
def test_long_run_of_mutants(text):
    with no_hang(text):
        run_hostile(text)


def test_a_parse_error_shows_the_line_and_a_caret():
    with pytest.raises(matcalc.ParseError) as info:
        matcalc.parse("W : n x m; x : m\nW x +* b")
    lines = str(info.value).splitlines()
    assert "W x +* b" in lines[1]
    assert lines[2].strip() == "^"
    assert lines[2].index("^") == lines[1].index("*")


@pytest.mark.parametrize("text", ["", ";", "\n\n", "x :", ": n", "=", "x = ", "()", "exp(", "‖x", "x^",
                                  "x^{", "W : n x m; W x", "x : n; x x", "\x00", "\\frac{1}{", "inv()",
                                  "max(x)", "f'(x", "x : n; x = x", "x = y; y = x; x", "A in R^{n x }"])
def test_short_broken_programs(text):
    with no_hang(text):
        run_hostile(text)


def _cli_examples(count: int) -> list[str]:
    found: list[str] = []

    @settings(max_examples=count, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(mutants(max_depth=2))
    def collect(text):
        if "\x00" not in text:  # a NUL cannot be a command-line argument
            found.append(text)

    collect()
    return found[:count]


def test_the_command_line_exits_0_or_2_on_mutants():
    texts = _cli_examples(30)
    assert len(texts) >= 20
    for text in texts:
        run = subprocess.run([sys.executable, "-m", "matcalc", "grad", text, "--wrt", "x"],
                             capture_output=True, text=True, timeout=60)
        assert run.returncode in (0, 2), (text, run.returncode, run.stderr)
        assert "Traceback" not in run.stderr, (text, run.stderr)
        if run.returncode == 2:
            assert run.stderr.startswith("error: ") or "usage:" in run.stderr, (text, run.stderr)


def test_the_command_line_on_a_valid_generated_program():
    @settings(max_examples=5, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(programs(max_depth=2, outputs=((),)))
    def one(gp):
        program = matcalc.parse(gp.text)
        if not program.variables:
            return
        wrt = program.variables[0]
        run = subprocess.run([sys.executable, "-m", "matcalc", "grad", gp.text, "--wrt", wrt],
                             capture_output=True, text=True, timeout=60)
        assert run.returncode in (0, 2) and "Traceback" not in run.stderr, (gp.text, run.stderr)

    one()
