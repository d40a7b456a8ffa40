"""The recipe for adding an operation, guarded: one node, one row, one rule, one test row.

Every node class has a row in the operation table (matcalc/core/ops.py) with every facet the
surface reads, a derivative rule (matcalc/calculus/rules.py) and a row in EXAMPLES below, which
is checked end to end: parsed, printed and read back, evaluated, compiled, differentiated
against central differences. Every elementwise function (matcalc/core/functions.py) likewise.
A missing piece fails here, naming the operation and the facet.
"""
from __future__ import annotations

import numpy as np
import pytest

import matcalc
from matcalc.calculus.numeric import check_grad, random_env
from matcalc.calculus.rules import RULES
from matcalc.core.functions import FUNCTIONS
from matcalc.core.nodes import (
    NODE_CLASSES, Add, Det, Diag, DiagPart, Div, ElemDiv, ElemPower, Func, Hadamard, Identity, Inverse,
    LogDet, LogSoftmax, MatMul, Max, Min, Neg, Norm, Number, Ones, Power, Scale, Softmax, Sum, Symbol, Trace,
    Transpose, walk, Entry, Delta, IndexSum, Tensor, Zeros,
)
from matcalc.core.nodes import Cols, HCat, PadCols, PadRows, Rows, VCat
from matcalc.core.nodes import ArgMax, ArgMin, Kron, KronLeft, KronRight, Largest, MatPower, Size, Smallest, Unvec, Vec
from matcalc.core.ops import CALLS, FORMS, OPS, ROWS
from matcalc.core.shapes import RULES as SHAPE_RULES
from matcalc.language.calls import CallRules
from matcalc.language.latex import LatexPrinter
from matcalc.language.printing import TextPrinter
from matcalc.language.typecheck import read
from matcalc.views.codegen import generate, safe_name

