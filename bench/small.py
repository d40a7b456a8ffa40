"""Small problems and start-up, matcalc side by side with SymPy, the tools alternating in one run.

    python bench/small.py            # both tables, written to bench/last_small.md
    python bench/small.py --rounds 5 # fewer rounds (a smoke test)

a. Derivation of one gradient of a small problem. Each round times every tool once on every
   problem, in alternating order (matcalc first in even rounds, SymPy first in odd ones); one
   round is a batch of calls (enough for ~20 ms per tool), its time divided by the batch. The
   table gives the median over rounds and the spread (the interquartile range, as a percentage
   of the median). SymPy: ``MatrixSymbol``s with symbolic dims and ``.diff``; matcalc:
   ``matcalc.derive(text, wrt)`` from the text (parse, typecheck, derive, simplify), and again with
   its memos emptied before every call (the typed program of a text, a function's textbook form,
   SymPy's cancellations: what a first call pays). Every matcalc answer is checked against central
   differences once, before timing.
b. Start-up: whole processes, alternating, median and spread over rounds: the headline CLI call,
   ``import matcalc``, ``import sympy``, ``import numpy`` and an empty interpreter.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

PROBLEMS = [
    # (label, matcalc text, wrt)
    ("headline uᵀ f(W x + b) by W", "u^T f(W x + b)", "W"),
    ("xᵀ A x by x", "x^T A x", "x"),
    ("tr(A X B Xᵀ C) by X", "tr(A X B X^T C)", "X"),
    ("aᵀ X⁻¹ b by X", "a^T X^{-1} b", "X"),
    ("least squares ‖X w − y‖² by w", "norm(X w - y)^2", "w"),
]


def sympy_problems():
    """The same problems for SymPy: symbolic dims, MatrixSymbols, an undefined function f."""
    import sympy
    from sympy import Function, MatrixSymbol, Trace, symbols
    n, m, k, p = symbols("n m k p", integer=True, positive=True)
    f = Function("f")
    W, x, b, u = MatrixSymbol("W", n, m), MatrixSymbol("x", m, 1), MatrixSymbol("b", n, 1), MatrixSymbol("u", n, 1)
    A, xn = MatrixSymbol("A", n, n), MatrixSymbol("x", n, 1)
    A2, X, B, C = MatrixSymbol("A", k, n), MatrixSymbol("X", n, m), MatrixSymbol("B", m, m), MatrixSymbol("C", n, k)
    a, Xs, bs = MatrixSymbol("a", n, 1), MatrixSymbol("X", n, n), MatrixSymbol("b", n, 1)
    Xd, w, y = MatrixSymbol("X", p, n), MatrixSymbol("w", n, 1), MatrixSymbol("y", p, 1)
    r = Xd * w - y
    return [
        lambda: (u.T * (W * x + b).applyfunc(f)).diff(W),
        lambda: (xn.T * A * xn).diff(xn),
        lambda: Trace(A2 * X * B * X.T * C).diff(X),
        lambda: (a.T * Xs.I * bs).diff(Xs),
        lambda: (r.T * r).diff(w),
    ], sympy.__version__


def batch_time(fn, target=0.02):
    """Seconds per call, from a batch of calls sized to take about ``target`` seconds."""
    t = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t, 1e-6)
    reps = max(1, int(target / one))
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t) / reps


def spread(values):
    if len(values) < 4:
        return 0.0
    q = statistics.quantiles(values, n=4)
    return (q[2] - q[0]) / statistics.median(values) * 100


def fmt(t):
    if t < 1e-3:
        return f"{t * 1e6:.0f} µs"
    if t < 1:
        return f"{t * 1e3:.2f} ms"
    return f"{t:.2f} s"


def table(headers, rows):
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    return "\n".join(out + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows])


def part_a(rounds):
    import matcalc
    from matcalc.calculus.numeric import check_grad

    from matcalc.calculus import engine
    from matcalc.calculus.simplify import elementwise
    from matcalc.language import typecheck

    def forgetting(text, wrt):
        """matcalc with nothing remembered across calls: the typed program of a text, a function's
        textbook form and SymPy's cancellations of quotients are all found afresh."""
        typecheck._READ.clear()
        engine._FORMS.clear()
        elementwise._CANCELLED.clear()
        return matcalc.derive(text, wrt)

    sym, _ = sympy_problems()
    tools = {"matcalc": [], "cold": [], "sympy": sym}
    for label, text, wrt in PROBLEMS:
        check_grad(text, wrt, seed=0)  # raises if matcalc's answer disagrees with central differences
        tools["matcalc"].append(lambda text=text, wrt=wrt: matcalc.derive(text, wrt))
        tools["cold"].append(lambda text=text, wrt=wrt: forgetting(text, wrt))
    times = {i: {name: [] for name in tools} for i in range(len(PROBLEMS))}
    for r in range(rounds):
        for i in range(len(PROBLEMS)):
            order = [(name, fns[i]) for name, fns in tools.items()]
            for name, fn in (order if r % 2 == 0 else order[::-1]):
                times[i][name].append(batch_time(fn))
    rows, ratios, cold_ratios = [], [], []
    for i, (label, text, wrt) in enumerate(PROBLEMS):
        mc, cold, sp = (statistics.median(times[i][name]) for name in ("matcalc", "cold", "sympy"))
        ratios.append(sp / mc)
        cold_ratios.append(sp / cold)
        rows.append([label, f"`{text}`", f"{fmt(mc)} ± {spread(times[i]['matcalc']):.0f}%",
                     f"{fmt(cold)} ± {spread(times[i]['cold']):.0f}%",
                     f"{fmt(sp)} ± {spread(times[i]['sympy']):.0f}%", f"{sp / mc:.0f}×", f"{sp / cold:.0f}×"])
    rows.append(["geometric mean", "", "", "", "", f"{statistics.geometric_mean(ratios):.0f}×",
                 f"{statistics.geometric_mean(cold_ratios):.0f}×"])
    return table(["problem", "matcalc text", "matcalc (median ± IQR)", "matcalc, memos emptied", "SymPy (median ± IQR)",
                  "speed-up", "speed-up, memos emptied"], rows)


