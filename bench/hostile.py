"""Hostile inputs (issue 15): how each one ends, in how long, at what peak memory.

Every case runs in a fresh subprocess (so peak memory is the case's own, read with
``os.wait4``'s rusage) under an address-space limit and a wall-clock timeout; a case ends in
"ok" (a right answer), in a MatcalcError (its class and the start of its message), or in a
failure (any other exception, a timeout, a crash). The table is printed and written to
``bench/hostile_last_run.md``::

    PYTHONPATH=$PWD python bench/hostile.py                 # every case
    PYTHONPATH=$PWD python bench/hostile.py --only tr       # the cases whose name contains "tr"
    PYTHONPATH=$PWD python bench/hostile.py --timeout 120 --memory-gb 4

Expected: every row "ok" or a MatcalcError within matcalc's time budget (20 s by default)
plus start-up, and under 1 GB.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Each case is Python source run with `import matcalc` done; it prints nothing itself: the
# harness's wrapper reports how it ended.
CHAIN_HADAMARD = "x : n\na0 = x\n" + "\n".join(f"a{i} = a{i - 1} ⊙ a{i - 1}" for i in range(1, 61)) + "\nsum(a60)"
CHAIN_MATMUL = "A : n x n\nB0 = A\n" + "\n".join(f"B{i} = B{i - 1} B{i - 1}" for i in range(1, 61)) + "\ntr(B60)"


def _levels(k: int) -> str:
    e = "x"
    for _ in range(k):
        e = f"({e} {e}^T)"
    return f"x : n; sum({e})"


def _sum_of_pairs(count: int) -> str:
    return " + ".join(f"x{i}^T y{i}" for i in range(count))


def _tanh_tower(depth: int) -> str:
    return "A : n x n; x : n; u : n; u^T " + "tanh(A " * depth + "x" + ")" * depth


HADAMARD_CLAIM = "b0 = x\n" + "\n".join(f"b{i} = b{i - 1} ⊙ b{i - 1}" for i in range(1, 61)) + "\nb60"

CASES: dict[str, str] = {
    "failed call, then .steps after the budget": (
        "import time\nfrom matcalc.core import limits\n"
        "limits.TIME_BUDGET = 0.5\nsize, limits.MAX_RESULT_NODES = limits.MAX_RESULT_NODES, 5\n"
        "try:\n    matcalc.derive('u^T f(W x + b)', 'W')\nexcept matcalc.LimitError:\n    pass\n"
        "limits.MAX_RESULT_NODES = size\ntime.sleep(0.6)\n"
        "d = matcalc.derive('u^T f(W x + b)', 'W')\nassert d.steps and str(d) == \"(u ⊙ f'(W x + b)) x^T\""),
    "a_i = a_{i-1} ⊙ a_{i-1}, 60 deep": f"matcalc.derive({CHAIN_HADAMARD!r}, 'x')",
    "A_i = A_{i-1} A_{i-1}, 60 deep": f"matcalc.derive({CHAIN_MATMUL!r}, 'A')",
    "tr(X X … X), 2,000 factors": "matcalc.derive('X : n x n; tr(' + 'X ' * 2000 + ')', 'X')",
    "tr(X X … X), 5,000 factors": "matcalc.derive('X : n x n; tr(' + 'X ' * 5000 + ')', 'X')",
    "12 textual levels of (x x^T)": f"matcalc.derive({_levels(12)!r}, 'x')",
    "sum of 4,000 x_i^T y_i": f"matcalc.derive({_sum_of_pairs(4000)!r}, 'x0')",
    "verify, a claim of 60 nested ⊙": f"matcalc.verify({CHAIN_HADAMARD!r}, 'x', {HADAMARD_CLAIM!r})",
    "hessian of u^T tanh(A tanh(A … x)), 200 deep": f"matcalc.hessian({_tanh_tower(200)!r}, 'x')",
    "a 5,000-digit dim": "matcalc.derive('x : ' + '9' * 5000 + '; sum(x)', 'x')",
    "str() of a product of 400-digit numbers": "str(matcalc.derive('x : n; ' + ('9' * 400 + ' ') * 12 + 'sum(x)', 'x'))",
    "latex() of a product of 400-digit numbers": "matcalc.derive('x : n; α : scalar; ' + ('9' * 400 + ' ') * 12 + 'α^2', 'α').latex()",
    "evaluate 1e399 sum(x)": "matcalc.evaluate('x : n; 1e399 sum(x)', {'x': [1.0, 2.0]})",
    "to_numpy of 1e399 sum(x)": "matcalc.derive('x : n; 1e399 sum(x) ⊙ sum(x)', 'x').to_numpy()",
    "compile of 1e399 sum(x)": "matcalc.derive('x : n; 1e399 sum(x) ⊙ sum(x)', 'x').compile()",
    "evaluate with x : 100000000000": "matcalc.evaluate('x : 100000000000; sum(x)', {'x': [1.0]})",
    "d.evaluate of ones(100000000000)": "matcalc.derive('x : n; sum(ones(100000000000)) x^T x', 'x').evaluate({'x': [1.0]})",
    "verify x : 100000000000, claim ones(100000000000)":
        "matcalc.verify('x : 100000000000; sum(x)', 'x', 'ones(100000000000)')",
    "verify x : 100000000000, claim x ./ x (checked at points)":
        "matcalc.verify('x : 100000000000; sum(x)', 'x', 'x ./ x')",
    "yes | matcalc grad -": "CLI:yes | {python} -m matcalc grad -",
    "matcalc grad -f /dev/zero": "CLI:{python} -m matcalc grad -f /dev/zero",
}

WRAPPER = r"""
import json, sys, time, traceback
start = time.perf_counter()
import matcalc
code = sys.stdin.read()
try:
    exec(compile(code, "<case>", "exec"), {"matcalc": matcalc})
    out = {"end": "ok"}
