"""Generated NumPy code agrees with matcalc.evaluate and Derivative.evaluate, checks its inputs,
uses stable forms, and admits only validated names."""
from __future__ import annotations

import numpy as np
import pytest

import matcalc
from matcalc.views import codegen
from matcalc.views.codegen import CodegenError, safe_name
from matcalc.core.nodes import NODE_CLASSES, walk
from matcalc.calculus.numeric import random_env

# (source, wrt, domain): together they reach every node class of a typed tree
CASES = [
    ("u^T f(W x + b)", ["W", "b", "x"], "any"),
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
    ("sum(tan(a))", ["a"], "unit"),
    ("α^2 x^T x + (x^T x)/β", ["x", "α", "β"], "positive"),
    ("x^T (I + A) x", ["x"], "any"),
    ("‖X‖ + ‖x‖", ["X", "x"], "any"),
    ("u^T tanh(W2 tanh(W1 x))", ["W1", "W2", "x"], "any"),
    ("λ - x^T y", ["λ", "x"], "any"),
    ("sum(W^T W)", ["W"], "any"),
    ("W : n x m; mean(W) + var(x) + max(W x) - min(x) + sum(W, 2)^T u / n", ["W", "x", "u"], "any"),
    ("X : N x D; W : D x C; b : C; c : N; sum(tanh(X W + b^T + c)) + sum(exp(c - X W))", ["W", "b", "c"], "any"),
    ("X : n x m; A : k x n; B : m x l; C : k x l; vec(C)^T vec(A X B) + sum(unvec(vec(X) ⊙ vec(X), n, m))",
     ["X", "A"], "any"),
    ("A : n x m; B : k x l; x : m; y : l; u : n; v : k; kron(u, v)^T exp(A ⊗ B) kron(x, y)", ["A", "B", "x"], "any"),
    (("A : n x m; B : k x m; C : n x l; D : k x l; a : n; b : k; tr([A; B]^T exp([C; D]) [C; D]^T [A; B])"
      " + sum([a; b]^T [[A, A]; [B, B]])"),
     ["A", "B"], "any"),
    (("a : n; b : m; U : n x l; u : 2; tr(U^T rows(exp([a; b] ones(l)^T), 1, n)) + u^T padrows(rows(a, 1, 1), 2, 2)"
      " + sum(cols(exp(ones(l) [a; b]^T), n + 1, n + m))"), ["a", "b"], "any"),
    ("A : n x 2; U : n x 4; tr(U^T exp(padcols(A, 3, 4)))", ["A", "U"], "any"),
    ("X : n x n; u : n; tr(X^3) + u^T X^{-2} u + u^T X^4 u", ["X", "u"], "spd"),
    (("Q : n x d; K : k x d; V : k x v; U : n x v; tr(U^T softmax(Q K^T / sqrt(d)) V) + sum(logsumexp(Q K^T))"
      " + sum(logsoftmax(K Q^T))"), ["Q", "K", "V"], "any"),
]


# generalized Jacobians (index notation, compiled with np.einsum) and sized zeros
TENSOR_CASES = [
    ("x x^T", ["x"], "any"),
    ("tanh(W x)", ["W"], "any"),
    ("x x^T x x^T", ["x"], "any"),
    ("A X B", ["X"], "any"),
    ("X^{-1}", ["X"], "spd"),
    ("diag(X)", ["X"], "any"),
    ("Y : k x m; v : m; (Y + (-Y)) v", ["v"], "any"),
    ("r : 1 x n; t1 = r^T; t1 - t1", ["r"], "any"),
]


def _env(program, domain, seed=0):
    env = random_env(program, seed=seed, domain=domain)
    return env


def _args(fn_gen: codegen.Generated, program, env: dict) -> list:
    """Positional arguments of the generated function from an evaluate-style env."""
    back = {safe_name(v): v for v in env if isinstance(v, str) and "'" not in v}
    out = []
    for p in fn_gen.parameters:
        if p in fn_gen.function_parameters:
            base, _, order = p.partition("_prime")
            k = int(order or 1) if "_prime" in p else 0
            out.append(env[back[base] + "'" * k])
        else:
            out.append(env[back[p]])
    return out


