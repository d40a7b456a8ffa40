"""Batches, reductions and structure (issue 12): the textbook forms, LaTeX in KaTeX, and the errors.

Every new operation is also a row of tests/test_registry.py (typed, printed and read back,
evaluated, compiled, against central differences); here the forms a course would write.
"""
from __future__ import annotations

import numpy as np
import pytest
from test_printing import katex_errors

import matcalc
from matcalc.calculus.numeric import check_grad, random_env
from matcalc.language.printing import identity_alone

FORMS = [
    # broadcasting: the gradient of a broadcast row or column sums over the broadcast axis
    ("X : N x D; W : D x C; b : C; G : N x C; tr(G^T (X W + b^T))", "b", "G^T ones(N)"),
    ("X : n x m; b : n; G : n x m; tr(G^T (X + b))", "b", "G ones(m)"),
    ("X : N x D; γ : D; G : N x D; tr(G^T (γ^T ⊙ X))", "γ", "(G ⊙ X)^T ones(N)"),
    # reductions and sizes
    ("x : n; mean(x)", "x", "ones(n) / n"),
    ("X : n x m; sum(X)", "X", "ones(n) ones(m)^T"),
    ("X : n x m; u : n; u^T sum(X, 2)", "X", "u ones(m)^T"),
    ("X : n x m; v : m; colsum(X) v", "X", "ones(n) v^T"),
    ("x : n; max(x)", "x", "argmax(x)"),
    ("x : n; min(x)", "x", "argmin(x)"),
    ("X : N x D; W : D x C; Y : N x C; -sum(Y ⊙ logsoftmax(X W)) / N", "W",
     "X^T (softmax(X W) ⊙ Y ones(C) - Y) / N"),
    # row-wise functions
    ("Z : n x m; sum(logsumexp(Z))", "Z", "softmax(Z)"),
    ("Z : n x m; G : n x m; tr(G^T softmax(Z))", "Z", "softmax(Z) ⊙ (G - (softmax(Z) ⊙ G) ones(m))"),
    # matrix powers (the Matrix Cookbook, eq. 2.2: ∂ tr(X^k)/∂X = k (X^{k-1})^T)
    ("X : n x n; tr(X^3)", "X", "3 (X^2)^T"),
    ("X : n x n; tr(X^2)", "X", "2 X^T"),
    # vec, Kronecker products, concatenation
    ("X : n x m; A : k x n; B : m x l; C : k x l; vec(C)^T vec(A X B)", "X", "A^T C B^T"),
    ("X : n x m; sum(exp(vec(X)))", "X", "exp(X)"),
    ("A : n x m; B : k x l; x : m; y : l; u : n; v : k; kron(u, v)^T (A ⊗ B) kron(x, y)", "B",
     "u^T A x v y^T"),
    ("A : n x m; B : k x l; C : n x m; D : k x l; tr(kron(C, D)^T kron(A, B))", "A", "tr(D^T B) C"),
    ("a : n; b : m; u : n; v : m; [u; v]^T [a; b]", "b", "v"),
    ("A : n x m; B : n x k; C : n x m; D : n x k; tr([C, D]^T [A, B])", "B", "D"),
    ("a : n; b : m; ‖[a; b]‖^2", "a", "2 a"),
]


@pytest.mark.parametrize("source,wrt,form", FORMS, ids=[f"{s}-{w}" for s, w, _ in FORMS])
def test_textbook_forms(source, wrt, form):
    d = check_grad(source, wrt)  # central differences, and the text read back
    assert str(d).splitlines()[-1] == form
    program = matcalc.parse(source)
    claim = matcalc.verify(program, wrt=wrt, claim=form)
    assert claim.ok, claim.message


