"""Grading a class: a thousand claims about ∂s/∂W of s = u^T f(W x + b), in one call.

    python bench/claims.py [--claims 1000] [--seed 0]

Three cases, each timed once after a warm-up grading of 10 claims (parser, numpy, SymPy loaded):

  distinct  1000 different claim texts (right forms, signs, factors, transposes, f for f',
            shape errors, unreadable ones): every claim is verified
  class     1000 claims drawn (seeded) from ~40 typical answers, as a class hands them in:
            each distinct text is verified once
  one-by-one  the first 200 distinct claims through matcalc.verify, one call each (the program
            parsed and differentiated every time): what scripting verify in a loop costs

Prints a Markdown table (claims, time, per claim, the verdict counts).
"""
from __future__ import annotations

import argparse
import itertools
import os
import random
import time
from pathlib import Path

import matcalc
from matcalc.views.claims import grade, read_claims

PROGRAM = "u^T f(W x + b)"
WRT = "W"

RIGHT = ["(u ⊙ f'(W x + b)) x^T", "(u .* f'(W x + b)) x^T", "δ = u ⊙ f'(W x + b); δ x^T",
         "diag(f'(W x + b)) u x^T", "(f'(W x + b) ⊙ u) x^T"]
WRONG = ["x u^T", "u x^T", "(u ⊙ f(W x + b)) x^T", "x^T (u ⊙ f'(W x + b))", "x (u ⊙ f'(W x + b))^T",
         "(u ⊙ f'(W x)) x^T", "u ⊙ f'(W x + b)", "(u ⊙ f'(W x + b)) x^T +", "q x^T", "f'(W x + b) x^T"]


def distinct_claims(n: int) -> list[tuple[str, str]]:
    """n different texts: each base form alone, then scaled by 2, -1/3, 4, -1/5, … (still right,
    wrong or unreadable as the base form is, except that a scaled right form is a factor off)."""
    bases = RIGHT + WRONG
    out = []
    for k in itertools.count(1):
        for base in bases:
            text = base if k == 1 else f"{k} ({base})" if k % 2 == 0 else f"-({base}) / {k}"
            out.append((f"d{len(out):04d}", text))
            if len(out) == n:
                return out


def class_claims(n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    pool = distinct_claims(40)
    weights = [20 if i < len(RIGHT) else 2 for i in range(len(pool))]  # most hand in a right form
    return [(f"s{i:04d}", rng.choices(pool, weights)[0][1]) for i in range(n)]


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    grade(PROGRAM, WRT, distinct_claims(10))  # warm-up

    rows = []
    for name, claims in (("distinct", distinct_claims(args.claims)), ("class", class_claims(args.claims, args.seed))):
        graded, seconds = timed(lambda c=claims: grade(PROGRAM, WRT, c))
        s = graded.summary()
        rows.append((name, len(claims), len({c for _, c in claims}), seconds, s))
    few = distinct_claims(200)

    def one_by_one():
        counts = {"right": 0, "refuted": 0, "unreadable": 0}
        for _, claim in few:
            try:
                counts["right" if matcalc.verify(PROGRAM, WRT, claim).ok else "refuted"] += 1
            except matcalc.MatcalcError:
                counts["unreadable"] += 1
        return counts
    counts, seconds = timed(one_by_one)
    rows.append(("one-by-one", len(few), len(few), seconds, {**counts, "claims": len(few)}))

    # the same file through the command line's reader, to show the CSV path costs nothing
    path = Path(os.environ.get("TMPDIR", "/tmp")) / "matcalc-bench-claims.csv"
    path.write_text("id,claim\n" + "".join(f'{i},"{c}"\n' for i, c in distinct_claims(args.claims)), encoding="utf-8")
    _, read_seconds = timed(lambda: read_claims(path))
    path.unlink()

    print(f"load average at the end: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| case | claims | distinct texts | time | per claim | right | refuted | unreadable |")
    print("|---|---|---|---|---|---|---|---|")
    for name, n, distinct, seconds, s in rows:
        print(f"| {name} | {n} | {distinct} | {seconds:.2f} s | {seconds / n * 1000:.1f} ms | {s['right']} | "
              f"{s['refuted']} | {s['unreadable']} |")
    print(f"reading the {args.claims}-row CSV: {read_seconds * 1000:.1f} ms")


if __name__ == "__main__":
    main()
