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


# generalized Jacobians (index notation): the NumPy target's tensor cases (np.einsum there), and a
# function of the entries (σ, softplus) in the framework's einsum
from test_codegen import TENSOR_CASES as CODEGEN_TENSOR_CASES

TENSOR_CASES = CODEGEN_TENSOR_CASES + [
    ("X : n x m\nσ(X) ⊙ X + softplus(X) .^ 3 - X ./ (1 + exp(X))", ["X"], "any"),
    ("A : n x m; x : m; (A + (-A)) x", ["A"], "any"),  # a zero tensor of its size
]
NOT_TENSORS = {"Y : k x m; v : m; (Y + (-Y)) v"}  # a sized zero matrix: the ordinary code, checked alike
TENSOR_IDS = [c[0].split("\n")[-1] for c in TENSOR_CASES]


def _tensor_point(source, wrt, domain, target):
    program, grads, env = _point(source, wrt, domain)
    assert any(d.kind == "tensor" for d in grads.values()) == (source not in NOT_TENSORS), source
    gen = codegen.generate(program, grads, target=target)
    assert "einsum" in gen.source or "zeros" in gen.source
    return program, grads, env, gen, codegen.compile_source(gen), program_inputs(program, gen)


@pytest.mark.parametrize("source,wrt,domain", TENSOR_CASES, ids=TENSOR_IDS)
def test_a_tensor_result_in_torch_agrees_with_autograd_and_numpy(source, wrt, domain):
    torch = _framework("torch")
    program, grads, env, _, fn, names = _tensor_point(source, wrt, domain, "torch")
    args = [torch.tensor(np.asarray(env[v], dtype=float), dtype=torch.float64) for v in names]
    value, *ds = fn(*args)
    want_value, *want = _numpy_reference(program, grads, env)
    np.testing.assert_allclose(value.numpy(), want_value, rtol=1e-10, atol=1e-10)
    for v, d, w in zip(grads, ds, want, strict=True):
        k = names.index(v)
        assert d.dtype == torch.float64 and tuple(d.shape) == np.shape(w)
        np.testing.assert_allclose(d.numpy(), w, rtol=1e-10, atol=1e-10)

        def value_of(x, k=k):
            return fn(*args[:k], x, *args[k + 1:])[0]
        jacobian = torch.autograd.functional.jacobian(value_of, args[k])  # of the generated value code
        np.testing.assert_allclose(d.numpy().reshape(jacobian.shape), jacobian.numpy(), rtol=1e-8, atol=1e-10)
    if ds and ds[0].numel():  # a result of its own: writing into it leaves the inputs as they were
        before = [a.clone() for a in args]
        ds[0][(0,) * ds[0].dim()] += 1.0
        assert all(torch.equal(a, b) for a, b in zip(args, before))