def test_the_latex_renders_in_katex():
    strings = [matcalc.derive(s, w).latex() for s, w, _ in FORMS]
    strings += [matcalc.derive("h : n; x : m; u : k; u^T tanh(W [h; x])", "h").latex(),
                matcalc.derive("a : n; b : m; [a; b] [a; b]^T", "a").latex(),
                matcalc.derive("X : n x m; Y : m x n; tr(Y unvec(vec(X) ⊙ vec(X), n, m))", "X").latex(),
                matcalc.derive("A : n x m; B : k x l; C : n x m; tr(C^T kronleft(exp(A ⊗ B), B))", "A").latex()]
    assert katex_errors(strings) == []


def test_gru_with_a_concatenated_input():
    # W [h; x] as GRU/LSTM papers write it: the gradient by h takes W's first n columns
    d = check_grad("h : n; x : m; u : k; u^T tanh(W [h; x])", "h", reparse=False)
    assert str(d) == "cols(W, 1, n)^T (u ⊙ (1 - tanh(W [h; x]).^2))"


def test_column_wise_softmax_is_of_the_transpose():
    S = np.random.default_rng(0).normal(size=(3, 4))
    got = matcalc.evaluate("S : n x m; softmax(S^T)^T", {"S": S})
    assert np.allclose(got, np.exp(S) / np.exp(S).sum(axis=0))
    rows = matcalc.evaluate("S : n x m; softmax(S)", {"S": S})
    assert np.allclose(rows, np.exp(S) / np.exp(S).sum(axis=1, keepdims=True))


def test_var_is_the_population_variance():
    x = np.random.default_rng(1).normal(size=7)
    assert np.isclose(matcalc.evaluate("x : n; var(x)", {"x": x}), np.var(x))
    X = np.random.default_rng(2).normal(size=(3, 4))
    assert np.isclose(matcalc.evaluate("X : n x m; var(X)", {"X": X}), np.var(X))
    assert np.isclose(matcalc.evaluate("X : n x m; mean(X)", {"X": X}), np.mean(X))


def test_max_routes_the_gradient_to_the_largest_entry():
    program = matcalc.parse("x : n; max(x)")
    env = random_env(program, seed=4)
    g = matcalc.derive(program, "x").evaluate(env)
    assert np.array_equal(g, (env["x"] == env["x"].max()) * 1.0)


def test_a_dim_is_its_size():
    X = np.ones((5, 2))
    assert matcalc.evaluate("X : N x D; sum(X) / N", {"X": X}) == 2.0
    assert matcalc.evaluate("X : N x D; 1/N + D", {"X": X}) == 2.2


@pytest.mark.parametrize("source,message", [
    ("X : n x m; X^2", "not square; only a square matrix has powers"),
    ("a : n; B : k x m; [a, B]", "need the same rows"),
    ("A : n x m; B : k x l; [A; B]", "need the same columns"),
    ("X : n x m; sum(X, 3)", "the axis of a sum is 1"),
    ("c : scalar; var(c)", "var takes a vector or a matrix"),
    ("x : n; rowsum(x)", "sums along an axis take a matrix"),
    ("c : scalar; softmax(c)", "softmax takes a vector or a matrix"),
    # found by hand beside the fuzz sweep: a block past the end was typed n + 1 (the derivative's code then
    # raised numpy's ValueError); only integer sizes had been checked
    ("x : n; rows(x, 1, n + 1)", "x has only n"),
    ("x : n; z : m; rows([x; z], 2, n + m + 1)", r"\[x; z\] has only m \+ n"),
    ("W : n x m; cols(W, 2, m + 1)", "W has only m"),
    ("x : n; padrows(x, 2, n)", "n rows or columns from 2 do not fit in n"),
])
def test_errors_name_the_problem(source, message):
    with pytest.raises(matcalc.MatcalcError, match=message):
        matcalc.parse(source)