except matcalc.MatcalcError as e:
    out = {"end": type(e).__name__, "message": str(e).splitlines()[0][:100]}
except BaseException as e:
    out = {"end": "FAIL " + type(e).__name__, "message": str(e).splitlines()[0][:100] if str(e) else ""}
out["seconds"] = time.perf_counter() - start
print("@@" + json.dumps(out))
"""


def run_case(code: str, timeout: float, memory_gb: float) -> dict:
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    limit = int(memory_gb * 2**30)

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    start = time.perf_counter()
    if code.startswith("CLI:"):
        command = code[4:].format(python=sys.executable)
        proc = subprocess.Popen(["bash", "-c", command], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=env, preexec_fn=limit_memory,  # noqa: PLW1509
                                start_new_session=True)
    else:
        proc = subprocess.Popen([sys.executable, "-c", WRAPPER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env,
                                preexec_fn=limit_memory)  # noqa: PLW1509
        proc.stdin.write(code)
        proc.stdin.close()
    deadline = start + timeout
    status = None
    usage = None
    while time.perf_counter() < deadline:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(0.02)
    else:
        os.killpg(proc.pid, 9) if code.startswith("CLI:") else proc.kill()
        pid, status, usage = os.wait4(proc.pid, 0)
        return {"end": f"FAIL timeout ({timeout:g} s)", "seconds": timeout, "peak_mb": usage.ru_maxrss / 1024}
    elapsed = time.perf_counter() - start
    stdout, stderr = proc.stdout.read(), proc.stderr.read()
    peak = usage.ru_maxrss / 1024
    if code.startswith("CLI:"):
        rc = os.waitstatus_to_exitcode(status)
        first = stderr.strip().splitlines()[0][:100] if stderr.strip() else ""
        traceback = "Traceback" in stderr
        end = f"exit {rc}" + (" with a traceback" if traceback else "")
        if rc != 2 or traceback:
            end = "FAIL " + end
        return {"end": end, "message": first, "seconds": elapsed, "peak_mb": peak}
    line = next((ln for ln in stdout.splitlines() if ln.startswith("@@")), None)
    if line is None:
        rc = os.waitstatus_to_exitcode(status)
        return {"end": f"FAIL crash (exit {rc})", "message": stderr.strip()[-100:], "seconds": elapsed,
                "peak_mb": peak}
    out = json.loads(line[2:])
    out["peak_mb"] = peak
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="run the cases whose name contains this")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per case (default 60)")
    ap.add_argument("--memory-gb", type=float, default=4.0, help="address-space limit per case (default 4)")
    ap.add_argument("--output", default=str(HERE / "hostile_last_run.md"))
    args = ap.parse_args(argv)
    rows = []
    failures = 0
    for name, code in CASES.items():
        if args.only and args.only not in name:
            continue
        out = run_case(code, args.timeout, args.memory_gb)
        failures += out["end"].startswith("FAIL")
        message = out.get("message", "").replace("|", "\\|")
        rows.append(f"| {name.replace('|', chr(92) + '|')} | {out['end']} | {out['seconds']:.2f} s | {out['peak_mb']:.0f} MB | {message} |")
        print(rows[-1], flush=True)
    load = os.getloadavg()
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    head = [(f"Run {when} on {platform.node() or 'this machine'} ({os.cpu_count()} cores, load "
             f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}), Python {platform.python_version()}; each case "
             f"in its own process under a {args.memory_gb:g} GB address-space limit, stopped at "
             f"{args.timeout:g} s; time includes start-up and import."), "",
            "| case | ends in | time | peak RSS | message |", "|---|---|---|---|---|"]
    Path(args.output).write_text("\n".join(head + rows) + "\n", encoding="utf-8")
    print(f"{failures} failing case(s); table written to {args.output}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