@pytest.mark.parametrize("source,wrt,domain", TENSOR_CASES, ids=TENSOR_IDS)
def test_a_tensor_result_in_jax_agrees_with_jax_jacobian_and_numpy(source, wrt, domain, x64):
    jax = x64
    program, grads, env, _, fn, names = _tensor_point(source, wrt, domain, "jax")
    args = [jax.numpy.asarray(np.asarray(env[v], dtype=float)) for v in names]
    value, *ds = jax.jit(fn)(*args)
    want_value, *want = _numpy_reference(program, grads, env)
    np.testing.assert_allclose(np.asarray(value), want_value, rtol=1e-10, atol=1e-10)
    argnums = tuple(names.index(v) for v in grads)
    by_jax = jax.jit(jax.jacobian(lambda *a: fn(*a)[0], argnums=argnums))(*args)  # of the generated value code
    for d, w, g in zip(ds, want, by_jax, strict=True):
        assert np.shape(d) == np.shape(w)
        np.testing.assert_allclose(np.asarray(d), w, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(np.asarray(d).reshape(np.shape(g)), np.asarray(g), rtol=1e-8, atol=1e-10)


def test_a_hessian_by_a_matrix_in_the_frameworks_agrees_with_their_hessians(x64):
    # ∂²/∂X² of tr(Xᵀ A X) + sum(exp(X)): a tensor of four indices, einsum in each framework
    torch, jax = _framework("torch"), x64
    h = matcalc.hessian("X : n x m\nA : n x n\ntr(X^T A X) + sum(exp(X))", "X")
    assert h.kind == "tensor"
    rng = np.random.default_rng(3)
    A, X = rng.normal(size=(3, 3)), rng.normal(size=(3, 2))
    _, want = h.compile()(X, A)
    _, by_torch = h.compile(target="torch")(torch.tensor(X), torch.tensor(A))
    _, by_jax = h.compile(target="jax")(jax.numpy.asarray(X), jax.numpy.asarray(A))
    autograd = torch.autograd.functional.hessian(lambda x: h.compile(target="torch")(x, torch.tensor(A))[0],
                                                 torch.tensor(X))
    assert want.shape == (3, 2, 3, 2)
    for got in (by_torch.numpy(), np.asarray(by_jax), autograd.numpy()):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_index_notation_with_functions_of_entries_compiles_in_every_target(x64):
    # a tensor the user writes: softplus of a product of entries, a generic f of a sum of them
    torch, jax = _framework("torch"), x64
    program = matcalc.parse("X : n x m\n∂F_ij/∂X_kl = softplus(X_ij X_kl) + f(X_ij + X_kl) - exp(X_ij) δ_ik δ_jl")
    X = np.random.default_rng(4).normal(size=(3, 2)) * 30  # softplus at ±900: finite where log(1 + exp) is not
    want = matcalc.evaluate(program, {"X": X, "n": 3, "m": 2, "f": np.sin})
    assert want.shape == (3, 2, 3, 2) and np.isfinite(want).all()
    for target, array, f in (("numpy", np.asarray, np.sin), ("torch", torch.tensor, torch.sin),
                             ("jax", jax.numpy.asarray, jax.numpy.sin)):
        gen = codegen.generate(program, [], target=target)
        assert gen.source.count("einsum('ab,cd->abcd'") == 1  # the product of entries is computed once
        (got,) = codegen.compile_source(gen)(array(X), f)  # the value alone
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, atol=1e-12, err_msg=target)


def _every_tensor_result():
    from test_index_language import CASES as INDEX_CASES
    from test_index_language import HESSIANS
    return [(s, w, False) for s, w, _ in INDEX_CASES] + [(s, "X", True) for s in HESSIANS]


@pytest.mark.parametrize("source,wrt,hessian", _every_tensor_result(),
                         ids=[f"{s} by {w}" for s, w, _ in _every_tensor_result()])
def test_every_tensor_result_of_the_index_suite_is_the_same_array_in_torch_and_jax(source, wrt, hessian, x64):
    # the index-notation suite's results (checked there against central differences in NumPy)
    torch, jax = _framework("torch"), x64
    program = matcalc.parse(source)
    d = matcalc.hessian(program, wrt) if hessian else matcalc.derive(program, wrt)
    assert d.kind == "tensor"
    domain = "spd" if "det" in source or "^{-1}" in source else "positive" if "log" in source else "any"
    env = random_env(program, seed=5, domain=domain)
    gens = {t: codegen.generate(program, [d], target=t) for t in ("numpy", "torch", "jax")}

    def args(gen, array, back):  # a generic function's NumPy values, brought back as the framework's array
        program_name = {codegen.safe_name(k): k for k in env if isinstance(k, str) and "'" not in k}
        out = []
        for p in gen.parameters:
            if p in gen.function_parameters:
                base, _, order = p.partition("_prime")
                f = env[program_name[base] + "'" * (int(order or 1) if "_prime" in p else 0)]
                out.append(lambda t, f=f: array(np.asarray(f(np.asarray(back(t))), dtype=float)))
            else:
                out.append(array(np.asarray(env[program_name[p]], dtype=float)))
        return out
    _, want = codegen.compile_source(gens["numpy"])(*args(gens["numpy"], np.asarray, np.asarray))
    assert np.isfinite(want).all()
    for target, array, back in (("torch", torch.tensor, lambda t: t.numpy()), ("jax", jax.numpy.asarray, np.asarray)):
        _, got = codegen.compile_source(gens[target])(*args(gens[target], array, back))
        assert np.shape(got) == np.shape(want)
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-10, atol=1e-12, err_msg=target)