def _close(a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("source,wrt,domain", CASES, ids=[c[0] for c in CASES])
def test_generated_code_matches_evaluate(source, wrt, domain):
    program = matcalc.parse(source)
    grads = matcalc.derive(program, wrt)
    gen = codegen.generate(program, grads)
    fn = codegen.compile_source(gen)
    for seed in (0, 1):
        env = _env(program, domain, seed)
        value, *ds = fn(*_args(gen, program, env))
        _close(value, matcalc.evaluate(program, env))
        for d, got in zip(grads.values(), ds, strict=True):
            _close(got, d.evaluate(env))


@pytest.mark.parametrize("source,wrt,domain", TENSOR_CASES, ids=[c[0] for c in TENSOR_CASES])
def test_generated_tensor_code_matches_evaluate(source, wrt, domain):
    test_generated_code_matches_evaluate(source, wrt, domain)


def test_the_cases_cover_every_node_class():
    from matcalc.calculus.indices import index_form
    seen = set()
    for source, wrt, _ in CASES + TENSOR_CASES:
        program = matcalc.parse(source)
        seen.update(type(n) for n in walk(program.inline()))
        for d in matcalc.derive(program, wrt).values():
            seen.update(type(n) for n in walk(d.inlined()))
            if d.kind == "tensor":  # what becomes code: its Tensor node
                seen.update(type(n) for n in walk(index_form(d).node))
    assert set(NODE_CLASSES) - seen == set()


@pytest.mark.parametrize("source,wrt,domain", [
    ("x^T A x", "x", "any"),
    ("sum(log(1 + exp(-y ⊙ (X w))))", "w", "any"),
    ("‖A x - b‖^2", "x", "any"),
    ("u^T tanh(W x)", "x", "any"),
])
def test_generated_hessian_matches_evaluate(source, wrt, domain):
    h = matcalc.hessian(source, wrt)
    gen = codegen.generate(h.program, h)
    fn = codegen.compile_source(gen)
    env = _env(h.program, domain)
    value, got = fn(*_args(gen, h.program, env))
    _close(got, h.evaluate(env))
    _close(value, matcalc.evaluate(h.program, env))


def test_gradient_and_hessian_together():
    program = matcalc.parse("sum(log(1 + exp(-y ⊙ (X w))))")
    g = matcalc.derive(program, "w")
    h = matcalc.hessian(program, "w")
    gen = codegen.generate(program, [g, h])
    assert gen.outputs == ["value", "d_w", "d2_w"]  # the Hessian labelled apart from the gradient
    env = _env(program, "any")
    value, dg, dh = codegen.compile_source(gen)(*_args(gen, program, env))
    _close(dg, g.evaluate(env))
    _close(dh, h.evaluate(env))


def test_methods_on_results():
    d = matcalc.derive("x^T A x", "x")
    src = d.to_numpy()
    assert src.startswith("import numpy as np") and "def f_and_grad(x, A):" in src
    value, grad = d.compile()(np.array([1.0, 2.0]), np.array([[1.0, 2.0], [3.0, 4.0]]))
    # x^T A x = 1 + 2*2 + 3*2 + 4*4 = 27; (A + A^T) x = [[2, 5], [5, 8]] [1, 2] = [12, 21]
    assert value == 27.0
    np.testing.assert_array_equal(grad, [12.0, 21.0])
    gs = matcalc.derive("u^T f(W x + b)", ["W", "b"])
    assert "def f_and_grad(u, W, x, b, f, f_prime):" in gs.to_numpy()
    assert callable(gs.compile())


def test_shared_subexpressions_are_computed_once():
    src = matcalc.derive("u^T tanh(W2 tanh(W1 x))", ["W1", "W2"]).to_numpy()
    assert src.count("np.tanh(") == 2  # tanh(W1 x) and tanh(W2 tanh(W1 x)), once each
    assert src.count("W1 @ x") == 1
    assert src.count("W2 @") == 1


def test_dims_are_checked_on_entry():
    fn = matcalc.derive("u^T f(W x + b)", "W").compile()
    with pytest.raises(ValueError, match=r"x has 5 entries, but W has m = 4"):
        fn(np.ones(3), np.ones((3, 4)), np.ones(5), np.ones(3), np.tanh, np.cos)
    with pytest.raises(ValueError, match=r"W should be a matrix, got shape \(3,\)"):
        fn(np.ones(3), np.ones(3), np.ones(4), np.ones(3), np.tanh, np.cos)
    with pytest.raises(ValueError, match=r"b has 2 entries, but u has n = 3"):
        fn(np.ones(3), np.ones((3, 4)), np.ones(4), np.ones(2), np.tanh, np.cos)


def test_scalars_and_column_arrays_are_accepted():
    fn = matcalc.derive("α x^T x", "x").compile()
    value, grad = fn(2.0, np.array([[1.0], [2.0]]))
    assert value == 10.0  # 2 (1 + 4)
    np.testing.assert_array_equal(grad, [4.0, 8.0])  # 2 α x
    with pytest.raises(ValueError, match="α should be a scalar"):
        fn(np.ones(2), np.ones(2))


def test_stable_forms():
    fn = matcalc.derive("sum(log(1 + exp(x)))", "x").compile()
    value, grad = fn(np.array([1000.0, -1000.0]))
    assert value == 1000.0  # softplus(1000) = 1000 + log1p(e^-1000); softplus(-1000) ≈ 0
    np.testing.assert_array_equal(grad, [1.0, 0.0])  # σ(1000) = 1, σ(-1000) ≈ 0
    fn = matcalc.derive("y^T logsoftmax(z)", "z").compile()
    value, grad = fn(np.array([1.0, 0.0]), np.array([1000.0, 0.0]))
    assert value == 0.0  # logsoftmax(z)_1 = 0 - log(1 + e^-1000)
    np.testing.assert_allclose(grad, [0.0, 0.0], atol=1e-300)  # y - sum(y) softmax(z) = [1, 0] - [1, 0]
    fn = matcalc.derive("log(sum(exp(z)))", "z").compile()
    value, grad = fn(np.array([1000.0, 1000.0]))
    assert value == pytest.approx(1000.0 + np.log(2.0), rel=1e-15)
    np.testing.assert_allclose(grad, [0.5, 0.5], rtol=1e-15)  # softmax of equal entries


def test_greek_names_stay_greek():
    src = matcalc.derive("γ x^T x + δ", ["x", "δ"]).to_numpy()
    assert "def f_and_grad(γ, x, δ):" in src
    assert "gamma" not in src and "delta" not in src


@pytest.mark.parametrize("name,expected", [
    ("x", "x"), ("W_1", "W_1"), ("δ", "δ"), ("Σ", "Σ"), ("x_α", "x_α"), ("_w", "_w"), ("θ", "θ"),
    # characters Python would read as other letters (NFKC), or that are no letters, spelt out
    ("ϑ", "theta_symbol"), ("ϐ", "beta_symbol"), ("x\u0374", "xnumeral_sign"), ("\u0374", "numeral_sign"),
])
def test_safe_name_accepts(name, expected):
    assert safe_name(name) == expected


@pytest.mark.parametrize("name", [
    "__import__", "__class__", "lambda", "import", "def", "None", "np", "math", "ValueError", "f_and_grad",
    "x; import os", "x)", "os.system", "a b", "x\n", "", "1x", "x′", "é", "ℵ", "x-y", "__",
    "match",  # a soft keyword
])
def test_safe_name_rejects(name):
    with pytest.raises(CodegenError):
        safe_name(name)


def test_a_program_symbol_the_generated_code_needs_is_rejected():
    with pytest.raises(matcalc.MatcalcError, match='"np" is a name the generated code uses'):
        matcalc.derive("np^T x", "x").to_numpy()


def test_function_name_is_validated():
    d = matcalc.derive("x^T x", "x")
    assert "def grad_xx(x):" in d.to_numpy("grad_xx")
    for bad in ("__import__", "f(x):\n    pass\ndef g", "x", "class"):
        with pytest.raises(CodegenError):
            d.to_numpy(bad)


def test_index_notation_results_become_einsum():
    # ∂F_i/∂W_kl = δ_ik x_l (F = W x): one einsum over the identity and x
    d = matcalc.derive("W x", "W")
    assert d.kind == "tensor"
    assert "np.einsum('ab,c->abc', np.eye(dim_n), x, optimize=True)" in d.to_numpy()
    W, x = np.arange(6.0).reshape(2, 3), np.array([1.0, -2.0, 0.5])
    _, got = d.compile()(W, x)
    np.testing.assert_allclose(got, np.einsum("ik,l->ikl", np.eye(2), x))


def test_a_hessian_by_a_matrix_becomes_code():
    h = matcalc.hessian("tr(X^T X X)", "X")
    assert h.kind == "tensor"
    gen = codegen.generate(h.program, h)
    env = _env(h.program, "any")
    _, got = codegen.compile_source(gen)(*_args(gen, h.program, env))
    _close(got, h.evaluate(env))


def test_generated_source_calls_no_eval():
    for source, wrt, _ in CASES:
        src = matcalc.derive(source, wrt).to_numpy()
        assert "eval(" not in src and "exec(" not in src and "__" not in src.replace('"""', "")


def _check_value_and_grads(source, wrt, domain="any"):
    """Generated value and gradients agree with evaluate, and the inputs are left as they were."""
    program = matcalc.parse(source)
    grads = matcalc.derive(program, wrt)
    sources = []
    for results in ((), grads):
        gen = codegen.generate(program, results)
        sources.append(gen.source)
        fn = codegen.compile_source(gen)
        for seed in (0, 1):
            env = _env(program, domain, seed)
            args = _args(gen, program, env)
            before = [np.array(a, copy=True) for a in args]
            value, *ds = fn(*args)
            for a, b in zip(args, before):
                np.testing.assert_array_equal(a, b)  # nothing written into an input
            _close(value, matcalc.evaluate(program, env))
            for d, got in zip(grads.values() if results else (), ds, strict=True):
                _close(got, d.evaluate(env))
    return sources


@pytest.mark.parametrize("source", [
    "sum(tanh(A B))",                    # a function into its argument's buffer
    "sum(exp(2 (A B)))",                 # a scale
    "sum((A B) ./ C)",                   # an elementwise division
    "sum(-(A B) ⊙ C)",                   # a negation, then a product
    "sum((A B).^2 + C)",                 # a square, then a sum
    "sum(relu(A B) - C - 1)",            # a sum with negated terms
    "sum(exp(A B) ⊙ C ⊙ C)",             # a three-term product
])
def test_in_place_operations_on_dead_temporaries(source):
    value_src, _ = _check_value_and_grads(source, ["A", "B"])
    assert "out=" in value_src


def test_nothing_read_later_is_overwritten():
    # A B is read by tanh and by the product with C: neither may overwrite it
    value_src, _ = _check_value_and_grads("sum(tanh(A B)) + sum((A B) ⊙ C)", ["A", "B"])
    assert "out=" not in value_src.split("np.tanh")[1].split("\n")[0]
    # z is read by the stable log-sum-exp past exp(z)
    _check_value_and_grads("log(sum(exp(A b)))", ["A", "b"])
    _check_value_and_grads("sum(log(ones(n)^T exp(A B)))", ["A", "B"])
    # a user's function may return its argument: its result is never overwritten
    _check_value_and_grads("sum(exp(tanh(A B)))", ["A"])


@pytest.mark.parametrize("source", [
    "sum((ones(n) v^T) ⊙ M)",
    "sum((u ones(m)^T) ⊙ M)",
    "sum((ones(n) (1 ./ ones(n)^T exp(M))) ⊙ M)",  # (the column softmax is its own stable form, below)
])
def test_outer_products_with_ones_are_broadcasts(source):
    value_src, _ = _check_value_and_grads(source, ["M"])
    assert "np.broadcast_to(" in value_src and "np.outer(" not in value_src


def test_a_returned_outer_product_with_ones_is_a_plain_array():
    d = matcalc.derive("u^T M v", "M")  # u vᵀ
    value, grad = d.compile()(np.array([1.0, 2.0]), np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]),
                              np.array([3.0, 4.0, 5.0]))
    np.testing.assert_array_equal(grad, [[3.0, 4.0, 5.0], [6.0, 8.0, 10.0]])
    assert grad.flags.writeable and grad.flags.owndata