@pytest.mark.parametrize("src,wrt,want", [
    # tr(C + 1 zᵀ) = tr(C) + Σ z: the broadcast row is not a 1 x m matrix whose trace is z_1
    ("C : m x m; z : m; tr(C + z^T)", "z", lambda e: np.ones(4)),
    ("C : m x m; z : m; x : n; tr(C + z^T) x", "z", lambda e: np.outer(e["x"], np.ones(4))),
    ("C : m x m; z : m; tr(C - z)", "z", lambda e: -np.ones(4)),
])
def test_the_trace_of_a_broadcast_sum(src, wrt, want):
    """Found by the long fuzz run: trace's linearity split tr(C + zᵀ) into tr(C) + tr(zᵀ) and the
    gradient by z came out as a 1 x 1 identity."""
    program = matcalc.parse(src.replace("m x m", "4 x 4").replace("z : m", "z : 4"))
    env = random_env(program, seed=2)
    got = matcalc.derive(program, wrt).evaluate(env)
    np.testing.assert_allclose(got, want(env), rtol=1e-12)


def test_a_zero_inside_unvec_keeps_the_hessian_evaluable():
    """Found by the long fuzz run: the Hessian of max(sum(exp(vec(K))), 0) held unvec(0, n, k) (step' = 0
    made the vector a scalar zero), which evaluation could not reshape; unvec(0) is now 0."""
    program = matcalc.parse("K : n x k\nt1 = sum(exp(vec(K)))\nt2 = max(t1, 0)\nt2")
    env = random_env(program, seed=0)
    h = matcalc.hessian(program, "K")
    K = env["K"]
    n, k = K.shape
    want = np.einsum("ik,jl->ijkl", np.eye(n), np.eye(k)) * np.exp(K)[:, :, None, None]  # the sum is > 0
    np.testing.assert_allclose(h.evaluate(env), want, rtol=1e-12)
    np.testing.assert_allclose(matcalc.evaluate(matcalc.parse(str(h)), env), want, rtol=1e-12)


def test_the_sum_of_a_row_in_a_tensor_sums_over_its_entries_only():
    """Found by CI's fuzz run: ∂/∂x of x (sum(x) + z)ᵀ printed `… + sum(ones(None)) x_i`, the row's axis
    of size 1 taken for a summed index (so the text did not evaluate). ∂F_ij/∂x_k = δ_ik (Σx + z_j) + x_i."""
    program = matcalc.parse("x : n; z : m; x (sum(x) + z)^T")
    d = matcalc.derive(program, "x")
    assert str(d) == "∂F_ij/∂x_k = δ_ik (sum(x) + z_j) + x_i"
    env = random_env(program, seed=1)
    x, z = env["x"], env["z"]
    n, m = len(x), len(z)
    want = np.einsum("ik,j->ijk", np.eye(n), x.sum() + z) + x[:, None, None] * np.ones((n, m, n))
    np.testing.assert_allclose(d.evaluate(env), want, rtol=1e-12)
    np.testing.assert_allclose(matcalc.evaluate(matcalc.parse(str(d)), env), want, rtol=1e-12)


def test_kron_of_an_operand_whose_size_comes_from_its_neighbour():
    """Found by the LaTeX round trip over random programs: kron(w, I x) typed I x while I's size was
    still unknown and passed the unresolved dims on, and a TypeError escaped matcalc.parse."""
    program = matcalc.parse("w : k; x : n; p : n; kron(w, (I + diag(p)) x)")
    env = random_env(program, seed=0)
    w, x, p = env["w"], env["x"], env["p"]
    np.testing.assert_allclose(matcalc.evaluate(program, env), np.kron(w, x + p * x), rtol=1e-12)


@pytest.mark.parametrize("src,wrt", [("h : n; x : m; u^T tanh(W [h; x])", "W"), ("u^T tanh(W x)", "W"),
                                     ("x^T A x", "x"), ("v_c : d; U : d x k; sum(exp(U^T v_c))", "v_c")])
