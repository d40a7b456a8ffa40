"""Which reading of a program's names to take, and telling the user what was inferred.

The naming convention (:mod:`matcalc.language.kinds`) is a guess, and a guess must never turn a
question into another one in silence. After the program is typed by the convention:

* if its function is not a scalar, a reading under which it is one is preferred: a lower-case
  Greek name read as a vector (θ in ``y^T log(σ(X θ))``) always; for ``grad`` and ``hessian``
  (``prefer_scalar``) also another name read as a scalar (N in ``-N/2 logdet(Σ)``, y in
  ``max(0, 1 - y w^T x)``). One such change is taken (and noted); none or several leave the
  convention's reading, with :attr:`Program.scalar_hint` saying why the function is not a scalar
  and what to declare, which ``grad`` and ``hessian`` raise;
* if its function is a scalar but a lower-case Greek name added to a vector or matrix could as
  well be a vector (μ in ``(x - μ)^T Σ^{-1} (x - μ)``), the program is refused with the two
  declarations to choose from.

:func:`explain` lists every symbol's kind and dims and the reason for it (``--explain-types``).
"""
from __future__ import annotations

import re

from ..core.errors import MatcalcError, ShapeError
from ..core.nodes import Add, Call, ElemDiv, Hadamard, Neg, Symbol, walk
from ..core.shapes import dims_text
from .kinds import conventional_kind

MAX_SIZE = 3000
"""Programs longer than this (in characters) are not searched for other readings."""

CONVENTION = {
    "matrix": "names that start with an upper-case letter are matrices",
    "scalar": "lower-case Greek names are scalars",
    "vector": "other names are vectors",
}


def _kind(shape: tuple) -> str:
    return "scalar" if not shape else "vector" if len(shape) == 1 else "matrix"


def choose(attempt, chosen, free: list[str], transposed: set[str], exprs, source: str, prefer_scalar: bool):
    """The reading to take, notes on names read against the convention, and the scalar hint."""
    typer = chosen[0]
    base = typer.flipped
    if len(free) > 200 or len(source) > MAX_SIZE:  # big programs: the convention's reading
        hint = _scalar_hint(typer, free[:200], []) if typer.target_shape != () else None
        return chosen, {n: _flip_note(n, "the one way the program types") for n in base}, hint
    notes = {n: _flip_note(n, "the one way the program types") for n in base}
    for n in typer.promoted:
        if n not in base:
            notes[n] = "a vector, not a scalar as lower-case Greek names are: it is written transposed"
    if typer.target_shape != ():
        candidates = [n for n in free if n not in base and n not in typer.promoted and conventional_kind(n) == "scalar"]
        if prefer_scalar:
            candidates += [n for n in free if n not in base and n not in transposed
                           and conventional_kind(n) != "scalar"]
        found = []
        for n in candidates:
            try:
                other = attempt(base | {n})
            except (MatcalcError, Exception):  # noqa: BLE001 - Retry, ShapeError: no such reading
                continue
            if other[0].target_shape == ():
                found.append((n, other))
        if len(found) == 1:
            n, other = found[0]
            notes = {**notes, n: _flip_note(n, "that is the reading under which the function is a scalar")}
            return other, notes, None
        return chosen, notes, _scalar_hint(typer, free, [n for n, _ in found])
    _refuse_ambiguous(attempt, typer, base, free, exprs, source)
    return chosen, notes, None


def _flip_note(name: str, why: str) -> str:
    kind = conventional_kind(name)
    if kind == "scalar":
        return f"a vector, not a scalar as lower-case Greek names are: {why}"
    return f"a scalar, not a {kind} as {CONVENTION[kind]}: {why}"


def _declaration(typer, name: str) -> str:
    if conventional_kind(name) == "scalar":
        taken = set(typer.rigid) | set(typer.names().values())
        size = next((d for d in ("n", "m", "k", "d", "p") if d in taken), "n")
        return f'"{name} : {size}"'
    return f'"{name} : scalar"'


