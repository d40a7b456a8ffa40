"""The PyTorch and JAX targets: the same function as the NumPy one, checked against each
framework's own autodiff (torch.autograd, jax.grad) applied to the generated value code, and
against the NumPy target. Skipped cleanly where torch or jax is not installed (they are
optional extras: pip install matcalc[torch] / matcalc[jax]). `.ci/run` installs both and sets
MATCALC_REQUIRE_FRAMEWORKS, so there a missing framework fails instead of skipping."""
from __future__ import annotations

import importlib
import os

import numpy as np
import pytest

import matcalc
from matcalc.calculus.numeric import random_env
from matcalc.views import codegen

# (source, wrt, domain): programs without generic functions, over every kind of node
CASES = [
    ("x^T A x", ["x", "A"], "any"),
    ("sum(log(1 + exp(-y ⊙ (X w))))", ["w"], "any"),
    ("‖A x - b‖^2", ["x", "A"], "any"),
    ("tr(A X B) + det(X) + logdet(X)", ["X"], "spd"),
    ("tr(X^{-1}) + sum(diag(X))", ["X"], "spd"),
    ("y^T logsoftmax(W x) + u^T softmax(z)", ["W", "x", "z"], "any"),
    ("sum(diag(a) B c)", ["a", "c"], "any"),
    ("ones(n)^T (a ⊙ b) + a^T ones(n)", ["a", "b"], "any"),
    ("sum(a ./ b) + sum(a .^ 3) + sum(max(a, b) - min(a, b))", ["a"], "positive"),
    ("sum(exp(a) + sin(a) + cos(a) + tanh(a) + sinh(a) + cosh(a) + atan(a) + sqrt(a) + log(a))", ["a"], "positive"),
    ("sum(σ(a) + softplus(a) + relu(a) + abs(a))", ["a"], "positive"),
    ("α^2 x^T x + (x^T x)/β", ["x", "α", "β"], "positive"),
    ("u^T tanh(W2 tanh(W1 x + b))", ["W1", "b", "x"], "any"),
    ("λ - x^T y", ["λ", "x"], "any"),
    ("log(sum(exp(A b)))", ["A", "b"], "any"),
    ("sum(log(ones(n)^T exp(A B)))", ["A", "B"], "any"),
    ("θ : d\nX : n x d\ny : n\n-sum(y ⊙ log(σ(X θ)) + (1 - y) ⊙ log(1 - σ(X θ)))", ["θ"], "any"),
    ("sum(A B C)", ["A", "B"], "any"),
    # batches and reductions (issue 12): broadcasting, row-wise softmax, sizes, blocks, vec, kron, powers
    ("Q : n x d\nK : m x d\nV : m x p\nsum(softmax(Q K^T / sqrt(d)) V)", ["Q", "K", "V"], "any"),
    ("X : N x D\nW : D x C\nb : C\nY : N x C\n-sum(Y ⊙ logsoftmax(X W + b^T)) / N", ["W", "b"], "any"),
    ("X : n x m\nb : n\nc : m\nsum(tanh(X + b) ⊙ (X - c^T)) + sum(logsumexp(X))", ["X", "b", "c"], "any"),
    ("x : n\nmean(x) + var(x) + max(x) - min(x)", ["x"], "any"),
    ("X : n x m\nsum(X, 1) ones(m) + ones(n)^T sum(X, 2) + mean(X)", ["X"], "any"),
    ("A : n x m\nB : n x k\nsum([A, B] .^ 2) + sum(vec(A) .^ 3)", ["A", "B"], "any"),
    ("a : 2\nb : 3\nW : 4 x 5\nu : 4\nu^T tanh(W [a; b])", ["W", "a", "b"], "any"),
    ("A : n x n\ntr(A^3) + sum(A^2)", ["A"], "any"),
    ("A : p x q\nX : r x s\nsum(kron(A, X) .^ 2)", ["A", "X"], "any"),
    ("X : 3 x 4\nv : 12\nsum(unvec(v, 3, 4) ⊙ X)", ["v", "X"], "any"),
]
IDS = [c[0].split("\n")[-1] for c in CASES]


