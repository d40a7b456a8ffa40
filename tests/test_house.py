"""The house: imports flow one way, views → calculus → language → core.

A module imports from its own folder or from the folders below it in that order; api.py,
results.py and cli.py stand on top of everything. Checked on the source, so a new import
that runs back up fails here with the two module names.
"""
from __future__ import annotations

import ast
import pathlib

import matcalc

PACKAGE = pathlib.Path(matcalc.__file__).parent
FLOORS = {"core": 0, "language": 1, "calculus": 2, "views": 3}
TOP = 4  # api.py, results.py, cli.py, __init__.py, __main__.py


def floor(parts: tuple[str, ...]) -> int:
    """The floor of a module (or package) given its path inside matcalc."""
    return FLOORS.get(parts[0], TOP) if parts else TOP


def imported(source: str, folder: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The matcalc modules a module in ``folder`` imports from, as paths inside matcalc."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = folder[:len(folder) - (node.level - 1)]
                module = base + tuple(node.module.split(".")) if node.module else base
            elif node.module and node.module.split(".")[0] == "matcalc":
                module = tuple(node.module.split(".")[1:])
            else:
                continue
            # from the package itself ("from .. import api"), each name is a module of the top
            found.extend(module if module else (a.name,) for a in node.names)
        elif isinstance(node, ast.Import):
            found.extend(tuple(a.name.split(".")[1:]) for a in node.names if a.name.split(".")[0] == "matcalc")
    return found


def test_imports_flow_one_way():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        mine = floor(parts) if len(parts) > 1 else TOP
        for target in imported(path.read_text(encoding="utf-8"), parts[:-1]):
            if floor(target) > mine:
                wrong.append(f"{'/'.join(parts)} imports {'.'.join(target)}")
    assert not wrong, wrong


def test_the_check_sees_an_upward_import():
    """The guard itself: a core module importing from views, or from the API, is reported."""
    assert floor(imported("from ..views import steps\n", ("core",))[0]) == FLOORS["views"]
    assert floor(imported("from .. import api\n", ("core",))[0]) == TOP
    assert floor(imported("from matcalc.views.graph import Graph\n", ("core",))[0]) == FLOORS["views"]
    assert imported("from .nodes import Expr\n", ("core",)) == [("core", "nodes")]
