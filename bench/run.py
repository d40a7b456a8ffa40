"""matcalc benchmarks: derivation (vs SymPy, tensorgrad), gradient code (vs jax.jit(grad)), Hessian code
(vs jax.jit(jax.hessian)). Prints three tables and writes them to bench/last_run.md.

    pip install -e '.[bench]'
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/run.py          # full run
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/run.py --quick  # small sizes, a smoke test

Peers (SymPy, tensorgrad) run in a subprocess each per case and are stopped at 60 s.
Every derivative is checked numerically against jax.grad / jax.hessian in float64.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time


def _blas_threads_from_argv():
    """``--threads N`` pins numpy's BLAS and XLA's CPU backend to N threads, and the process (with the
    workers it starts) to N cores; it must be set before numpy (and jax) load, so it is read here,
    ahead of the imports. The thread settings alone do not hold jax to one thread: with
    ``intra_op_parallelism_threads=1`` its MLP gradient still took 8.2 ms of CPU in 5.5 ms of wall time
    on two cores, while numpy's BLAS kept to one, so the "one thread" row compared one core with two."""
    if "--threads" not in sys.argv:
        return None
    n = int(sys.argv[sys.argv.index("--threads") + 1])
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)
    flags = f"--xla_cpu_multi_thread_eigen={'false' if n == 1 else 'true'} intra_op_parallelism_threads={n}"
    kept = [f for f in os.environ.get("XLA_FLAGS", "").split()  # a worker's parent may have set its own
            if not f.startswith(("--xla_cpu_multi_thread_eigen=", "intra_op_parallelism_threads="))]
    os.environ["XLA_FLAGS"] = " ".join([*kept, flags])
    if hasattr(os, "sched_setaffinity"):  # widened as well: a worker of a one-core run may ask for two
        try:
            os.sched_setaffinity(0, range(min(n, os.cpu_count() or n)))
        except OSError:
            pass
    return n


BLAS_THREADS = _blas_threads_from_argv()

import numpy as np  # after the thread settings above

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

PEER_TIMEOUT = 60.0
WARM_UP_MATCALC = "s = c^T tanh(V1 a)"
"""Every tool gets one warm-up derivation of a one-layer chain under other names before timing
(parser, grammar and SymPy set-up, imports), so first-call overhead is not counted for anyone;
other names, so no tool's result cache can serve the timed case."""


def tokens(text: str) -> int:
    """Identifiers, numbers and single punctuation marks."""
    return len(re.findall(r"[A-Za-z_\u0370-\u03ff][\w\u0370-\u03ff']*|\d+(?:\.\d+)?|[^\s\w]", text))


def best_time(fn, min_total=0.3, max_reps=20, min_reps=3):
    """Best wall time of fn() over repeats (after one warm-up call)."""
    return timings(fn, min_total, max_reps, min_reps)[0]