@pytest.mark.parametrize("source", ["sum(A B C)", "sum(A B C D)"])
def test_chains_of_products_use_multi_dot(source):
    value_src, _ = _check_value_and_grads(source, ["A", "B"])
    assert "np.linalg.multi_dot(" in value_src


@pytest.mark.parametrize("source,chain", [("u^T A B C v", "(((u @ A) @ B) @ C) @ v"), ("x^T A B x", "((x @ A) @ B) @ x")])
def test_a_chain_with_a_vector_end_starts_there(source, chain):
    """Every product then is a matrix times a vector, the cheapest order, with no multi_dot search."""
    value_src, _ = _check_value_and_grads(source, ["A", "B"])
    assert chain in value_src and "multi_dot" not in value_src


def test_an_outer_product_inside_a_chain_is_two_chains_and_an_outer():
    """-X⁻ᵀ a bᵀ X⁻ᵀ is outer(X⁻ᵀ a, bᵀ X⁻ᵀ), O(n²) after the inverse, not (X⁻ᵀ a bᵀ) X⁻ᵀ, O(n³)."""
    _, grad_src = _check_value_and_grads("a^T X^{-1} b", ["X"], domain="spd")
    assert "np.outer((t0.T @ a), (b @ t0.T))" in grad_src


# ---------------------------------------------------------------- parameters as the program names them

