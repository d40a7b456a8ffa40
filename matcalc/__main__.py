"""python -m matcalc, and the ``matcalc`` command: the command line as a process of its own.

What only a whole process may do lives here, not in :func:`matcalc.cli.main` (which tests and
other programs call in their own process): how often the garbage collector runs, and how the
process ends. Both are start-up time (issue 14): of the headline call's ~95 ms, collections during
the imports took ~4 ms and tearing the interpreter down at exit ~13 ms (freeing every module's
objects one by one, the parser's tables among them), for a process that is about to end anyway.
"""
import gc
import os
import sys

GC_THRESHOLD = (100_000, 50, 100)
"""A young-generation collection every 100,000 allocations rather than 700. A derivation makes few
reference cycles (trees are immutable and acyclic), so the collector mostly re-scans the objects the
imports made; memory stays bounded, since a collection still runs, only less often."""


def _nothing_left_to_run_at_exit() -> bool:
    """Whether a normal exit would run nothing but the teardown: no atexit callback (tempfile's and
    weakref's finalizers, logging's shutdown register one) and no other thread to wait for."""
    import atexit
    pending = getattr(atexit, "_ncallbacks", None)  # CPython's; elsewhere, exit normally
    threading = sys.modules.get("threading")
    return pending is not None and pending() == 0 and (threading is None or threading.active_count() == 1)


def run() -> None:
    gc.set_threshold(*GC_THRESHOLD)
    from .cli import main
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away (`matcalc … | head`): main has answered already
        pass
    if _nothing_left_to_run_at_exit():
        os._exit(code)  # every file matcalc writes is closed by a with-block before main returns
    sys.exit(code)


if __name__ == "__main__":
    run()