# the test row of each operation: a program that contains it, the variable, the domain
EXAMPLES: dict[type, tuple[str, str, str]] = {
    Symbol: ("x : n; sum(x)", "x", "any"),
    Number: ("x : n; 3 sum(x)", "x", "any"),
    Identity: ("X : n x n; tr(X X + I)", "X", "any"),
    Ones: ("x : n; ones(n)^T x", "x", "any"),
    Add: ("x : n; y : n; sum(tanh(x + y))", "x", "any"),
    Neg: ("x : n; sum(exp(-x))", "x", "any"),
    Hadamard: ("x : n; y : n; sum(x ⊙ y ⊙ x)", "x", "any"),
    ElemDiv: ("x : n; y : n; sum(x ./ y)", "y", "positive"),
    Div: ("x : n; c : scalar; sum(x / c)", "c", "positive"),
    MatMul: ("A : n x m; x : m; u : n; u^T A x", "A", "any"),
    Scale: ("c : scalar; x : n; sum(exp(c x))", "c", "any"),
    Transpose: ("A : n x m; B : n x m; tr(A^T B)", "A", "any"),
    Inverse: ("X : n x n; a : n; b : n; a^T X^{-1} b", "X", "any"),
    Power: ("c : scalar; x : n; c^3 sum(x)", "c", "any"),
    ElemPower: ("x : n; sum(x .^ 3)", "x", "any"),
    Func: ("x : n; u : n; u^T f(x)", "x", "any"),
    Sum: ("X : n x m; sum(X)", "X", "any"),
    Norm: ("x : n; ‖x‖", "x", "any"),
    Trace: ("X : n x n; tr(X X)", "X", "any"),
    Det: ("X : n x n; det(X)", "X", "spd"),
    LogDet: ("X : n x n; logdet(X)", "X", "spd"),
    Diag: ("x : n; y : n; y^T diag(x) y", "x", "any"),
    DiagPart: ("X : n x n; y : n; y^T diag(X)", "X", "any"),
    Softmax: ("x : n; y : n; y^T softmax(x)", "x", "any"),
    LogSoftmax: ("x : n; y : n; y^T logsoftmax(x)", "x", "any"),
    Max: ("x : n; y : n; sum(max(x, y))", "x", "any"),
    Min: ("x : n; y : n; sum(min(x, y))", "x", "any"),
    Zeros: ("x : n; sum(max(x, 0_{n}))", "x", "any"),
    # batches and reductions (issue 12)
    Size: ("X : N x D; u : D; sum(X u) / N", "X", "any"),
    Largest: ("x : n; y : n; max(x ⊙ y)", "x", "any"),
    Smallest: ("X : n x m; min(exp(X))", "X", "any"),
    ArgMax: ("x : n; y : n; y^T argmax(x) + sum(y)", "y", "any"),
    ArgMin: ("X : n x m; Y : n x m; tr(Y^T argmin(X)) + sum(Y)", "Y", "any"),
    MatPower: ("X : n x n; u : n; v : n; u^T X^3 v + tr(X^2)", "X", "any"),
    Vec: ("X : n x m; A : k x n; B : m x l; C : k x l; vec(C)^T vec(A X B)", "X", "any"),
    Unvec: ("X : n x m; Y : m x n; tr(Y unvec(vec(X) ⊙ vec(X), n, m))", "X", "any"),
    Kron: ("A : n x m; B : k x l; x : m; y : l; u : n; v : k; kron(u, v)^T (A ⊗ B) kron(x, y)", "A", "any"),
    KronLeft: ("A : n x m; B : k x l; C : n x m; tr(C^T kronleft(exp(A ⊗ B), B))", "A", "any"),
    KronRight: ("A : n x m; B : k x l; D : k x l; tr(D^T kronright(A, exp(A ⊗ B)))", "B", "any"),
    VCat: ("A : n x m; B : k x m; C : n x l; D : k x l; tr([A; B]^T exp([C; D]) [C; D]^T [A; B])", "A", "any"),
    HCat: ("A : n x m; B : n x k; u : n; v : m; w : k; u^T tanh([A, B]) [v; w]", "B", "any"),
    Rows: ("a : n; b : m; U : n x l; V : m x l; tr(U^T rows(exp([a; b] ones(l)^T), 1, n))", "a", "any"),
    Cols: ("A : n x m; B : n x k; C : n x k; tr(C^T cols(exp([A, B]), m + 1, m + k))", "B", "any"),
    PadRows: ("a : 2; u : 5; u^T exp(padrows(a, 2, 5))", "a", "any"),
    PadCols: ("A : n x 2; U : n x 4; tr(U^T exp(padcols(A, 3, 4)))", "A", "any"),
}
INDEX_NOTATION = (Entry, Delta, IndexSum, Tensor)
"""Index notation: a tensor's body is valued by einsum as a whole (matcalc.core.indexed) and written
as einsum code as a whole (matcalc.views.codegen.einsum), so these rows have no numpy value or source
of their own, and a rule that says they are not differentiated; INDEX_EXAMPLES checks them."""
INDEX_EXAMPLES: dict[type, tuple[str, str]] = {
    # (program, its value by hand with np.einsum given the env)
    Entry: ("A : n x m; B : m x k; ∂F_ij/∂c = (A B)_ij", "AB"),
    Delta: ("x : n; ∂F_ij/∂x_k = δ_ik x_j + x_i δ_jk", "xxT"),
    IndexSum: ("A : n x m; X : m x p; ∂F_i/∂X_kl = Σ_a A_ia X_al δ_ak", "sum"),
    Tensor: ("s : scalar; X : n x n; ∂²s/∂X_ij ∂X_kl = δ_ik X_lj", "hess"),
}
LEAVES = (Symbol, Number, Identity, Ones, Size)
FUNCTION_DOMAINS = {"log": "positive", "sqrt": "positive"}