LOGISTIC = ("θ : d\nλ : scalar\nX : n x d\ny : n\n"
            "L = -sum(y ⊙ log(σ(X θ)) + (1 - y) ⊙ log(1 - σ(X θ))) + λ θ^T θ")


def _logistic_values():
    rng = np.random.default_rng(3)
    return {"θ": rng.normal(size=3), "λ": 0.25, "X": rng.normal(size=(5, 3)), "y": np.array([0, 1, 1, 0, 1.0])}


def _logistic_by_hand(v):
    """L = -Σ (y log σ(z) + (1 - y) log(1 - σ(z))) + λ θᵀθ, z = X θ; ∇θ = Xᵀ (σ(z) - y) + 2 λ θ; ∂λ = θᵀθ."""
    z = v["X"] @ v["θ"]
    s = 1 / (1 + np.exp(-z))
    value = -np.sum(v["y"] * np.log(s) + (1 - v["y"]) * np.log(1 - s)) + v["λ"] * v["θ"] @ v["θ"]
    return value, v["X"].T @ (s - v["y"]) + 2 * v["λ"] * v["θ"], v["θ"] @ v["θ"]


def test_parameters_are_the_programs_names_in_declaration_order():
    g = matcalc.derive(LOGISTIC, ["θ", "λ"])
    gen = codegen.generate(g["θ"].program, g)
    assert gen.parameters == ["θ", "λ", "X", "y"]  # as declared, not as they first appear
    fn = g.compile()
    v = _logistic_values()
    want = _logistic_by_hand(v)
    for got in (fn(**v), fn(*v.values())):  # by the program's names, and positionally as declared
        for a, b in zip(got, want, strict=True):
            _close(a, b)