def test_a_matrix_results_whole_latex_reads_back(src, wrt):
    """∂s/∂W = … and ∂²F/∂x ∂xᵀ = … (matrix notation, no indices) read back as the derivative itself;
    a subscripted variable is braced in the head ({v_{c}}) so it is not read as index notation."""
    program = matcalc.parse(src)
    env = random_env(program, seed=3)
    results = [matcalc.derive(program, wrt)]
    if program.shapes[wrt] and len(program.shapes[wrt]) == 1:
        results.append(matcalc.hessian(program, wrt))
    for r in results:
        assert r.latex().startswith(r"\frac{\partial")
        np.testing.assert_allclose(matcalc.evaluate(matcalc.parse(r.latex()), env), r.evaluate(env), rtol=1e-12)


def test_the_diagonal_of_a_scaled_identity_reads_back():
    """diag(2 t2 I) printed an I whose size nothing around it says; it is 2 t2 ones(n) (noticed with a
    non-CI hypothesis seed of the LaTeX round trip)."""
    program = matcalc.parse("x : n; t1 = diag(x); t2 = tr(t1); t2 t2")
    d = matcalc.derive(program, "x")
    assert str(d).splitlines()[-1] == "2 t2 ones(n)"
    env = random_env(program, seed=0)
    want = 2 * env["x"].sum() * np.ones(len(env["x"]))
    for text in (str(d), d.latex()):
        np.testing.assert_allclose(matcalc.evaluate(matcalc.parse(text), env), want, rtol=1e-12)


def test_a_cancelled_matrix_term_leaves_its_broadcast_shape():
    """Found by the LaTeX round trip with a non-CI seed: (W + x) - W is x in each of W's m columns, but
    like terms left the column x alone, so the function's code returned a vector and the Jacobian's
    evaluation raised numpy's ValueError. It is x ones(m)^T, and by x the sum over the columns."""
    program = matcalc.parse("W : n x m; x : n; (W + x) - W")
    env = random_env(program, seed=0)
    W, x = env["W"], env["x"]
    n, m = W.shape
    d = matcalc.derive(program, "x")
    want = np.broadcast_to(np.eye(n)[:, None, :], (n, m, n))
    np.testing.assert_allclose(d.evaluate(env), want, rtol=1e-12)
    np.testing.assert_allclose(matcalc.evaluate(matcalc.parse(str(d)), env), want, rtol=1e-12)
    value, jacobian = d.compile()(W, x)
    np.testing.assert_allclose(value, np.outer(x, np.ones(m)), rtol=1e-12)
    np.testing.assert_allclose(jacobian, want, rtol=1e-12)


def test_a_row_and_a_column_left_alone_are_their_outer_sum():
    """(W + zᵀ + x) - W is the n x m outer sum zᵀ + x, which the language refuses as written (a row plus
    a column is usually a missing transpose); it is printed ones(n) zᵀ + x, which reads back. It used
    to be taken for a 1 x m row, and the entry printed (step(zᵀ + x))_j did not parse."""
    program = matcalc.parse("W : n x m; x : n; z : m; t3 = W + z^T + x; max(W, t3)")
    env = random_env(program, seed=1)
    W, x, z = env["W"], env["x"], env["z"]
    n, m = W.shape
    d = matcalc.derive(program, "x")
    assert str(d).splitlines()[-1] == "∂F_ij/∂x_k = δ_ik step(ones(n) z^T + x)_ij"
    outer = z[None, :] + x[:, None]
    want = np.einsum("ik,ij->ijk", np.eye(n), (outer > 0).astype(float))
    for text in (str(d), d.latex()):
        np.testing.assert_allclose(matcalc.evaluate(matcalc.parse(text), env), want, rtol=1e-12)
    np.testing.assert_allclose(d.compile()(W, x, z)[1], want, rtol=1e-12)


def test_ones_that_carry_the_shape_are_kept():
    """Found with a non-CI hypothesis seed: the gradient of exp(sum(wᵀ ⊙ D)) by D printed exp(·) wᵀ, a
    1 x k row for a k x k matrix (ones(k) ones(k)ᵀ ⊙ wᵀ lost its ones), wrong in silence."""
    program = matcalc.parse("D : k x k; w : k; t1 = w^T ⊙ D; exp(sum(t1))")
    d = matcalc.derive(program, "D")
    assert str(d).splitlines()[-1] == "exp(sum(t1)) ones(k) w^T"
    env = random_env(program, seed=0)
    D, w = env["D"], env["w"]
    want = np.exp((w[None, :] * D).sum()) * np.outer(np.ones(len(w)), w)
    np.testing.assert_allclose(d.evaluate(env), want, rtol=1e-12)
    check_grad(program, "D")