def _facets(cls) -> dict[str, str | None]:
    """facet -> what is wrong with it for this node class (None: present)."""
    op = OPS.get(cls)
    if op is None:
        return {"row": "no row in matcalc/core/ops.py"}
    out: dict[str, str | None] = {}
    out["shape rule"] = None if op.shape in SHAPE_RULES else f'shape rule "{op.shape}" is not in shapes.RULES'
    out["precedence"] = None if isinstance(op.precedence, int) else "no precedence"
    out["form"] = None if op.form in FORMS else f'form "{op.form}" is not one of ops.FORMS'
    for printer in (TextPrinter, LatexPrinter):
        has = hasattr(printer, f"_print_{cls.__name__}") or hasattr(printer, f"_form_{op.form}")
        out[f"{printer.__name__}"] = None if has else f"{printer.__name__} prints neither the class nor its form"
    token = op.text and op.latex
    out["text and LaTeX"] = None if token or op.form in ("leaf", "function") else "no text or LaTeX token"
    # leaves read env, functions have rows of their own, index notation is valued by its tensor
    # (unvec reshapes to its dims: the evaluator and the code generator write it)
    numeric = cls not in (Symbol, Number, Func, Unvec, *INDEX_NOTATION)
    out["numpy"] = None if not numeric or callable(op.numpy) else "no numpy value"
    out["code"] = None if not numeric or op.code else "no numpy source"
    out["label"] = None if not numeric or op.label else "no graph label"
    out["rule"] = None if cls in LEAVES or cls in RULES else "no derivative rule in matcalc/calculus/rules.py"
    out["test row"] = None if cls in EXAMPLES or cls in INDEX_EXAMPLES else \
        "no row in tests/test_registry.py EXAMPLES"
    if op.calls:
        has = hasattr(CallRules, f"call_{op.shape}")
        out["call rule"] = None if has else f"the typer has no call_{op.shape} for its calls {op.calls}"
    return out


FACET_CASES = [(cls, facet) for cls in NODE_CLASSES for facet in _facets(cls)]


@pytest.mark.parametrize("cls, facet", FACET_CASES, ids=[f"{c.__name__}-{f}" for c, f in FACET_CASES])
def test_every_operation_has_every_facet(cls, facet):
    problem = _facets(cls)[facet]
    assert problem is None, f"{cls.__name__}: {problem}"


def test_the_table_covers_every_node_class_once():
    nodes = [op.node for op in ROWS if op.node is not None]
    assert len(nodes) == len(set(nodes))
    assert set(nodes) == set(NODE_CLASSES)


@pytest.mark.parametrize("cls", [c for c in NODE_CLASSES if c not in INDEX_NOTATION], ids=lambda c: c.__name__)
def test_the_example_of_each_operation_works_end_to_end(cls):
    source, wrt, domain = EXAMPLES[cls]
    program = read(source)
    assert any(isinstance(n, cls) for n in walk(program.inline())), f"{source!r} has no {cls.__name__}"
    check_grad(program, wrt, domain=domain)  # the rule, against central differences; its text read back
    d = matcalc.derive(program, wrt)
    env = random_env(program, seed=3, domain=domain)
    value, grad = d.compile()(**_arguments(d, env))
    assert np.allclose(grad, d.evaluate(env), rtol=1e-8, atol=1e-10)
    assert np.allclose(value, matcalc.evaluate(program, env), rtol=1e-8, atol=1e-10)


def _arguments(d, env: dict) -> dict:
    """The generated function's keyword arguments, from a point of the program's names."""
    generated = generate(d.program, d)
    names = {}
    for key in env:  # a generic f' is passed as f_prime, f'' as f_prime2
        base = key.rstrip("'")
        order = len(key) - len(base)
        names[safe_name(base) + ("_prime" + (str(order) if order > 1 else "") if order else "")] = key
    return {p: env[names[p]] for p in generated.parameters}


def _by_hand(key: str, env: dict):
    if key == "AB":
        return env["A"] @ env["B"]
    if key == "xxT":
        x = env["x"]
        eye = np.eye(len(x))
        return np.einsum("ik,j->ijk", eye, x) + np.einsum("i,jk->ijk", x, eye)
    if key == "sum":  # Σ_a A_ia X_al δ_ak = A_ik X_kl
        return np.einsum("ik,kl->ikl", env["A"], env["X"])
    X = env["X"]
    return np.einsum("ik,lj->ijkl", np.eye(len(X)), X)


