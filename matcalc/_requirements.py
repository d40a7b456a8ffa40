"""matcalc's own dependencies, checked before anything imports them.

Without this a Python that lacks one (matcalc run from a checkout by an interpreter that never
installed it) fails deep inside the first import with a traceback. Here it is one line that says
what to install; on the command line (``matcalc …``, ``python -m matcalc …``) it is printed as an
error and the exit status is 2, as for any other error."""
from __future__ import annotations

import os
import sys
from importlib.util import find_spec

REQUIRED = {"sympy": "sympy>=1.12", "numpy": "numpy>=1.24"}
"""Import name -> what to install (pyproject.toml's dependencies). Not Lark: the parser is its generated
stand-alone code (matcalc/language/_lalr.py), and Lark is needed only to regenerate it."""


def missing() -> list[str]:
    return [spec for name, spec in REQUIRED.items() if find_spec(name) is None]


def on_command_line() -> bool:
    """Whether this import is the start of the command line rather than a library import."""
    first = sys.argv[0] if sys.argv else ""
    return first == "-m" or os.path.basename(first) in ("matcalc", "__main__.py")


def check() -> None:
    absent = missing()
    if not absent:
        return
    packages = " ".join(f"'{a}'" for a in absent)
    message = (f"matcalc needs {', '.join(absent)}, which this Python ({sys.executable}) does not have")
    hint = f"install matcalc with its dependencies (pip install .) or add them: pip install {packages}"
    if on_command_line():
        sys.stderr.write(f"error: {message}\nhint: {hint}\n")
        raise SystemExit(2)
    raise ImportError(f"{message}; {hint}")