@pytest.mark.parametrize("src,wrt,form", [
    # found with non-CI hypothesis seeds: tr(I_m) printed inside index notation read back as an entry of I,
    # and I + α I printed a bare I whose size nothing in the LaTeX said
    ("C : m x m; W : n x m; α : scalar; t1 = C - α I; t2 = tr(t1^2); t2 + W", "α", "∂F_ij/∂α = -2 (tr(C) - α m)"),
    ("x : n; α : scalar; t1 = α x; x + t1", "x", "(1 + α) I"),
    ("x : n; α, β : scalar; u : n; u^T (α x + β x)", "u", "(α + β) x"),
])
def test_sizes_and_scalar_multiples_read_back(src, wrt, form):
    program = matcalc.parse(src)
    d = matcalc.derive(program, wrt)
    assert str(d).splitlines()[-1] == form
    env = random_env(program, seed=4)
    want = d.evaluate(env)
    declared = "" if d.kind == "tensor" else src.rsplit(";", 1)[0] + "; "
    # the text keeps the textbook's bare I, whose size the reader must be told (an xfail in
    # test_fuzz_derive); the LaTeX says I_{n}
    if not identity_alone(d.expr):
        np.testing.assert_allclose(matcalc.evaluate(matcalc.parse(declared + str(d)), env), want, rtol=1e-12)
    np.testing.assert_allclose(matcalc.evaluate(matcalc.parse(d.latex()), env), want, rtol=1e-12)


def test_a_scalar_broadcast_into_a_trace_and_a_sum_of_identities_read_back():
    """Found with non-CI hypothesis draws: ∂/∂α of tr(α + C)/γ printed sum(I / γ), whose I has no size for
    a reader (verify could not evaluate the engine's own answer); it is m / γ, the size of C times 1/γ.
    And ∂(y + y/γ)/∂y's LaTeX, I + I/γ, now sizes both identities (I_{n})."""
    program = matcalc.parse("C : m x m; α : scalar; γ : scalar; t1 = γ; t2 = (tr((α + C)) / t1); t2")
    d = matcalc.derive(program, "α")
    assert str(d) == "m / γ"
    env = random_env(program, seed=1, domain={"γ": "positive"})
    np.testing.assert_allclose(d.evaluate(env), len(env["C"]) / env["γ"], rtol=1e-12)
    assert matcalc.verify(program, "α", claim=str(d)).ok
    program = matcalc.parse("y : n; γ : scalar; t1 = γ; t2 = y / t1; y + t2")
    d = matcalc.derive(program, "y")
    env = random_env(program, seed=2, domain={"γ": "positive"})
    want = (1 + 1 / env["γ"]) * np.eye(len(env["y"]))
    np.testing.assert_allclose(matcalc.evaluate(matcalc.parse(d.latex()), env), want, rtol=1e-12)


def _softmax(v):
    return np.exp(v) / np.exp(v).sum()