def _scalar_hint(typer, free: list[str], found: list[str]) -> tuple[str, str | None]:
    """(why the function is not a scalar, what to do about it)."""
    shape = typer.show(typer.target_shape)
    if found:
        ways = " or ".join(f"{n} is {'a vector' if conventional_kind(n) == 'scalar' else 'a scalar'}"
                           for n in found)
        return (f"the function is {shape}, not a scalar, as the names are read",
                f"it is a scalar if {ways}: declare which ("
                + " or ".join(_declaration(typer, n) for n in found) + ")")
    reasons = []
    for n in free:
        if n in typer.symbol_shapes and n not in typer.flipped and len(reasons) < 3:
            kind = _kind(typer.symbol_shapes[n])
            if kind == conventional_kind(n):
                reasons.append(f"{n} was read as a {kind} ({CONVENTION[kind]})")
    because = f" because {', '.join(reasons)}" if reasons else ""
    joined = [n for n in free if re.fullmatch(r"[A-ZΑ-Ω][a-zα-ω]", n)]
    if joined:  # Ax, one name, where A x was meant
        return (f"the function is {shape}, not a scalar{because}",
                f'did you mean "{joined[0][0]} {joined[0][1:]}"? ("{joined[0]}" is one name)')
    wrong = [n for n in free if n in typer.symbol_shapes and conventional_kind(n) == "scalar"][:2]
    declare = (" or ".join(_declaration(typer, n) for n in wrong)) if wrong else None
    return (f"the function is {shape}, not a scalar{because}",
            f"if that is not what you mean, declare {declare}" if declare else
            "a gradient or Hessian is of a scalar function (use jacobian for this one)")


def _broadcast_names(exprs) -> list[str]:
    """Names written as a term of a sum, an elementwise product or quotient, max or min."""
    names: list[str] = []
    for e in exprs:
        for node in walk(e):
            if isinstance(node, (Add, Hadamard)):
                terms = node.terms
            elif isinstance(node, ElemDiv):
                terms = (node.left, node.right)
            elif isinstance(node, Call) and node.name in ("max", "min"):
                terms = node.call_args
            else:
                continue
            for t in terms:
                t = t.arg if isinstance(t, Neg) else t
                if isinstance(t, Symbol):
                    names.append(t.name)
    return list(dict.fromkeys(names))


def _refuse_ambiguous(attempt, typer, base, free, exprs, source) -> None:
    """μ in (x - μ)^T (x - μ): a scalar added to every entry, or a vector? The user says."""
    for n in _broadcast_names(exprs):
        if n not in free or n in base or n in typer.promoted or conventional_kind(n) != "scalar":
            continue
        try:
            other = attempt(base | {n})
        except (MatcalcError, Exception):  # noqa: BLE001 - no such reading
            continue
        if other[0].target_shape != () or not other[0].symbol_shapes.get(n):
            continue  # (no vector there: in 'y : α; α + 1' the other reading takes α for the size of y)
        size = other[0].show_dim(other[0].symbol_shapes[n][0])
        span = next((s.span for e in exprs for s in walk(e) if isinstance(s, Symbol) and s.name == n), None)
        raise ShapeError(f"{n} could be a scalar (added to every entry) or a vector of size {size}; both readings "
                         "make the function a scalar", source, span,
                         f'declare which: "{n} : scalar" or "{n} : {size}" (lower-case Greek names are scalars '
                         "unless declared, but here that is a guess)")


def explain(program) -> list[str]:
    """One line per symbol: its kind and dims, and why (declared, the convention, or how it is used)."""
    lines = []
    for name, shape in program.shapes.items():
        kind = _kind(shape)
        dims = dims_text(shape) if shape else "scalar"
        if name in program.definitions:
            why = "a definition"
        elif name in program.declared:
            why = "declared"
        elif name in program.notes:
            why = program.notes[name]
        elif kind == conventional_kind(name):
            why = f"a {kind}: {CONVENTION[kind]}"
        else:
            why = f"a {kind}: by how it is used"
        lines.append(f"{name} : {dims}  ({why})")
    for name in sorted(program.functions):
        lines.append(f"{name} : function  (a generic function, acting elementwise)")
    return lines