def test_ascii_spellings_are_keyword_aliases():
    fn = matcalc.derive(LOGISTIC, "θ").compile()
    v = _logistic_values()
    got = fn(theta=v["θ"], lamda=v["λ"], X=v["X"], y=v["y"])
    _close(got[1], _logistic_by_hand(v)[1])
    with pytest.raises(TypeError, match="multiple values|twice"):
        fn(v["θ"], theta=v["θ"], λ=v["λ"], X=v["X"], y=v["y"])


def test_undeclared_names_follow_the_declared_by_first_appearance():
    gen = codegen.generate(matcalc.parse("b : m\nu^T f(W x + b)"), ())
    assert gen.inputs == ["b", "u", "W", "x"]
    gen = codegen.generate(matcalc.parse("Σ : n x n\nμ : n\n(x - μ)^T Σ^{-1} (x - μ)"), ())
    assert gen.inputs == ["Σ", "μ", "x"]


def test_names_python_would_merge_are_one_name_in_the_program_too():
    # ϑ is θ to Python (NFKC), and matcalc reads names the same way: one symbol, one parameter
    d = matcalc.derive("θ : n\nϑ : n\nθ^T ϑ", "ϑ")
    gen = codegen.generate(d.program, d)
    assert gen.inputs == ["θ"]
    fn = d.compile()
    a = np.array([1.0, 2.0])
    for value, grad in (fn(**{"θ": a}), fn(a)):
        assert value == 5.0  # θᵀθ = 1 + 4
        np.testing.assert_array_equal(grad, 2 * a)  # ∂(θᵀθ)/∂θ = 2 θ


# ---------------------------------------------------------------- symmetric products (syrk)

def _fd_hessian(grad, x, h=1e-6):
    """Central differences of a gradient, column by column."""
    cols = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        cols.append((grad(x + e) - grad(x - e)) / (2 * h))
    return np.array(cols).T