def _framework(name):
    """The framework module; skipped where it is missing, unless CI promised it."""
    if os.environ.get("MATCALC_REQUIRE_FRAMEWORKS"):
        return importlib.import_module(name)
    return pytest.importorskip(name)


def _point(source, wrt, domain, seed=0):
    program = matcalc.parse(source)
    grads = matcalc.derive(program, wrt)
    env = random_env(program, seed=seed, domain=domain)
    return program, grads, env


def _numpy_reference(program, grads, env):
    gen = codegen.generate(program, grads)
    return codegen.compile_source(gen)(**{p: env[v] for p, v in zip(gen.inputs, program_inputs(program, gen))})


def program_inputs(program, gen):
    """The program names of the generated function's inputs, in order."""
    back = {codegen.safe_name(v): v for v in program.shapes}
    return [back[p] for p in gen.inputs]


@pytest.mark.parametrize("source,wrt,domain", CASES, ids=IDS)
def test_torch_agrees_with_autograd_and_numpy(source, wrt, domain):
    torch = _framework("torch")
    program, grads, env = _point(source, wrt, domain)
    gen = codegen.generate(program, grads, target="torch")
    fn = codegen.compile_source(gen)
    names = program_inputs(program, gen)
    args = {p: torch.tensor(np.asarray(env[v], dtype=float), dtype=torch.float64, requires_grad=v in wrt)
            for p, v in zip(gen.inputs, names)}
    value, *ds = fn(**args)
    value.backward()  # torch.autograd through the generated value code
    by_name = dict(zip(names, args.values()))
    want_value, *want = _numpy_reference(program, grads, env)
    np.testing.assert_allclose(value.detach().numpy(), want_value, rtol=1e-10, atol=1e-10)
    for v, d, w in zip(grads, ds, want, strict=True):
        np.testing.assert_allclose(d.detach().numpy(), w, rtol=1e-10, atol=1e-10)
        autograd = by_name[v].grad.numpy()
        np.testing.assert_allclose(d.detach().numpy().reshape(autograd.shape), autograd, rtol=1e-8, atol=1e-10)


@pytest.fixture
def x64():
    jax = _framework("jax")
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield jax
    jax.config.update("jax_enable_x64", old)  # leave the process as it was


