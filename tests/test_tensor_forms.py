"""Tensor results of the reshaping operations read back (issue 12, item 1).

vec, unvec, kron, kronleft, kronright, rows, cols, padrows, padcols and concatenation, by each
argument, print index notation whose index maps are entries of constant 0/1 matrices
(kron(ones(q), I_n), [I; 0_{r x p}], padrows(I_c, i, N)); each form parses back, evaluates to the
engine's array, agrees with central differences at distinct dims, and its LaTeX renders.
"""
from __future__ import annotations

import numpy as np
import pytest
from test_index_language import _central

import matcalc
from matcalc.calculus.numeric import random_env
from matcalc.language.printing import declarations

CASES = [
    ("A : n x m; X : m x p; B : p x q; vec(A X B)", "X"),
    ("A : n x m; X : m x p; B : p x q; vec(A X B)", "A"),
    ("X : m x p; vec(X)", "X"),
    ("v : 6; unvec(v, 2, 3)", "v"),
    ("A : n x 2; v : 6; unvec(v, 2, 3)^T A^T", "v"),
    ("A : n x m; X : p x q; kron(A, X)", "X"),
    ("A : n x m; X : p x q; kron(A, X)", "A"),
    ("A : n x m; x : p; kron(A, x)", "x"),
    ("A : n x m; x : p; kron(A, x)", "A"),
    ("G : 6 x 12; B : 2 x 3; kronleft(G, B)", "G"),
    ("G : 6 x 12; B : 2 x 3; kronleft(G, B)", "B"),
    ("A : 3 x 4; G : 6 x 12; kronright(A, G)", "G"),
    ("A : 3 x 4; G : 6 x 12; kronright(A, G)", "A"),
    ("X : p x q; Y : r x q; [X; Y]", "X"),
    ("X : p x q; Y : r x q; [X; Y]", "Y"),
    ("A : n x p; B : n x q; [A, B]", "A"),
    ("A : n x p; B : n x q; [A, B]", "B"),
    ("X : 5 x m; rows(X, 2, 3)", "X"),
    ("X : n x 6; cols(X, 2, 3)", "X"),
    ("X : n x m; padrows(X, 2, 7)", "X"),
    ("X : n x m; padcols(X, 2, 7)", "X"),
    ("X : p x q; Y : r x q; Z : s x q; [X; Y; Z]", "Y"),
    ("x : n; y : m; [x; y]", "y"),
    ("W : 5 x 7; h : 3; x : 4; W [h; x]", "W"),
    ("X : n x m; X / (n m)", "X"),
    ("X : n x m; A : n x m; vec(X ⊙ A)", "X"),
    ("A : n x m; X : p x q; kron(A, X)^T", "X"),
    ("A : n x m; X : m x p; vec(A X)^T vec(A X) vec(X)", "X"),
    # vector by vector: the Jacobian in matrix notation
    ("x : n; y : m; [x; y]", "x"),
    ("x : n; y : m; [x; y]", "y"),
    ("A : n x 2; B : 3 x q; v : 6; vec(A unvec(v, 2, 3) B)", "v"),
    ("A : n x 2; v : 6; vec(A unvec(v, 2, 3))", "v"),
    ("v : 6; vec(unvec(v, 2, 3)^T)", "v"),
    ("x : 7; rows(x, 2, 4)", "x"),
    ("x : 3; padrows(x, 2, 7)", "x"),
    ("W : 5 x 7; h : 3; x : 4; W [h; x]", "h"),
]
IDS = [f"{s} by {w}" for s, w in CASES]