@pytest.mark.parametrize("source,gram", [
    ("W : n x m; u : n; x : m; u^T tanh(W x)", r"(t\d+_b)\.T @ \1"),      # Wᵀ diag(v) W: rows weighted
    ("W : m x n; u : n; x : m; u^T tanh(W^T x)", r"(t\d+_b) @ \1\.T"),    # W diag(v) Wᵀ: columns weighted
])
@pytest.mark.parametrize("signs", ["mixed", "positive", "negative"])
def test_a_weighted_gram_matrix_is_a_symmetric_product(source, gram, signs):
    import re
    h = matcalc.hessian(source, "x")
    gen = codegen.generate(h.program, h)
    assert re.search(gram, gen.source) and ".T * " not in gen.source and "* W)" not in gen.source
    assert "if (" in gen.source and ">= 0).all():" in gen.source  # the sign decided at run time
    fn = codegen.compile_source(gen)
    g = matcalc.derive(h.program, "x")
    gfn = codegen.compile_source(gc := codegen.generate(h.program, g))
    rng = np.random.default_rng(14)
    n, m = 7, 4  # distinct dims
    W = rng.standard_normal((n, m) if "W x" in source else (m, n))
    x = rng.standard_normal(m)
    u = rng.standard_normal(n)
    t = np.tanh(W @ x if "W x" in source else W.T @ x)
    weights = {"mixed": u, "positive": np.abs(u) * np.sign(t), "negative": -np.abs(u) * np.sign(t)}[signs]
    v = weights * t * (1 - t ** 2)  # the diagonal of the Hessian's sandwich
    assert {"mixed": (v > 0).any() and (v < 0).any(), "positive": (v > 0).all(),
            "negative": (v < 0).all()}[signs]
    env = {"W": W, "x": x, "u": weights}
    value, got = fn(*[env[p] for p in gen.parameters])
    _close(got, h.evaluate(env))
    _close(value, matcalc.evaluate(h.program, env))
    # by hand: ∇²_x uᵀ tanh(W x) = Wᵀ diag(-2 u ⊙ t ⊙ (1 - t²)) W
    M = W if "W x" in source else W.T
    _close(got, M.T @ np.diag(-2 * v) @ M)

    def grad(xx):
        return gfn(*[{**env, "x": xx}[p] for p in gc.parameters])[1]
    np.testing.assert_allclose(got, _fd_hessian(grad, x), rtol=1e-6, atol=1e-7)


def test_the_logistic_hessian_is_a_symmetric_product():
    import re
    h = matcalc.hessian("sum(log(1 + exp(-y ⊙ (X w))))", "w")
    gen = codegen.generate(h.program, h)
    assert "(X.T *" not in gen.source
    assert re.search(r"(t\d+_b) = np\.sqrt\(t\d+\)\[:, None\] \* X\n\s+t\d+ = \1\.T @ \1\n", gen.source)
    fn = codegen.compile_source(gen)
    rng = np.random.default_rng(3)
    X = rng.standard_normal((9, 5))
    y = np.where(rng.standard_normal(9) > 0, 1.0, -1.0)
    w = rng.standard_normal(5)
    env = {"X": X, "y": y, "w": w}
    _, got = fn(*[env[p] for p in gen.parameters])
    s = 1 / (1 + np.exp(-(X @ w)))  # textbook: Xᵀ diag(σ(1 - σ)) X with y² = 1
    _close(got, X.T @ np.diag(s * (1 - s)) @ X)
    _close(got, h.evaluate(env))


def test_a_nan_weight_is_not_lost_in_the_sign_split():
    h = matcalc.hessian("W : n x m; u : n; x : m; u^T tanh(W x)", "x")
    gen = codegen.generate(h.program, h)
    fn = codegen.compile_source(gen)
    rng = np.random.default_rng(5)
    env = {"W": rng.standard_normal((6, 3)), "x": rng.standard_normal(3), "u": rng.standard_normal(6)}
    env["u"][2] = np.nan
    _, got = fn(*[env[p] for p in gen.parameters])
    assert np.isnan(got).all()  # every entry reads row 2 of W, as (W.T * v) @ W would