@pytest.mark.parametrize("src,wrt,form,want", [
    # found by hand beside the fuzz sweep: the ones of a size the language cannot write in ones(·)
    # (the n m entries of vec(W) or kron(x, z), the n + m of [x; z]) were printed ones(m n), which does
    # not parse; the textbook forms say no such ones at all
    ("W : n x m; sum(vec(W))", "W", "ones(n) ones(m)^T", lambda e, n, m: np.ones((n, m))),
    ("W : n x m; X : n x m; sum([W, X])", "W", "ones(n) ones(m)^T", lambda e, n, m: np.ones((n, m))),
    ("x : n; z : m; sum([x; z])", "x", "ones(n)", lambda e, n, m: np.ones(n)),
    ("x : n; z : m; mean([x; z])", "z", "ones(m) / (m + n)", lambda e, n, m: np.ones(m) / (n + m)),
    # one row of the ones is the number 1, a scalar's derivative (it was ones(1), a 1-vector)
    ("x : n; z : m; α : scalar; sum([x; α]) + sum(z)", "α", "1", lambda e, n, m: 1.0),
    ("x : n; z : m; α : scalar; sum([α; x; α]) + sum(z)", "α", "2", lambda e, n, m: 2.0),
    ("x : n; z : m; sum(kron(x, z))", "x", "sum(z) ones(n)", lambda e, n, m: e["z"].sum() * np.ones(n)),
    ("x : n; z : m; mean(kron(x, z))", "z", "sum(x) (ones(m) / (m n))",
     lambda e, n, m: e["x"].sum() * np.ones(m) / (n * m)),
    ("x : n; z : m; sum(logsoftmax([x; z]))", "x", "1 - (m + n) rows(softmax([x; z]), 1, n)",
     lambda e, n, m: 1 - (n + m) * _softmax(np.r_[e["x"], e["z"]])[:n]),
])
def test_ones_of_a_compound_size_read_back(src, wrt, form, want):
    program = matcalc.parse(src)
    d = matcalc.derive(program, wrt)
    assert str(d).splitlines()[-1] == form
    env = random_env(program, seed=2)
    n, m = len(env["W"]) if "W" in env else len(env["x"]), env["W"].shape[1] if "W" in env else len(env["z"])
    expected = want(env, n, m)
    np.testing.assert_allclose(d.evaluate(env), expected, rtol=1e-12)
    declared = "".join(part + "; " for part in src.split("; ") if " : " in part)
    for text in (declared + str(d), d.latex()):
        np.testing.assert_allclose(matcalc.evaluate(matcalc.parse(text), env), expected, rtol=1e-12)
    check_grad(program, wrt)


def test_ones_of_a_compound_size_are_spelled_so_they_read_back():
    """Where ones(m n) is left (the variance of kron(x, z) by x), it is printed kron(ones(m), ones(n)), its
    size (m n) a product in the text and in the index notation of the Hessian; unvec's LaTeX
    \\operatorname{unvec}_{n \\times m}(v) reads back as unvec(v, n, m)."""
    program = matcalc.parse("x : n; z : m; var(kron(x, z))")
    env = random_env(program, seed=3)
    x, z = env["x"], env["z"]
    N = len(x) * len(z)
    d = matcalc.derive(program, "x")
    assert "ones(m n)" not in str(d)
    from matcalc.core import dims
    from matcalc.core.nodes import Ones
    from matcalc.language.latex import latex
    from matcalc.language.printing import text as print_text
    for ones, spelled, size in ((Ones(dims.times("m", "n")), "kron(ones(m), ones(n))", N),
                                (Ones(dims.plus("m", "n")), "[ones(m); ones(n)]", len(x) + len(z)),
                                (Ones(dims.plus("n", -1)), "rows(ones(n), 2, n)", len(x) - 1)):
        assert print_text(ones) == spelled
        for shown in (print_text(ones), latex(ones)):
            np.testing.assert_array_equal(matcalc.evaluate(matcalc.parse("x : n; z : m; " + shown), env),
                                          np.ones(size))
    # var(v) = Σ (v - mean)² / N, so its gradient by v is 2 (v - mean) / N, and by x its kronleft with z
    v = np.kron(x, z)
    gv = 2 * (v - v.mean()) / N
    expected = gv.reshape(len(x), len(z)) @ z
    for text in (str(d), d.latex()):
        np.testing.assert_allclose(matcalc.evaluate(matcalc.parse("x : n\nz : m\n" + text), env), expected,
                                   rtol=1e-10)
    h = matcalc.hessian(program, "x")
    assert "sum(ones(" not in str(h) and "((m n))" not in str(h)
    # the Hessian of (Σ v² - (Σ v)² / N) / N with v = kron(x, z): 2 (|z|² I - sum(z)² 1 1ᵀ / N) / N
    hess = 2 * (z @ z * np.eye(len(x)) - z.sum() ** 2 * np.ones((len(x), len(x))) / N) / N
    for text in (str(h), h.latex()):
        np.testing.assert_allclose(matcalc.evaluate(matcalc.parse(text), env), hess, rtol=1e-10)
    program = matcalc.parse("x : n; z : m; sum(unvec(kron(z, x), n, m))")
    latex_program = r"x \in \mathbb{R}^{n}" + "\n" + r"z \in \mathbb{R}^{m}" + "\n" + \
        r"\operatorname{sum}(\operatorname{unvec}_{n \times m}(\left(z \otimes x\right)))"
    np.testing.assert_allclose(matcalc.evaluate(matcalc.parse(latex_program), env), x.sum() * z.sum(), rtol=1e-12)


