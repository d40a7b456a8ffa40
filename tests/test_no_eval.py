"""No eval or exec of anything a user typed, anywhere in matcalc.

The one exec allowed is codegen.compile_source, which runs source that codegen wrote itself
from names that ``codegen.safe_name`` validated (ASCII identifiers, Greek spelt out, no
keyword, no dunder, none of the generated code's own names).
"""
from __future__ import annotations

import ast
import pathlib
import re

import pytest

import matcalc

PACKAGE = pathlib.Path(matcalc.__file__).parent
FORBIDDEN = {"eval", "exec", "__import__", "compile"}
COMPILER = "views/codegen/function.py"  # the module whose compile_source runs generated code
ALLOWED = {(COMPILER, "compile_source", "exec"), (COMPILER, "compile_source", "compile")}


def _modules():
    """Every module of the package, by its path inside it (views/codegen.py)."""
    return [(p.relative_to(PACKAGE).as_posix(), p) for p in sorted(PACKAGE.rglob("*.py"))]


def _calls(path: pathlib.Path):
    """(function it is in, name called) for every call of a forbidden builtin in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node, where):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else where
            if isinstance(child, ast.Call):
                f = child.func
                name = f.id if isinstance(f, ast.Name) else (
                    f.attr if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
                    and f.value.id == "builtins" else None)
                if name in FORBIDDEN:
                    found.append((where, name))
            visit(child, inner)

    visit(tree, "<module>")
    return found


def test_no_eval_or_exec_outside_codegen_compile():
    offenders = []
    for rel, path in _modules():
        for where, name in _calls(path):
            if (rel, where, name) not in ALLOWED:
                offenders.append(f"{rel}: {name}() in {where}")
    assert not offenders, offenders


def test_no_eval_or_exec_by_text_either():
    """A plain grep too (catches getattr tricks the AST walk would not see as a call)."""
    # (sympy's ``def eval(cls, t)`` hook on a Function class defines a method; it calls nothing)
    pattern = re.compile(r"(?<![\w.])(?<!def )(eval|exec)\s*\(|getattr\(\s*builtins|__builtins__")
    offenders = []
    for rel, path in _modules():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if pattern.search(code) and not (rel == COMPILER and "exec(compile(" in code):
                offenders.append(f"{rel}:{number}: {line.strip()}")
    assert not offenders, offenders


def test_the_one_exec_is_codegens_compile_source():
    assert len(_modules()) > 20  # the walk sees the whole package, subfolders too
    assert [c for c in _calls(PACKAGE / COMPILER) if c[1] == "exec"] == [("compile_source", "exec")]


codegen = pytest.importorskip("matcalc.views.codegen")


@pytest.mark.parametrize("name", ["__import__", "os.system", "x; import os", "lambda", "def", "a b", "x(",
                                  "", "é", "__class__", "print('x')", "1x", "match"])
def test_codegen_refuses_names_that_are_not_plain_identifiers(name):
    with pytest.raises(matcalc.MatcalcError):
        codegen.safe_name(name)


@pytest.mark.parametrize("name, python", [("x", "x"), ("W_1", "W_1"), ("α", "α"), ("Σ", "Σ")])
def test_codegen_spells_valid_names(name, python):
    assert codegen.safe_name(name) == python


def test_generated_code_for_a_hostile_looking_program_is_refused_or_safe():
    """A symbol named like a Python keyword cannot reach the generated source."""
    d = matcalc.derive("lambda : n; sum(exp(lambda))", "lambda")
    with pytest.raises(matcalc.MatcalcError, match="keyword"):
        codegen.generate(d.program, d)
