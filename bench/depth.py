"""Derivation time and output size of matcalc alone as the chain deepens (no peers, a few seconds).

    python bench/depth.py [--max 128]

s = u^T tanh(W_L tanh(… tanh(W_1 x))), all L gradients at once; best of 3, parse excluded.
"""
import argparse
import time

import matcalc


def chain(depth: int) -> str:
    body = "x"
    for i in range(1, depth + 1):
        body = f"tanh(W_{i} {body})"
    return f"u^T {body}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", type=int, default=128)
    args = parser.parse_args()
    print("| L | derive (all L gradients) | characters of the result |")
    print("|---|---|---|")
    depth = 1
    while depth <= args.max:
        program = matcalc.parse(chain(depth))
        wrt = [f"W_{i}" for i in range(1, depth + 1)]
        best, result = float("inf"), None
        for _ in range(3):
            start = time.perf_counter()
            result = matcalc.derive(program, wrt)
            best = min(best, time.perf_counter() - start)
        print(f"| {depth} | {best * 1000:.1f} ms | {len(str(result)):,} |")
        depth *= 2


if __name__ == "__main__":
    main()