@pytest.mark.parametrize("src,wrt,form,want", [
    # found by hand beside the fuzz sweep: verify refuted the engine's own kronleft(vec(I), x) + kronright(x, vec(I))
    # (its lone I has no size), which is 2 x: kron(a, b) = vec(b aᵀ), so <vec(M), kron(a, b)> = aᵀ Mᵀ b
    ("x : n; tr(unvec(kron(x, x), n, n))", "x", "2 x", lambda e: 2 * e["x"]),
    ("x : n; z : m; A : m x n; tr(A^T unvec(kron(x, z), m, n))", "x", "A^T z", lambda e: e["A"].T @ e["z"]),
    ("x : n; z : m; A : m x n; tr(A^T unvec(kron(x, z), m, n))", "z", "A x", lambda e: e["A"] @ e["x"]),
    ("x : n; z : m; W : n x m; vec(W)^T kron(z, x)", "W", "x z^T", lambda e: np.outer(e["x"], e["z"])),
])
def test_kronecker_products_of_vectors_are_outer_products(src, wrt, form, want):
    program = matcalc.parse(src)
    d = matcalc.derive(program, wrt)
    assert str(d).splitlines()[-1] == form
    env = random_env(program, seed=5)
    np.testing.assert_allclose(d.evaluate(env), want(env), rtol=1e-12)
    declared = "".join(part + "; " for part in src.split("; ") if " : " in part)
    for text in (declared + str(d), d.latex()):
        np.testing.assert_allclose(matcalc.evaluate(matcalc.parse(text), env), want(env), rtol=1e-12)
    assert matcalc.verify(src, wrt=wrt, claim=str(d)).ok
    check_grad(program, wrt)


@pytest.mark.parametrize("source,env,message", [
    # found by hand beside the fuzz sweep: rows(x, 1, m) of x : n returned the n entries at hand for m = 5 > n = 3
    # (typed m, valued n), wrong in silence; with names for sizes only the values can tell
    ("x : n; z : m; rows(x, 1, m) + z", {"x": np.ones(3), "z": np.ones(5)}, "rows 1..5 do not fit in 3 rows"),
    ("W : n x k; z : m; sum(cols(W, 2, m))", {"W": np.ones((3, 2)), "z": np.ones(5)},
     "columns 2..5 do not fit in 2 columns"),
    ("x : n; z : m; padrows(x, 2, m)", {"x": np.ones(3), "z": np.ones(3)}, "rows 2..4 do not fit in 3 rows"),
])
def test_a_block_past_the_end_of_the_values_is_an_evaluation_error(source, env, message):
    with pytest.raises(matcalc.EvaluationError, match=message):
        matcalc.evaluate(source, env)


def test_a_block_within_the_values_is_its_rows():
    x, z = np.arange(1.0, 6.0), np.ones(3)
    np.testing.assert_array_equal(matcalc.evaluate("x : n; z : m; rows(x, 2, m + 1)", {"x": x, "z": z}), x[1:4])
    np.testing.assert_array_equal(matcalc.evaluate("x : n; z : m; padrows(z, 2, n)", {"x": x, "z": z}),
                                  [0, 1, 1, 1, 0])