@pytest.mark.parametrize("source, wrt", CASES, ids=IDS)
def test_a_reshaping_tensor_reads_back_and_agrees_with_central_differences(source, wrt):
    program = matcalc.parse(source)
    d = matcalc.derive(program, wrt)
    text = str(d)
    assert "L(" not in text and "basis tensors" not in text, text
    env = random_env(program, seed=3)
    sizes = {k: v for k, v in env.items() if isinstance(v, int)}
    assert len(set(sizes.values())) == len(sizes)  # distinct dims
    value = np.asarray(d.evaluate(env), dtype=float)
    expected = _central(program, wrt, env)
    np.testing.assert_allclose(value.reshape(expected.shape), expected, rtol=1e-5, atol=1e-6)
    declared = "\n".join(declarations(program.shapes, list(program.shapes)))
    again = matcalc.parse(declared + "\n" + text)
    np.testing.assert_allclose(np.asarray(matcalc.evaluate(again, env)).reshape(value.shape), value,
                               rtol=1e-10, atol=1e-12)
    if d.kind == "tensor":  # alone, too: the text declares the inputs whose dims it names
        alone = matcalc.parse(text)
        inputs = {k: v for k, v in env.items() if k in program.variables}
        np.testing.assert_allclose(np.asarray(matcalc.evaluate(alone, inputs)).reshape(value.shape), value,
                                   rtol=1e-10, atol=1e-12)
        v = matcalc.verify(source, wrt, text)
        assert v.ok, (text, v.message)
    assert d.latex()


EXACT = [
    ("A : n x m; X : m x p; B : p x q; vec(A X B)", "X",
     "A : n x m\nB : p x q\nX : m x p\n∂F_i/∂X_kl = kron(ones(q), A)_ik kron(B^T, ones(n))_il"),
    ("X : m x p; vec(X)", "X", "X : m x p\n∂F_i/∂X_kl = kron(ones(p), I_m)_ik kron(I_p, ones(m))_il"),
    ("X : p x q; Y : r x q; [X; Y]", "X", "X : p x q\nY : r x q\n∂F_ij/∂X_kl = ([I; 0_{r x p}])_ik δ_jl"),
    ("A : n x p; B : n x q; [A, B]", "B", "A : n x p\nB : n x q\n∂F_ij/∂B_kl = δ_ik ([0_{p x q}; I])_jl"),
    ("A : n x m; X : p x q; kron(A, X)", "X",
     "A : n x m\nX : p x q\n∂F_ij/∂X_kl = kron(A, ones(p) ones(q)^T)_ij kron(ones(n), I_p)_ik kron(ones(m), I_q)_jl"),
    ("X : n x m; X / (n m)", "X", "X : n x m\n∂F_ij/∂X_kl = δ_ik δ_jl / (n m)"),
    # rows(X, 2, 3)_ij = X_(i+1)j: padcols(I_2, 2, n) is 2 x n with I_2 in columns 2..3
    ("X : n x m; rows(X, 2, 3)", "X", "X : n x m\n∂F_ij/∂X_kl = padcols(I_2, 2, n)_ik δ_jl"),
    ("x : n; y : m; [x; y]", "y", "[0_{n x m}; I]"),   # J = ∂[x; y]/∂y: zeros over the identity
    ("A : n x 2; B : 3 x q; v : 6; vec(A unvec(v, 2, 3) B)", "v", "kron(B^T, A)"),  # vec(A V B) = (Bᵀ ⊗ A) vec(V)
]


@pytest.mark.parametrize("source, wrt, expected", EXACT, ids=[f"{s} by {w}" for s, w, _ in EXACT])
def test_the_printed_forms_written_by_hand(source, wrt, expected):
    # vec(A X B)_i = A_{r(i) k} X_kl B_{l c(i)}: kron(ones(q), A) repeats A down the q column blocks,
    # kron(B^T, ones(n)) repeats each row of B^T n times; [X; Y]_ij = X_kj where i = k ≤ p
    assert str(matcalc.derive(source, wrt)) == expected


HESSIANS = ["X : 2 x 3; A : 6 x 6; vec(X)^T A vec(X)", "A : 2 x 3; X : n x m; sum(kron(A, X) .^ 2)",
            "X : 2 x 3; Y : 4 x 3; w : 3; sum(exp([X; Y]) w)"]