def test_a_plain_gram_matrix_reads_one_buffer_twice():
    # Mᵀ M: numpy hands an operand and its own transpose to syrk; the code must not copy either
    h = matcalc.hessian("‖A x - b‖^2", "x")
    src = codegen.generate(h.program, h).source
    assert "A.T @ A" in src


# ---------------------------------------------------------------- the column softmax of a cross-entropy gradient

_MLP = "Z = W2 tanh(W1 X); L = sum(log(ones(k)^T exp(Z))) - sum(Y ⊙ Z)"


def _mlp_by_hand(X, Y, W1, W2):
    """Textbook: P = softmax of each column of Z, ∂L/∂W2 = (P − Y) Hᵀ, ∂L/∂W1 = (W2ᵀ(P − Y) ⊙ (1 − H²)) Xᵀ."""
    H = np.tanh(W1 @ X)
    Z = W2 @ H
    E = np.exp(Z - Z.max(axis=0))
    G = E / E.sum(axis=0) - Y
    return ((W2.T @ G) * (1 - H ** 2)) @ X.T, G @ H.T


@pytest.mark.parametrize("scale", [1.0, 1000.0])  # 1000: logits far past exp's overflow at 709
def test_a_cross_entropy_gradient_takes_its_softmax_with_the_max_subtracted(scale):
    import warnings
    prog = matcalc.parse(_MLP)
    d = matcalc.derive(prog, ["W1", "W2"])
    gen = codegen.generate(prog, d)
    assert "- np.max(t2, axis=0)" in gen.source and "np.exp(t2)" not in gen.source
    fn = codegen.compile_source(gen)
    rng = np.random.default_rng(11)
    din, hidden, k, batch = 5, 6, 3, 4  # distinct dims
    X = rng.standard_normal((din, batch))
    Y = np.eye(k)[:, [0, 1, 2, 0]]
    W1 = rng.standard_normal((hidden, din))
    W2 = scale * rng.standard_normal((k, hidden))
    env = {"X": X, "Y": Y, "W1": W1, "W2": W2}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow on the way
        _, g1, g2 = fn(*[env[p] for p in gen.parameters])
    w1, w2 = _mlp_by_hand(X, Y, W1, W2)
    _close(g1, w1)
    _close(g2, w2)
    if scale == 1.0:
        _close(g1, d["W1"].evaluate(env))
        _close(g2, d["W2"].evaluate(env))
        vfn = codegen.compile_source(vgen := codegen.generate(prog, ()))
        h = 1e-6
        for i, j in ((0, 0), (2, 5)):  # central differences of the value in two entries of W2
            e = np.zeros_like(W2)
            e[i, j] = h
            up = vfn(*[{**env, "W2": W2 + e}[p] for p in vgen.parameters])
            down = vfn(*[{**env, "W2": W2 - e}[p] for p in vgen.parameters])
            up, down = (u[0] if isinstance(u, tuple) else u for u in (up, down))
            assert abs((up - down) / (2 * h) - g2[i, j]) < 1e-6


# ---------------------------------------------------------------- σ and softplus from one exp(-|u|)

def _softplus(t: float) -> float:
    return max(t, 0.0) + np.log1p(np.exp(-abs(t)))


def _sigma(t: float) -> float:
    return 1 / (1 + np.exp(-t)) if t >= 0 else np.exp(t) / (1 + np.exp(t))


_LOGITS = np.array([0.3, -1.7, 2.5, 0.0, 40.0, -40.0, 800.0, -800.0])  # ±800: exp(800) overflows


