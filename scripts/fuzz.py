"""The long fuzzing run: generated programs against finite differences, and hostile mutants.

    python scripts/fuzz.py --n 10000            # 10,000 generated programs (derive/hessian/text/verify)
    python scripts/fuzz.py --mutants 10000      # 10,000 mutants and random texts (result or MatcalcError)
    python scripts/fuzz.py --n 10000 --seed 1   # another stream

Every failure is printed with its program; known bugs (tests/programs.py KNOWN_BUGS) are counted.
Exit status 0 when nothing new was found, 1 otherwise.
"""
from __future__ import annotations

import argparse
import collections
import os
import signal
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "tests"), os.path.join(HERE, "..")]

from hypothesis import HealthCheck, given, seed as hseed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from programs import KnownBug, WrongDerivative, check_program, mutants, noise, programs, run_hostile  # noqa: E402

HANG = 30  # seconds for one example before it counts as a hang


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def run(n: int, stream: int, strategy, check, label: str) -> int:
    counts: collections.Counter = collections.Counter()
    failures: list[str] = []
    started = time.time()

    @hseed(stream)
    @settings(max_examples=n, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def one(example):
        signal.alarm(HANG)
        try:
            counts[check(*example) if isinstance(example, tuple) else check(example)] += 1
        except KnownBug as bug:
            counts[f"known bug: {bug.key}"] += 1
        except Hang:
            counts["HANG"] += 1
            failures.append(f"hang (> {HANG} s): {example!r}")
        except WrongDerivative as error:
            counts["WRONG"] += 1
            failures.append(str(error))
        except Exception as error:  # noqa: BLE001 - every unexpected exception is a finding
            counts[f"UNEXPECTED {type(error).__name__}"] += 1
            failures.append(f"{example!r}\n" + "".join(traceback.format_exception(error)[-4:]))
        finally:
            signal.alarm(0)

    signal.signal(signal.SIGALRM, _alarm)
    one()
    total = sum(counts.values())
    print(f"{label}: {total} examples in {time.time() - started:.0f} s (stream {stream})")
    for key, value in sorted(counts.items()):
        print(f"  {key}: {value}")
    for f in failures[:20]:
        print("-" * 60)
        print(f)
    return 1 if failures else 0


def _checked(gp, seed):
    return "checked" if check_program(gp, seed) else "no usable point"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=0, help="generated programs to check")
    parser.add_argument("--mutants", type=int, default=0, help="mutants and random texts to feed")
    parser.add_argument("--seed", type=int, default=0, help="which random stream")
    args = parser.parse_args(argv)
    if not args.n and not args.mutants:
        args.n = 10_000
    status = 0
    if args.n:
        status |= run(args.n, args.seed, st.tuples(programs(), st.integers(0, 10_000)), _checked,
                      "generated programs")
    if args.mutants:
        status |= run(args.mutants, args.seed, st.one_of(mutants(), mutants(), mutants(), noise()),
                      run_hostile, "mutants and noise")
    return status


if __name__ == "__main__":
    sys.exit(main())