@pytest.mark.parametrize("source", HESSIANS)
def test_hessians_through_vec_kron_and_blocks_read_back(source):
    program = matcalc.parse(source)
    d = matcalc.hessian(program, "X")
    env = random_env(program, seed=2)
    value = np.asarray(d.evaluate(env), dtype=float)
    gradient = matcalc.derive(program, "X")
    X, h = env["X"], 1e-6
    expected = np.zeros(X.shape + X.shape)
    for k in np.ndindex(*X.shape):
        e = np.zeros_like(X)
        e[k] = h
        expected[(...,) + k] = (gradient.evaluate({**env, "X": X + e}) - gradient.evaluate({**env, "X": X - e})) / (2 * h)
    np.testing.assert_allclose(value.reshape(expected.shape), expected, rtol=1e-5, atol=1e-6)
    if d.kind == "tensor":
        declared = "\n".join(declarations(program.shapes, list(program.shapes)))
        again = matcalc.parse(declared + "\n" + str(d))
        np.testing.assert_allclose(np.asarray(matcalc.evaluate(again, env)).reshape(value.shape), value,
                                   rtol=1e-10, atol=1e-12)


def test_tr_of_a_kronecker_product_is_a_matrix_form():
    # tr(A ⊗ X) = tr(A) tr(X): the gradient by X is tr(A) I
    program = matcalc.parse("A : n x n; X : m x m; tr(kron(A, X))")
    d = matcalc.derive(program, "X")
    env = random_env(program, seed=4)
    np.testing.assert_allclose(d.evaluate(env), np.trace(env["A"]) * np.eye(env["m"]), rtol=1e-10)


def test_their_latex_renders_in_katex():
    from test_printing import katex_errors
    strings = [matcalc.derive(s, w).latex() for s, w in CASES]
    assert katex_errors(strings) == []


def test_a_tensor_without_an_index_form_is_an_error_not_prose(monkeypatch):
    from matcalc.calculus import index_terms
    from matcalc.core.errors import MatcalcError

    d = matcalc.derive("A : n x m; X : m x p; B : p x q; vec(A X B)", "X")

    def refuse(self, e, idx):
        raise index_terms.Unsupported("no index form for this node")
    monkeypatch.setattr(index_terms.Translator, "terms", refuse)
    with pytest.raises(MatcalcError, match="cannot yet write"):
        str(d)
    with pytest.raises(MatcalcError, match="cannot yet write"):
        d.latex()


@pytest.mark.parametrize("source, wrt", CASES, ids=IDS)
def test_they_compile_to_the_same_array(source, wrt):
    from matcalc.views import codegen
    program = matcalc.parse(source)
    d = matcalc.derive(program, wrt)
    env = random_env(program, seed=7)
    generated = codegen.generate(program, d)
    value, got = codegen.compile_source(generated)(*[env[p] for p in generated.parameters])
    expected = np.asarray(d.evaluate(env), dtype=float)
    np.testing.assert_allclose(np.asarray(got).reshape(expected.shape), expected, rtol=1e-10, atol=1e-12)


def test_a_selection_of_one_entry_reads_back():
    """Found by hand beside the fuzz sweep: ∂[x; α]/∂α printed ([0_{n x 1}; I])_i, whose bare I the reader
    sized m, not 1 (a ShapeError on the engine's own text); an identity of a fixed size in a concatenation
    says it: ([0_{n x 1}; I_1])_i, the last unit vector e_{n+1}."""
    program = matcalc.parse("x : n; α : scalar; [x; α]")
    d = matcalc.derive(program, "α")
    assert str(d).splitlines()[-1] == "∂F_i/∂α = ([0_{n x 1}; I_1])_i"
    env = random_env(program, seed=1)
    n = len(env["x"])
    want = np.r_[np.zeros(n), 1.0]
    np.testing.assert_allclose(np.ravel(d.evaluate(env)), want)
    for text in (str(d), d.latex()):
        np.testing.assert_allclose(np.ravel(matcalc.evaluate(matcalc.parse(text), env)), want)