@pytest.mark.parametrize("source,wrt,domain", CASES, ids=IDS)
def test_jax_agrees_with_jax_grad_and_numpy(source, wrt, domain, x64):
    jax = x64
    program, grads, env = _point(source, wrt, domain)
    gen = codegen.generate(program, grads, target="jax")
    fn = codegen.compile_source(gen)
    names = program_inputs(program, gen)
    args = [jax.numpy.asarray(np.asarray(env[v], dtype=float)) for v in names]
    value, *ds = jax.jit(fn)(*args)  # one compilation rather than one per operation
    want_value, *want = _numpy_reference(program, grads, env)
    np.testing.assert_allclose(np.asarray(value), want_value, rtol=1e-10, atol=1e-10)
    argnums = tuple(names.index(v) for v in grads)
    by_jax = jax.jit(jax.grad(lambda *a: fn(*a)[0], argnums=argnums))(*args)  # through the generated value code
    for d, w, g in zip(ds, want, by_jax, strict=True):
        np.testing.assert_allclose(np.asarray(d), w, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(np.asarray(d).reshape(np.shape(g)), np.asarray(g), rtol=1e-8, atol=1e-10)


def test_jax_code_traces_under_jit(x64):
    jax = x64
    d = matcalc.derive("θ : d\nX : n x d\ny : n\n-sum(y ⊙ log(σ(X θ)) + (1 - y) ⊙ log(1 - σ(X θ)))", "θ")
    fn = jax.jit(d.compile(target="jax"))
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    y = np.array([1.0, 0.0, 1.0])
    θ = np.array([800.0, -800.0])  # logits 800, -800, 0: finite where the naive form is inf/nan
    value, grad = fn(θ, X, y)
    # L = softplus(-800) + softplus(-800) + softplus(0) = log 2 (to double precision)
    assert float(value) == pytest.approx(np.log(2.0), rel=1e-12)
    # ∇ = Xᵀ (σ(X θ) - y) = Xᵀ [0, 0, -1/2] = [-1/2, -1/2]
    np.testing.assert_allclose(np.asarray(grad), [-0.5, -0.5], rtol=1e-12, atol=1e-300)


def test_methods_and_cli_formats():
    d = matcalc.derive("x^T A x", "x")
    assert d.to_torch().startswith("import torch\n") and "def f_and_grad(x, A):" in d.to_torch()
    assert d.to_jax().startswith("import jax\n") and "jnp." in d.to_jax()
    g = matcalc.derive("x^T A x", ["x", "A"])
    assert "def grad_xa(x, A):" in g.to_torch("grad_xa") and "def grad_xa(x, A):" in g.to_jax("grad_xa")
    from matcalc.cli import main
    for fmt, marker in (("torch", "torch.as_tensor"), ("jax", "jnp.asarray")):
        out = _run_cli(main, ["grad", "x^T A x", "--wrt", "x", "--format", fmt])
        assert marker in out and "def f_and_grad(x, A):" in out


def _run_cli(main, argv):
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(argv) == 0
    return buf.getvalue()


def test_names_the_frameworks_use_are_refused():
    d = matcalc.derive("torch : n\nsum(exp(torch))", "torch")
    assert "def f_and_grad(torch):" in d.to_numpy()  # numpy code may use it
    with pytest.raises(matcalc.MatcalcError, match="uses itself"):
        d.to_torch()
    with pytest.raises(matcalc.MatcalcError, match="no code target"):
        d.compile(target="tensorflow")


def test_generic_functions_named_like_framework_calls():
    """A declared function may be called anything, even a word the spelling table uses (pow, where)."""
    torch = _framework("torch")
    d = matcalc.derive("pow : function\nu^T pow(W x)", "x")  # declared: only f g h φ ψ are generic unasked
    fn = d.compile(target="torch")
    u, W, x = (torch.tensor(a, dtype=torch.float64) for a in ([1.0, 2.0], [[1.0, 0.0], [0.0, 3.0]], [2.0, 1.0]))
    value, grad = fn(u, W, x, torch.tanh, lambda z: 1 - torch.tanh(z) ** 2)
    # u^T tanh(W x) = tanh(2) + 2 tanh(3); ∇x = Wᵀ (u ⊙ tanh'(W x))
    assert float(value) == pytest.approx(np.tanh(2.0) + 2 * np.tanh(3.0), rel=1e-14)
    want = np.array([[1.0, 0.0], [0.0, 3.0]]).T @ (np.array([1.0, 2.0]) * (1 - np.tanh([2.0, 3.0]) ** 2))
    np.testing.assert_allclose(grad.numpy(), want, rtol=1e-14)


def test_a_torch_hessian_agrees_with_autograd():
    torch = _framework("torch")
    h = matcalc.hessian("sum(log(1 + exp(-y ⊙ (X w))))", "w")
    fn = h.compile(target="torch")
    rng = np.random.default_rng(5)
    y, X, w = (torch.tensor(a, dtype=torch.float64) for a in
               (rng.choice([-1.0, 1.0], size=6), rng.normal(size=(6, 3)), rng.normal(size=3)))
    _, got = fn(y, X, w)
    by_torch = torch.autograd.functional.hessian(lambda v: fn(y, X, v)[0], w)  # of the generated value code
    np.testing.assert_allclose(got.numpy(), by_torch.numpy(), rtol=1e-10, atol=1e-12)


def test_a_tensor_result_says_it_has_numpy_code_only():
    """Index notation becomes np.einsum code; the frameworks say so rather than write something else."""
    d = matcalc.derive("X : n x m\nx : m\nX x", "X")
    assert "np.einsum" in d.to_numpy() or "np.eye" in d.to_numpy()
    for target in ("torch", "jax"):
        with pytest.raises(matcalc.MatcalcError, match=f"no {target} code yet"):
            codegen.generate(matcalc.parse("X : n x m\nx : m\nX x"), [d], target=target)