def test_sigma_and_softplus_of_u_and_minus_u_read_one_exp():
    # softplus(±z) and σ(±z) of one z: one e = exp(-|z|), no logaddexp (a scalar loop in numpy)
    prog = matcalc.parse("z : n\nsum(softplus(z)) + 2 sum(softplus(-z)) + 3 sum(σ(z)) + 5 sum(σ(-z))")
    d = matcalc.derive(prog, "z")
    gen = codegen.generate(prog, d)
    assert "logaddexp" not in gen.source and gen.source.count("np.exp(") == 1, gen.source
    fn = codegen.compile_source(gen)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # nothing overflows on the way
        value, grad = fn(_LOGITS)
    # by hand: d/dt softplus(t) = σ(t), d/dt softplus(-t) = -σ(-t), σ'(t) = σ(t) σ(-t) = σ'(-t)
    want = sum(_softplus(t) + 2 * _softplus(-t) + 3 * _sigma(t) + 5 * _sigma(-t) for t in _LOGITS)
    np.testing.assert_allclose(value, want, rtol=1e-14)
    want = [_sigma(t) - 2 * _sigma(-t) + (3 - 5) * _sigma(t) * _sigma(-t) for t in _LOGITS]
    np.testing.assert_allclose(grad, want, rtol=1e-13, atol=1e-300)
    env = {"z": _LOGITS}
    np.testing.assert_allclose(value, matcalc.evaluate(prog, env), rtol=1e-14)
    np.testing.assert_allclose(grad, d.evaluate(env), rtol=1e-13, atol=1e-300)
    h = 1e-6
    for i in range(4):  # central differences where the value is not a huge number
        e = np.zeros_like(_LOGITS)
        e[i] = h
        assert abs((fn(_LOGITS + e)[0] - fn(_LOGITS - e)[0]) / (2 * h) - grad[i]) < 1e-6


def test_the_logistic_hessian_is_right_at_logits_past_overflow():
    h = matcalc.hessian("sum(log(1 + exp(-y ⊙ (X w))))", "w")
    gen = codegen.generate(h.program, h)
    assert "logaddexp" not in gen.source and gen.source.count("np.exp(") == 1, gen.source
    fn = codegen.compile_source(gen)
    g = matcalc.derive(h.program, "w")
    gfn = codegen.compile_source(gc := codegen.generate(h.program, g))
    rng = np.random.default_rng(8)
    n, m = 8, 3  # distinct dims
    X = rng.standard_normal((n, m))
    w = rng.standard_normal(m)
    y = np.where(rng.standard_normal(n) > 0, 1.0, -1.0)
    X[4:] *= (_LOGITS[4:] / (X[4:] @ w))[:, None]  # rows 4–7 have logits X w = ±40, ±800
    env = {"X": X, "y": y, "w": w}
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value, got = fn(*[env[p] for p in gen.parameters])
    z = y * (X @ w)
    np.testing.assert_allclose(z[4:] * y[4:], _LOGITS[4:], rtol=1e-12)
    np.testing.assert_allclose(value, sum(_softplus(-t) for t in z), rtol=1e-14)
    # textbook: Xᵀ diag(σ(z) σ(-z)) X (y² = 1); the rows at ±800 weigh e^-800, i.e. 0
    weights = np.array([_sigma(t) * _sigma(-t) for t in z])
    _close(got, X[:4].T @ np.diag(weights[:4]) @ X[:4] + X[4:].T @ np.diag(weights[4:]) @ X[4:])
    _close(got, h.evaluate(env))
    _close(value, matcalc.evaluate(h.program, env))
    moderate = {**env, "X": X[:4], "y": y[:4]}  # central differences of the gradient

    def grad(ww):
        return gfn(*[{**moderate, "w": ww}[p] for p in gc.parameters])[1]
    np.testing.assert_allclose(fn(*[moderate[p] for p in gen.parameters])[1], _fd_hessian(grad, w),
                               rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("source", [
    "sum(σ(-(A b)) ⊙ exp(-(A b)))",        # -(A b) written into A b's buffer would flip what σ(-u) reads
    "sum(softplus(-(A b)) ⊙ tanh(-(A b)))",
    "sum(σ(A b - c) + softplus(c - A b))",  # an expression as u: computed once, then read
])
def test_sigma_of_minus_u_reads_u_unchanged(source):
    _check_value_and_grads("A : n x m; b : m; c : n\n" + source, ["A", "b"])


@pytest.mark.parametrize("source,wrt", [
    ("α : scalar\nσ(α) + softplus(-α) + σ(-α) σ(α)", ["α"]),            # a scalar u: numpy scalars throughout
    ("A : n x m\nsum(σ(A) ⊙ softplus(-A))", ["A"]),                      # a matrix u
    ("x : n\nsum(σ(x^T) ⊙ x^T)", ["x"]),                                 # a view as u
    ("A : n x m; B : m x n\nsum(softplus(-(A B)^T) + σ(A B))", ["A", "B"]),  # two u's, each its own exp
])
def test_sigma_and_softplus_of_any_shape_agree_with_evaluate(source, wrt):
    for src in _check_value_and_grads(source, wrt):
        assert "logaddexp" not in src