@pytest.mark.parametrize("cls", INDEX_NOTATION, ids=lambda c: c.__name__)
def test_the_example_of_each_index_notation_node_works_end_to_end(cls):
    """Typed, printed in text and LaTeX, read back, evaluated and compiled (np.einsum), against einsum by hand."""
    source, key = INDEX_EXAMPLES[cls]
    program = read(source)
    assert any(isinstance(n, cls) for n in walk(program.expr)), f"{source!r} has no {cls.__name__}"
    decls = "\n".join(f"{n} : {' x '.join(map(str, s)) or 'scalar'}" for n, s in program.shapes.items())
    again = read(decls + "\n" + TextPrinter().doprint(program.expr))
    assert again.expr == program.expr
    assert LatexPrinter().doprint(program.expr)
    env = random_env(program, seed=3)
    expected = _by_hand(key, env)
    value = matcalc.evaluate(program, env)
    assert np.allclose(value.reshape(expected.shape), expected)
    generated = generate(program)
    args = [env[p] for p in generated.parameters]
    got, = matcalc.views.codegen.compile_source(generated)(*args)
    assert "np.einsum" in generated.source or key == "AB"
    assert np.allclose(got, value)
    with pytest.raises(matcalc.DerivativeError, match="not differentiated"):  # said, never wrong
        matcalc.derive(program, next(iter(program.variables)))


@pytest.mark.parametrize("cls", [c for c in NODE_CLASSES if c not in LEAVES and c not in INDEX_NOTATION],
                         ids=lambda c: c.__name__)
def test_the_text_and_latex_of_each_operation_read_back(cls):
    source, _, _ = EXAMPLES[cls]
    program = read(source)
    decls = "\n".join(f"{n} : {' x '.join(map(str, s)) or 'scalar'}" for n, s in program.shapes.items())
    again = read(decls + "\n" + TextPrinter().doprint(program.expr))
    assert again.expr == program.expr


@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_call_spelling_types_as_its_operation(name):
    op = CALLS[name]
    arg = {"ones": "n", "inv": "X", "inverse": "X"}.get(name, "X" if op.shape in ("square_to_scalar", "rowsum", "colsum") else "x")
    args = ", ".join([arg] * (op.arity or 1)) if name != "unvec" else "x, n, 1"
    if name == "vec":
        args = "X"
    program = read(f"X : n x n; x : n; {name}({args})")
    if op.node is not None:
        assert any(isinstance(n, op.node) for n in walk(program.expr)), (name, program.expr)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_elementwise_function_works_end_to_end(name):
    row = FUNCTIONS[name]
    for spelling in row.spellings:
        program = read(f"x : n; {spelling}(x)")
        assert program.expr == Func(name, program.expr.arg), spelling
    source = f"x : n; u : n; u^T {row.spellings[0]}(x)"
    domain = FUNCTION_DOMAINS.get(name, "any")
    check_grad(source, "x", domain=domain)  # the SymPy derivative, against central differences
    d = matcalc.derive(source, "x")
    program = read(source)
    env = random_env(program, seed=5, domain=domain)
    value, grad = d.compile()(**_arguments(d, env))
    assert np.allclose(value, matcalc.evaluate(program, env))  # row.code against row.numpy
    assert np.allclose(grad, d.evaluate(env))
    assert row.label and row.latex and row.text


def test_a_missing_facet_is_named(monkeypatch):
    """The guard itself: a node without a row, a row without a rule or a test row, are named."""
    class Fake(Trace):
        pass
    assert _facets(Fake) == {"row": "no row in matcalc/core/ops.py"}
    monkeypatch.delitem(RULES, Trace)
    monkeypatch.delitem(EXAMPLES, Trace)
    problems = {f: p for f, p in _facets(Trace).items() if p}
    assert problems == {"rule": "no derivative rule in matcalc/calculus/rules.py",
                        "test row": "no row in tests/test_registry.py EXAMPLES"}
