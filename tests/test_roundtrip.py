"""The text printer and the parser agree: printing a typed tree and reading it back gives it back."""
from __future__ import annotations

from hypothesis import given, settings

import matcalc
from matcalc.core import build
from matcalc.language.printing import declarable, program_text, text

from strategies import DECLARATIONS, typed_trees


@settings(max_examples=400)
@given(typed_trees())
def test_text_parses_back(case):
    decls, e = case
    printed = text(e)
    assert matcalc.parse(decls + "; " + printed).expr == e, printed


@settings(max_examples=100)
@given(typed_trees(), typed_trees())
def test_program_text_parses_back(case, other):
    """A definition used by the expression survives the round trip, in meaning and in form."""
    _, value = case
    _, inner = other
    definitions = {"h": value, "unused": inner}
    expr = build.add(build.symbol("h"), build.symbol("h"))
    printed = program_text(definitions, expr)
    assert "unused" not in printed
    program = matcalc.parse(DECLARATIONS + "\n" + printed)
    assert program.definitions == {"h": value}
    assert program.expr == expr


# ---------------------------------------------------------------- LaTeX reads back


import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck  # noqa: E402

from matcalc.calculus.numeric import random_env  # noqa: E402
from matcalc.core.evaluate import evaluate_program  # noqa: E402
from matcalc.core.shapes import dims_text  # noqa: E402
from matcalc.language.latex import latex, latex_name  # noqa: E402
from matcalc.language.typecheck import read  # noqa: E402
from matcalc.views.gallery import EXAMPLES  # noqa: E402
from programs import programs  # noqa: E402
from test_derive import GRAD_CASES, HESSIAN_CASES, JACOBIAN_CASES, PROPERTY_CASES  # noqa: E402


def _declarations(shapes: dict, skip=()) -> list[str]:
    """As the engine declares (printing.declarations): a shape such as the m n of kron(x, z) is left to be
    inferred from where it is used, since no declaration can say it."""
    return [f"{n} : {dims_text(s) if s else 'scalar'}" for n, s in shapes.items() if n not in skip and declarable(s)]


def assert_latex_reads_back(program, result, seed: int = 0, domain="any") -> str:
    """The LaTeX of a result (its definitions and its right-hand side), read with the program's
    declarations, has the value of the result at a random point."""
    lines = _declarations(result.shapes, skip=result.definitions)
    lines += [f"{latex_name(n)} = {latex(e)}" for n, e in result.definitions.items()]
    lines.append(latex(result.expr))
    source = "\n".join(lines)
    again = read(source, functions=program.functions)
    env = random_env(program, seed, domain)
    want = np.asarray(result.evaluate(env), dtype=float)
    got = np.asarray(evaluate_program(again, env), dtype=float)
    if got.shape != want.shape and got.size == want.size:
        got = got.reshape(want.shape)
    assert np.allclose(got, want, rtol=1e-8, atol=1e-8, equal_nan=True), source
    # the whole of result.latex(), its left-hand side ∂s/∂W = (or ∂²F/∂x ∂xᵀ =) and aligned definitions included
    shown = result.latex()
    whole = read("\n".join(_declarations(result.shapes, skip=result.definitions)) + "\n" + shown,
                 functions=program.functions)
    got = np.asarray(evaluate_program(whole, env), dtype=float)
    if got.shape != want.shape and got.size == want.size:
        got = got.reshape(want.shape)
    assert np.allclose(got, want, rtol=1e-8, atol=1e-8, equal_nan=True), result.latex()
    return source


def assert_tensor_latex_reads_back(program, result, seed: int = 0, domain="any") -> str:
    """The whole LaTeX of a tensor result (index notation, its head ∂F_ij/∂X_kl or ∂²s/∂X_ij ∂X_kl
    and its definitions), read with the program's declarations, has the result's value (issue 12)."""
    shown = result.latex()
    lines = _declarations(result.shapes, skip=result.definitions)
    again = read("\n".join(lines + [shown]), functions=program.functions)
    env = random_env(program, seed, domain)
    want = np.asarray(result.evaluate(env), dtype=float)
    got = np.asarray(evaluate_program(again, env), dtype=float)
    assert got.shape == want.shape, shown
    assert np.allclose(got, want, rtol=1e-8, atol=1e-8, equal_nan=True), shown
    return shown


def assert_program_latex_reads_back(program, seed: int = 0, domain="any") -> None:
    lines = _declarations({n: s for n, s in program.shapes.items() if n in program.variables})
    lines += [f"{latex_name(n)} = {latex(e)}" for n, e in program.definitions.items()]
    lines.append(latex(program.expr))
    again = read("\n".join(lines), functions=program.functions)
    env = random_env(program, seed, domain)
    want = np.asarray(evaluate_program(program, env), dtype=float)
    assert np.allclose(np.asarray(evaluate_program(again, env), dtype=float), want, rtol=1e-8, atol=1e-8, equal_nan=True)


@pytest.mark.parametrize("case", GRAD_CASES + PROPERTY_CASES, ids=lambda c: c.name)
def test_latex_of_every_derive_case_reads_back(case):
    program = matcalc.parse(case.source)
    wrt = case.wrt
    if wrt in program.definitions:
        pytest.skip("a placeholder's derivative is checked with the placeholder freed")
    d = matcalc.derive(program, wrt)
    if d.kind == "tensor":
        assert_tensor_latex_reads_back(program, d, domain=case.domain)
    else:
        assert_latex_reads_back(program, d, domain=case.domain)
    assert_program_latex_reads_back(program, domain=case.domain)


@pytest.mark.parametrize("case", JACOBIAN_CASES + HESSIAN_CASES, ids=lambda c: c[0])
def test_latex_of_every_jacobian_and_hessian_case_reads_back(case):
    name, source, wrt, _ = case[:4]
    program = matcalc.parse(source)
    results = [matcalc.derive(program, wrt)]
    if case in HESSIAN_CASES:
        results.append(matcalc.hessian(program, wrt))
    for d in results:
        if d.kind == "tensor":
            assert_tensor_latex_reads_back(program, d, domain="positive")
        else:
            assert_latex_reads_back(program, d, domain="positive")


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_latex_of_every_gallery_result_reads_back(example):
    program = example.program()
    for wrt, d in matcalc.derive(program, example.wrt).items():
        if d.kind == "tensor":
            assert_tensor_latex_reads_back(program, d)
        else:
            assert_latex_reads_back(program, d)
    assert_program_latex_reads_back(program)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(programs(max_depth=3))
def test_latex_of_random_program_results_reads_back(generated):
    program = matcalc.parse(generated.text)
    domain = generated.domains or "any"
    assert_program_latex_reads_back(program, domain=domain)
    for wrt in program.variables[:2]:
        try:
            d = matcalc.derive(program, wrt)
        except matcalc.MatcalcError:
            continue
        if d.kind == "tensor":
            assert_tensor_latex_reads_back(program, d, domain=domain)
        else:
            assert_latex_reads_back(program, d, domain=domain)