def part_b(rounds):
    py = sys.executable
    matcalc_cli = [py, "-m", "matcalc", "grad", "u^T f(W x + b)", "--wrt", "W"]
    commands = [
        ("`matcalc grad \"u^T f(W x + b)\" --wrt W`", matcalc_cli),
        ("`python -c \"import matcalc\"`", [py, "-c", "import matcalc"]),
        ("`python -c \"import sympy\"`", [py, "-c", "import sympy"]),
        ("`python -c \"import numpy\"`", [py, "-c", "import numpy"]),
        ("`python -c pass`", [py, "-c", "pass"]),
    ]
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure as an installed package runs: from compiled bytecode
    import compileall
    compileall.compile_dir(os.path.join(ROOT, "matcalc"), quiet=1)
    out = subprocess.run(matcalc_cli, capture_output=True, text=True, env=env, check=False)
    assert out.stdout.strip() == "(u ⊙ f'(W x + b)) x^T", out.stdout + out.stderr
    times = {label: [] for label, _ in commands}
    for r in range(rounds):
        for label, cmd in (commands if r % 2 == 0 else commands[::-1]):
            t = time.perf_counter()
            subprocess.run(cmd, capture_output=True, env=env, check=True)
            times[label].append(time.perf_counter() - t)
    sympy_import = statistics.median(times[commands[2][0]])
    rows = [[label, f"{fmt(statistics.median(ts))} ± {spread(ts):.0f}%",
             f"{statistics.median(ts) / sympy_import:.2f}"] for label, ts in times.items()]
    return table(["command", "wall time (median ± IQR)", "÷ import sympy"], rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=21)
    ap.add_argument("--out", default=os.path.join(HERE, "last_small.md"))
    ap.add_argument("--only", choices=["a", "b"], action="append")
    a = ap.parse_args()
    from run import loadavg  # the shared machine description of bench/run.py
    load_start = loadavg()
    parts = a.only or ["a", "b"]
    out = []
    if "a" in parts:
        out.append("## a. small problems, one gradient\n" + part_a(a.rounds))
        print(out[-1], flush=True)
    if "b" in parts:
        out.append("## b. start-up\n" + part_b(a.rounds))
        print(out[-1], flush=True)
    lines = machine_lines(load_start)
    print("\n".join(lines))
    with open(a.out, "w") as fh:
        fh.write("\n".join([f"command: python bench/small.py --rounds {a.rounds}", *lines, "", *out, ""]))


def machine_lines(load_start):
    import platform
    import re

    import numpy
    import sympy
    from run import loadavg
    try:
        cpu = re.search(r"Model name:\s*(.+)", subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout)
        cpu = cpu.group(1).strip() if cpu else platform.processor()
    except OSError:
        cpu = platform.processor()
    lines = [f"CPU: {cpu}, {os.cpu_count()} cores",
             f"Python {platform.python_version()}, numpy {numpy.__version__}, sympy {sympy.__version__}"]
    try:
        from threadpoolctl import threadpool_info
        lines.append("BLAS: " + "; ".join(f"{i.get('internal_api')} {i.get('version')} ({i.get('num_threads')} threads)"
                                          for i in threadpool_info() if i.get("user_api") == "blas"))
    except ImportError:
        lines.append("BLAS: threadpoolctl not installed")
    lines.append(f"load average (1 / 5 / 15 min): {load_start} at the start, {loadavg()} at the end")
    return lines


if __name__ == "__main__":
    main()