def test_blocks_of_a_size_less_one_read_back():
    """Found by hand beside the fuzz sweep: the gradient of sum(rows(x, 2, n)) printed padrows(ones(n - 1), 2, n),
    the Hessian of ‖rows(x, 2, n)‖² a zero 0_{1 x n - 1} and LaTeX I_{n - 1}: none parses (or its size was read
    as a name, nm1). ones(n - 1) is rows(ones(n), 2, n), I_{n - 1} diag(rows(ones(n), 2, n))."""
    program = matcalc.parse("x : n; sum(rows(x, 2, n))")
    env = random_env(program, seed=6)
    n = len(env["x"])
    want = np.r_[0.0, np.ones(n - 1)]
    d = matcalc.derive(program, "x")
    assert str(d) == "padrows(rows(ones(n), 2, n), 2, n)"
    for text in ("x : n; " + str(d), d.latex()):
        np.testing.assert_allclose(matcalc.evaluate(matcalc.parse(text), env), want, rtol=1e-12)
    program = matcalc.parse("x : n; norm(rows(x, 2, n))^2")
    h = matcalc.hessian(program, "x")
    assert "0_{" not in str(h) and "n - 1" not in str(h) + h.latex()
    want = 2 * np.diag(np.r_[0.0, np.ones(n - 1)])  # the Hessian of Σ_{i ≥ 2} x_i²
    np.testing.assert_allclose(h.evaluate(env), want, rtol=1e-12)
    for text in ("x : n; " + str(h), "x : n\n" + h.latex()):
        np.testing.assert_allclose(matcalc.evaluate(matcalc.parse(text), env), want, rtol=1e-12)


def test_kronecker_products_of_three_vectors():
    """Found by hand beside the fuzz sweep: the gradient of sum(kron(x, kron(x, x))) = sum(x)³ printed
    kronleft(ones(n n n), kron(x, x)), which the typer refused (n n n was not divided by n n; sum(A ⊗ B) is
    now sum(A) sum(B), and it is 3 sum(x)² 1), and the
    sizes (m n) / (m n) came out m n, not 1."""
    from matcalc.core import dims
    assert dims.divide(dims.times("n", dims.times("n", "n")), dims.times("n", "n")) == "n"
    assert dims.divide(dims.times("m", "n"), dims.times("m", "n")) == 1
    assert dims.divide(dims.times("n", "n"), dims.times("m", "n")) is None
    program = matcalc.parse("x : n; sum(kron(x, kron(x, x)))")
    d = matcalc.derive(program, "x")
    assert str(d) == "3 sum(x)^2 ones(n)"
    env = random_env(program, seed=7)
    want = 3 * env["x"].sum() ** 2 * np.ones(len(env["x"]))
    for text in ("x : n; " + str(d), d.latex()):
        np.testing.assert_allclose(matcalc.evaluate(matcalc.parse(text), env), want, rtol=1e-12)
    check_grad(program, "x")


def test_a_zero_of_a_compound_size_reads_back():
    """Found by hand beside the fuzz sweep: the Jacobian of kron(x, z) - kron(x, z) + 1 printed 0_{m n x n},
    which no subscript can say; it is 0 times its ones, 0 kron(ones(m), ones(n)) ones(n)^T."""
    program = matcalc.parse("x : n; z : m; kron(x, z) - kron(x, z) + 1")
    d = matcalc.derive(program, "x")
    assert str(d) == "0 kron(ones(m), ones(n)) ones(n)^T"
    env = random_env(program, seed=8)
    n, m = len(env["x"]), len(env["z"])
    for text in ("x : n; z : m; " + str(d), d.latex()):
        got = matcalc.evaluate(matcalc.parse(text if text.startswith("x :") else "x : n; z : m; " + text), env)
        np.testing.assert_array_equal(got, np.zeros((m * n, n)))