def timings(fn, min_total=0.3, max_reps=30, min_reps=7):
    """Wall times of fn() over repeats (after one warm-up call), for a median and its spread."""
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or (time.perf_counter() - start < min_total and len(times) < max_reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return sorted(times)


def med(ts):
    return float(np.median(ts))


def fmt_spread(ts):
    """median, and the quartiles' spread as ± half the interquartile range, in % of the median."""
    q1, m, q3 = np.percentile(ts, [25, 50, 75])
    return f"{fmt_s(m)} ±{50 * (q3 - q1) / m:.0f}%"


def interleaved(fns, rounds=5, **kw):
    """Times of several functions measured in alternation (rounds of each in turn), so a change in the
    shared machine's load falls on all of them alike."""
    out = [[] for _ in fns]
    for _ in range(rounds):
        for k, fn in enumerate(fns):
            out[k] += timings(fn, min_total=0.05, max_reps=8, min_reps=2, **kw)
    return [sorted(t) for t in out]


def fmt_s(t):
    if t is None:
        return "–"
    if t < 1e-3:
        return f"{t * 1e6:.0f} µs"
    if t < 1:
        return f"{t * 1e3:.1f} ms"
    return f"{t:.2f} s"


def table(headers, rows):
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


# ---------------------------------------------------------------- the chain

def chain_dims(L):
    return [3 + (k % 3) for k in range(L + 1)]  # 3, 4, 5, 3, …: neighbours differ


def chain_data(L, seed=0):
    rng = np.random.default_rng(seed)
    k = chain_dims(L)
    data = {"x": rng.standard_normal(k[0]), "u": rng.standard_normal(k[L])}
    for l in range(1, L + 1):
        data[f"W{l}"] = rng.standard_normal((k[l], k[l - 1])) / np.sqrt(k[l - 1])
    return data


def chain_reference(L, data):
    import jax
    import jax.numpy as jnp

    def s(Ws, x, u):
        h = x
        for W in Ws:
            h = jnp.tanh(W @ h)
        return u @ h

    Ws = [jnp.asarray(data[f"W{l}"]) for l in range(1, L + 1)]
    grads = jax.grad(s)(Ws, jnp.asarray(data["x"]), jnp.asarray(data["u"]))
    return {f"W{l}": np.asarray(g) for l, g in zip(range(1, L + 1), grads)}


def rel_err(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return float("inf")
    return float(np.max(np.abs(a - b)) / max(1e-300, np.max(np.abs(b))))


def matcalc_chain(L, data, ref):
    import matcalc
    src = "x"
    for l in range(1, L + 1):
        src = f"tanh(W{l} {src})"
    src = f"s = u^T {src}"
    names = [f"W{l}" for l in range(1, L + 1)]
    matcalc.derive(WARM_UP_MATCALC, "V1")  # warm-up (same courtesy as the peers get in their subprocess)
    gc.collect()  # the garbage of the jax reference is not matcalc's to collect
    t = time.perf_counter()
    d = matcalc.derive(src, names)
    elapsed = time.perf_counter() - t
    text = str(d)
    err = max(rel_err(d[n].evaluate(data), ref[n]) for n in names)
    return {"time": elapsed, "tokens": tokens(text), "chars": len(text), "delivered": L, "err": err}


# ---------------------------------------------------------------- peers, in subprocesses

def worker_sympy(L, path):
    import sympy
    from sympy import MatrixSymbol
    data = dict(np.load(path))
    k = chain_dims(L)
    x = MatrixSymbol("x", k[0], 1)
    u = MatrixSymbol("u", k[L], 1)
    Ws = [MatrixSymbol(f"W{l}", k[l], k[l - 1]) for l in range(1, L + 1)]
    h = x
    for W in Ws:
        h = (W * h).applyfunc(sympy.tanh)
    s = u.T * h
    subs = {x: sympy.ImmutableMatrix(data["x"].reshape(-1, 1)), u: sympy.ImmutableMatrix(data["u"].reshape(-1, 1))}
    subs.update({W: sympy.ImmutableMatrix(data[W.name]) for W in Ws})
    V1, a, c = MatrixSymbol("V1", 4, 3), MatrixSymbol("a", 3, 1), MatrixSymbol("c", 4, 1)
    (c.T * (V1 * a).applyfunc(sympy.tanh)).diff(V1)  # warm-up: other names, so no cache hit
    for l in range(L, 0, -1):  # the outermost first: the one SymPy is known to return
        W = Ws[l - 1]
        t = time.perf_counter()
        try:
            g = s.diff(W)
            elapsed = time.perf_counter() - t
            text = str(g)
            rec = {"l": l, "time": elapsed, "tokens": tokens(text), "chars": len(text)}
        except Exception as exc:  # noqa: BLE001 - SymPy's failures are what we report
            rec = {"l": l, "time": time.perf_counter() - t, "error": f"{type(exc).__name__}: {str(exc)[:120]}"}
            print(json.dumps(rec), flush=True)
            continue
        print(json.dumps(rec), flush=True)
        try:  # numeric check: substitute the arrays, evaluate
            e = g.subs(subs).doit()
            e = e.as_explicit() if hasattr(e, "as_explicit") else e
            value = np.array([float(sympy.N(v)) for v in np.array(e.tolist(), dtype=object).ravel()])
            want = data[f"ref_W{l}"]
            value = value.reshape(want.shape) if value.size == want.size else value
            rec2 = {"l": l, "err": rel_err(value, want)}
        except Exception as exc:  # noqa: BLE001
            rec2 = {"l": l, "check_error": f"{type(exc).__name__}: {str(exc)[:120]}"}
        print(json.dumps(rec2), flush=True)


def worker_tensorgrad(L, path):
    import sympy
    import tensorgrad as tg
    import tensorgrad.functions as F
    data = dict(np.load(path))
    k = chain_dims(L)
    i = sympy.symbols(" ".join(f"i{j}" for j in range(L + 1)))
    i = i if isinstance(i, tuple) else (i,)
    x = tg.Variable("x", i[0])
    Ws = [tg.Variable(f"W{l}", i[l], i[l - 1]) for l in range(1, L + 1)]
    u = tg.Variable("u", i[L])
    h = x
    for W in Ws:
        h = F.tanh(W @ h)
    s = u @ h
    j0, j1 = sympy.symbols("j0 j1")  # warm-up: a one-layer chain under other names
    V1 = tg.Variable("V1", j1, j0)
    (tg.Variable("c", j1) @ F.tanh(V1 @ tg.Variable("a", j0))).grad(V1).simplify()
    results = []
    for l in range(L, 0, -1):
        t = time.perf_counter()
        try:
            g = s.grad(Ws[l - 1]).simplify()
        except Exception as exc:  # noqa: BLE001
            print(json.dumps({"l": l, "time": time.perf_counter() - t,
                              "error": f"{type(exc).__name__}: {str(exc)[:120]}"}), flush=True)
            continue
        elapsed = time.perf_counter() - t
        text = str(g)
        print(json.dumps({"l": l, "time": elapsed, "tokens": tokens(text), "chars": len(text)}), flush=True)
        results.append((l, g))
    try:  # numeric check through tensorgrad's own compiler (torch)
        import torch
        from tensorgrad.compiler import compile_to_callable
        if not hasattr(torch.Tensor, "names"):  # torch >= 2.13 dropped named tensors, which tensorgrad 0.3
            # expects; positional (unnamed) tensors in each variable's edge order are what it runs on
            torch.Tensor.names = property(lambda t: (None,) * t.dim())
            torch.Tensor.rename = lambda t, *a, **k: t
            torch.Tensor.refine_names = lambda t, *a: t
        step = compile_to_callable(*[g for _, g in results])
        values = {x: torch.tensor(data["x"]), u: torch.tensor(data["u"])}
        values.update({W: torch.tensor(data[W.name]) for W in Ws})
        out = step(values, {i[j]: k[j] for j in range(L + 1)})
        out = out if isinstance(out, tuple) else (out,)
        for (l, g), o in zip(results, out):
            o = o.numpy()
            want = data[f"ref_W{l}"]
            if o.shape != want.shape and o.T.shape == want.shape:  # neighbouring dims differ, so unambiguous
                o = o.T
            print(json.dumps({"l": l, "err": rel_err(o, want)}), flush=True)
    except Exception as exc:  # noqa: BLE001
        print(json.dumps({"check_error": f"{type(exc).__name__}: {str(exc)[:160]}"}), flush=True)


def run_peer(kind, L, path):
    proc = subprocess.Popen([sys.executable, __file__, "--worker", kind, str(L), path],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    timed_out = False
    try:
        out, err = proc.communicate(timeout=PEER_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        timed_out = True
    recs = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    if proc.returncode not in (0, None) and not timed_out and not recs:
        recs.append({"error": (err.strip().splitlines() or ["crashed"])[-1][:160]})
    return recs, timed_out


def summarize_peer(recs, timed_out, L):
    got = [r for r in recs if "tokens" in r]
    errors = [r for r in recs if "error" in r]
    errs = [r["err"] for r in recs if "err" in r]
    check_errors = [r["check_error"] for r in recs if "check_error" in r]
    total = sum(r["time"] for r in recs if "time" in r)
    size = sum(r["tokens"] for r in got)
    note = []
    if errors:
        kinds = sorted({r["error"].split(":")[0] for r in errors})
        note.append(f"{len(errors)} raised ({', '.join(kinds)})")
    if timed_out and len(got) + len(errors) == L:
        note.append(f"stopped at {PEER_TIMEOUT:.0f} s in the numeric check")
    elif timed_out:
        note.append(f"stopped at {PEER_TIMEOUT:.0f} s after {len(got) + len(errors)} of {L}")
    if check_errors:
        note.append("check failed: " + check_errors[0].split(":")[0])
    check = f"{max(errs):.1e}" if errs else "–"
    return {"delivered": len(got), "time": total, "tokens": size, "check": check, "note": "; ".join(note),
            "first": errors[0]["error"] if errors else None,
            "per_grad": (total / len(got)) if got else None}


def part_a(depths):
    import matcalc
    rows = []
    raw = []
    for L in depths:
        data = chain_data(L)
        ref = chain_reference(L, data)
        mc = matcalc_chain(L, data, ref)
        with tempfile.NamedTemporaryFile(suffix=".npz", delete=False) as fh:
            np.savez(fh, **data, **{f"ref_{k}": v for k, v in ref.items()})
            path = fh.name
        sp = summarize_peer(*run_peer("sympy", L, path), L)
        tgr = summarize_peer(*run_peer("tensorgrad", L, path), L)
        os.unlink(path)
        mc_per = mc["time"] / L
        speed = f"{sp['per_grad'] / mc_per:.0f}×" if sp["per_grad"] else "–"
        speed_tg = f"{tgr['time'] / mc['time']:.0f}×" if tgr["delivered"] == L and tgr["time"] else "–"
        rows.append([L, fmt_s(mc["time"]), f"{L}/{L}", mc["tokens"], f"{mc['err']:.1e}",
                     fmt_s(sp["time"]), f"{sp['delivered']}/{L}", sp["tokens"] or "–", sp["check"], speed,
                     sp["note"] or "",
                     fmt_s(tgr["time"]), f"{tgr['delivered']}/{L}", tgr["tokens"] or "–", tgr["check"], speed_tg,
                     tgr["note"] or ""])
        raw.append({"L": L, "matcalc": mc, "sympy": sp, "tensorgrad": tgr})
        print(f"  L={L}: matcalc {fmt_s(mc['time'])}, sympy {fmt_s(sp['time'])} ({sp['delivered']}/{L}), "
              f"tensorgrad {fmt_s(tgr['time'])} ({tgr['delivered']}/{L})", flush=True)
    headers = ["L", "matcalc time", "grads", "tokens", "max rel err",
               "SymPy time", "grads", "tokens", "max rel err", "per-grad speed-up", "SymPy notes",
               "tensorgrad time", "grads", "tokens", "max rel err", "speed-up", "tensorgrad notes"]
    return table(headers, rows), raw


# ---------------------------------------------------------------- gradient and Hessian code vs JAX

def part_b(quick):
    import jax
    import jax.numpy as jnp
    import matcalc
    from matcalc.views import codegen
    rows = []
    rng = np.random.default_rng(1)

    # logistic regression, labels ±1
    N, d = (2000, 100) if quick else (10_000, 500)
    X = rng.standard_normal((N, d)) / np.sqrt(d)
    y = np.where(rng.standard_normal(N) > 0, 1.0, -1.0)
    w = rng.standard_normal(d)
    prog = matcalc.parse("sum(log(1 + exp(-y ⊙ (X w))))")
    gen = codegen.generate(prog, matcalc.derive(prog, "w"))
    fg = codegen.compile_source(gen)
    fv = codegen.compile_source(codegen.generate(prog, ()))
    args = {"y": y, "X": X, "w": w}
    call = [args[p] for p in gen.parameters]

    def jloss(w, X, y):
        return jnp.sum(jnp.logaddexp(0.0, -y * (X @ w)))

    rows.append(_compare("logistic regression, X 10,000 × 500" if not quick else f"logistic, X {N} × {d}",
                         lambda: fg(*call), lambda: fv(*call), jloss, (w, X, y),
                         check=lambda: (fg(*call)[1], np.asarray(jax.grad(jloss)(w, X, y)))))

    # 2-layer MLP, softmax cross-entropy summed over a batch (columns of X)
    din, hidden, C, B = (64, 128, 10, 64) if quick else (784, 512, 10, 256)
    X = rng.standard_normal((din, B))
    labels = rng.integers(0, C, size=B)
    Y = np.zeros((C, B))
    Y[labels, np.arange(B)] = 1.0
    W1 = rng.standard_normal((hidden, din)) / np.sqrt(din)
    W2 = rng.standard_normal((C, hidden)) / np.sqrt(hidden)
    src = "Z = W2 tanh(W1 X); L = sum(log(ones(k)^T exp(Z))) - sum(Y ⊙ Z)"
    prog = matcalc.parse(src)
    gen = codegen.generate(prog, matcalc.derive(prog, ["W1", "W2"]))
    fg = codegen.compile_source(gen)
    fv = codegen.compile_source(codegen.generate(prog, ()))
    args = {"X": X, "Y": Y, "W1": W1, "W2": W2}
    call = [args[p] for p in gen.parameters]

    def jmlp(params, X, Y):
        W1, W2 = params
        Z = W2 @ jnp.tanh(W1 @ X)
        return jnp.sum(jax.nn.logsumexp(Z, axis=0)) - jnp.sum(Y * Z)

    def check_mlp():
        got = fg(*call)
        want = jax.grad(jmlp)((W1, W2), X, Y)
        return np.concatenate([got[1].ravel(), got[2].ravel()]), np.concatenate([np.ravel(v) for v in want])

    rows.append(_compare(f"2-layer MLP, softmax CE, {din}→{hidden}→{C}, batch {B}", lambda: fg(*call),
                         lambda: fv(*call), jmlp, ((W1, W2), X, Y), check=check_mlp))
    headers = ["function", "matcalc f+∇f", "matcalc f", "cheap-gradient ratio", "jax.jit(grad)",
               "jax.jit(value_and_grad)", "jax.jit(f)", "matcalc / jit(grad)", "max rel err vs jax"]
    return table(headers, rows), {"mlp_source": src}


def _compare(label, ours, ours_value, jfun, jargs, check):
    import jax
    jg = jax.jit(jax.grad(jfun))
    jvg = jax.jit(jax.value_and_grad(jfun))
    jf = jax.jit(jfun)

    def block(x):
        return jax.block_until_ready(x)

    ts = interleaved([ours, ours_value, lambda: block(jg(*jargs)), lambda: block(jvg(*jargs)),
                      lambda: block(jf(*jargs))])
    t_ours, t_val, t_jg = (med(t) for t in ts[:3])
    got, want = check()
    return [label, *[fmt_spread(t) for t in ts[:2]], f"{t_ours / t_val:.2f}", *[fmt_spread(t) for t in ts[2:]],
            f"{t_ours / t_jg:.2f}", f"{rel_err(got, want):.1e}"]


def rounds(fns: dict, n_rounds: int, min_total: float = 0.0, seed: int = 0) -> dict:
    """Times of each fn over n_rounds, the tools alternating in each round in a shuffled order
    (seeded; a cyclic rotation would always put the same tool after the same neighbour), after
    one warm-up call each: {label: [seconds, …]}."""
    for fn in fns.values():
        fn()
    labels = list(fns)
    times = {k: [] for k in labels}
    order = np.random.default_rng(seed)
    start = time.perf_counter()
    r = 0
    while r < n_rounds or (time.perf_counter() - start < min_total and r < 3 * n_rounds):
        for k in order.permutation(labels):
            t = time.perf_counter()
            fns[k]()
            times[k].append(time.perf_counter() - t)
        r += 1
    return times


def med_spread(ts) -> str:
    """Median ± half the interquartile range, in % of the median (as :func:`fmt_spread`)."""
    return fmt_spread(ts)


def ratio(a, b) -> str:
    """Median of the per-round ratios a/b (the tools alternate, so a round shares the load), with the
    range of those ratios."""
    rs = sorted(x / y for x, y in zip(a, b))
    return f"{np.median(rs):.2f} ({rs[0]:.2f}–{rs[-1]:.2f})"


def hand_logistic_gemm(y, X, w):
    """The best hand-written NumPy kernels for the logistic-regression value and Hessian: gemm …"""
    z = X @ w
    v = y * y * (1 / (1 + np.exp(-z))) * (1 / (1 + np.exp(z)))
    return np.sum(np.logaddexp(0.0, -y * z)), (X.T * v) @ X


def hand_logistic_syrk(y, X, w):
    """… and syrk (v ≥ 0 here, so no sign split is needed by hand)."""
    z = X @ w
    v = y * y * (1 / (1 + np.exp(-z))) * (1 / (1 + np.exp(z)))
    B = np.sqrt(v)[:, None] * X
    return np.sum(np.logaddexp(0.0, -y * z)), B.T @ B


def hand_logistic_one_exp(y, X, w):
    """… and syrk with the value and the weights from one e = exp(-|y z|): softplus(-m) = log1p(e) - min(m, 0),
    σ(m) σ(-m) = e / (1 + e)² (no exp overflows at any logit; np.logaddexp, a scalar loop in numpy, costs
    some 100 µs over 5,000 entries, 5% of the d = 100 run)."""
    z = X @ w
    m = y * z
    e = np.exp(-np.abs(m))
    v = y * y * e / np.square(1.0 + e)
    B = np.sqrt(v)[:, None] * X
    return np.sum(np.log1p(e) - np.minimum(m, 0.0)), B.T @ B


def worker_c(threads: int, path: str) -> None:
    """Table c at one BLAS thread setting (set by the parent in this process's environment)."""
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import matcalc
    from matcalc.views import codegen
    quick = os.environ.get("MATCALC_BENCH_QUICK") == "1"
    sizes = [100, 200] if quick else [100, 500, 1000]
    rows = []
    load_start = loadavg()
    rng = np.random.default_rng(2)
    hq = matcalc.hessian("x^T A x", "x")
    fq = codegen.compile_source(gq := codegen.generate(hq.program, hq))
    hl = matcalc.hessian("sum(log(1 + exp(-y ⊙ (X w))))", "w")
    fl = codegen.compile_source(gl := codegen.generate(hl.program, hl))
    N = 1000 if quick else 5000
    for d in sizes:
        A = rng.standard_normal((d, d))
        x = rng.standard_normal(d)
        argsq = {"x": x, "A": A}
        callq = [argsq[p] for p in gq.parameters]
        jh = jax.jit(jax.hessian(lambda x, A: x @ A @ x))
        ts = rounds({"matcalc": lambda: fq(*callq), "hand": lambda: (x @ A @ x, A + A.T)},  # noqa: B023 - called here
                    7, min_total=0.2)
        ts["jax"] = rounds({"jax": lambda: jax.block_until_ready(jh(x, A))}, 3, min_total=0.2)["jax"]  # noqa: B023
        err = rel_err(fq(*callq)[1], np.asarray(jh(x, A)))
        rows.append(["x^T A x", d, threads, med_spread(ts["matcalc"]), med_spread(ts["hand"]) + " (`A + A.T`)",
                     "–", "–", ratio(ts["matcalc"], ts["hand"]), med_spread(ts["jax"]),
                     f"{np.median(ts['jax']) / np.median(ts['matcalc']):.0f}×", f"{err:.1e}"])
    for d in sizes:
        X = rng.standard_normal((N, d)) / np.sqrt(d)
        y = np.where(rng.standard_normal(N) > 0, 1.0, -1.0)
        w = rng.standard_normal(d)
        argsl = {"y": y, "X": X, "w": w}
        calll = [argsl[p] for p in gl.parameters]
        jh = jax.jit(jax.hessian(lambda w, X, y: jnp.sum(jnp.logaddexp(0.0, -y * (X @ w)))))
        # the numpy kernels alternate among themselves; jax apart, after them: a numpy call right
        # after a jax call ran up to 2x slower (XLA's threads still spinning), which is jax's cost
        # at d = 100 a call is 2 ms: 0.5 s of rounds (up to 21) for a steadier median
        ts = rounds({"matcalc": lambda: fl(*calll), "gemm": lambda: hand_logistic_gemm(y, X, w),  # noqa: B023
                     "syrk": lambda: hand_logistic_syrk(y, X, w),  # noqa: B023 - called in this iteration
                     "one exp": lambda: hand_logistic_one_exp(y, X, w)}, 7, min_total=0.5)  # noqa: B023
        ts["jax"] = rounds({"jax": lambda: jax.block_until_ready(jh(w, X, y))}, 3)["jax"]  # noqa: B023
        ref = np.asarray(jh(w, X, y))
        err = max(rel_err(fl(*calll)[1], ref), rel_err(hand_logistic_gemm(y, X, w)[1], ref),
                  rel_err(hand_logistic_syrk(y, X, w)[1], ref), rel_err(hand_logistic_one_exp(y, X, w)[1], ref))
        best = min(("syrk", "one exp", "gemm"), key=lambda k: np.median(ts[k]))
        rows.append([f"logistic, N = {N}", d, threads, med_spread(ts["matcalc"]), med_spread(ts["gemm"]),
                     med_spread(ts["syrk"]), med_spread(ts["one exp"]), f"{ratio(ts['matcalc'], ts[best])} vs {best}",
                     med_spread(ts["jax"]), f"{np.median(ts['jax']) / np.median(ts['matcalc']):.1f}×", f"{err:.1e}"])
    with open(path, "w") as fh:
        json.dump({"rows": rows, "load": [load_start, loadavg()], "rounds": "7–21 numpy (0.5 s), 3 jax"}, fh)


C_HEADERS = ["function", "d", "BLAS threads", "matcalc f + ∇²f", "hand gemm `(X.T * v) @ X`",
             "hand syrk `B.T @ B`", "hand syrk, one `exp(-|m|)`", "matcalc / best hand (per-round median, range)", "jax.jit(jax.hessian)",
             "speed-up vs jax", "max rel err"]


def part_c(quick, threads=(1, 2)):
    """Table c, one subprocess per BLAS thread setting (OpenBLAS reads its thread count at load), each
    started with ``--threads n`` so that its threads and cores are set as for the whole run."""
    rows, loads = [], []
    for n in threads:
        env = dict(os.environ, MATCALC_BENCH_QUICK="1" if quick else "0")
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
            path = fh.name
        subprocess.run([sys.executable, __file__, "--threads", str(n), "--worker", "c", str(n), path], env=env, check=True, timeout=300)
        with open(path) as fh:
            got = json.load(fh)
        os.unlink(path)
        rows += got["rows"]
        loads.append(f"{n} thread{'s' * (n > 1)}: load {got['load'][0]} → {got['load'][1]}")
    return table(C_HEADERS, rows) + "\n\n" + "; ".join(loads)


# ---------------------------------------------------------------- machine and main

def loadavg() -> str:
    with open("/proc/loadavg") as fh:
        return " / ".join(fh.read().split()[:3])


def machine(load_start=None):
    lines = []
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = re.search(r"Model name:\s*(.+)", out)
        lines.append(f"CPU: {model.group(1).strip() if model else platform.processor()}, {os.cpu_count()} cores")
    except OSError:
        lines.append(f"CPU: {platform.processor()}, {os.cpu_count()} cores")
    import jax
    import sympy
    versions = [f"Python {platform.python_version()}", f"numpy {np.__version__}", f"jax {jax.__version__}",
                f"sympy {sympy.__version__}"]
    try:
        from importlib.metadata import version
        versions.append(f"tensorgrad {version('tensorgrad')}")
        versions.append(f"torch {version('torch')}")
    except Exception:  # noqa: BLE001
        pass
    lines.append(", ".join(versions))
    try:
        from threadpoolctl import threadpool_info
        blas = [f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')}, {i.get('num_threads')} threads)"
                for i in threadpool_info() if i.get("user_api") == "blas"]
        lines.append("numpy BLAS: " + "; ".join(blas))
    except ImportError:
        pass
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    lines.append(f"OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE: {env or 'unset'}; "
                 f"OPENBLAS_NUM_THREADS: {os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}; "
                 f"XLA_FLAGS: {os.environ.get('XLA_FLAGS', 'unset')}")
    if hasattr(os, "sched_getaffinity"):
        lines.append(f"cores this process may run on: {sorted(os.sched_getaffinity(0))} of {os.cpu_count()}")
    lines.append("times: medians ± half the interquartile range (in % of the median), the functions of a row "
                 "measured in alternation")
    lines.append((f"load average (1 / 5 / 15 min) at the start: {load_start}; " if load_start else "")
                 + f"at the end: {loadavg()}")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke test, not the figures)")
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--out", default=os.path.join(HERE, "last_run.md"), help="where the tables go")
    ap.add_argument("--threads", type=int, help="BLAS and XLA threads (set before numpy loads)")
    ap.add_argument("--sizes", type=lambda t: [int(v) for v in t.split(",")], help="Hessian sizes d, e.g. 100,500")
    ap.add_argument("--only", choices=["a", "b", "c"], action="append")
    a = ap.parse_args()
    if a.worker:
        kind, L, path = a.worker
        {"sympy": worker_sympy, "tensorgrad": worker_tensorgrad, "c": worker_c}[kind](int(L), path)
        return
    import jax
    jax.config.update("jax_enable_x64", True)
    parts = a.only or ["a", "b", "c"]
    load_start = loadavg()
    depths = [1, 2, 4, 8] if a.quick else [1, 2, 4, 8, 16, 32, 64]
    out = {}
    if "a" in parts:
        print("a. derivation …", flush=True)
        out["a"], _ = part_a(depths)
        print(out["a"], flush=True)
    if "b" in parts:
        print("b. gradient evaluation …", flush=True)
        out["b"], _ = part_b(a.quick)
        print(out["b"], flush=True)
    if "c" in parts:
        print("c. Hessians …", flush=True)
        out["c"] = part_c(a.quick)
        print(out["c"], flush=True)
    cmd = " ".join(["env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/run.py", *sys.argv[1:]])
    with open(a.out, "w") as fh:
        fh.write("\n".join([f"command: {cmd}", *machine(load_start), ""] + [f"## {k}\n{v}\n" for k, v in out.items()]))
    print("\n".join(machine(load_start)))


if __name__ == "__main__":
    main()
