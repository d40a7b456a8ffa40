"""Kinds, shapes and dims: untyped statements to a typed, shape-checked :class:`Program`.

A shape is a tuple of dims: ``()`` a scalar, ``(n,)`` a column vector, ``(n, m)`` a
matrix (a row vector is ``(1, m)``). Dims are names (str) or integers (:mod:`matcalc.core.dims`).

Undeclared symbols get their kind by convention: a name that starts with an upper-case
letter (Latin or Greek: ``W``, ``Θ``) is a matrix, a lower-case Greek name is a scalar, any
other name is a vector. Use overrides the convention:

* the base of a scalar power (``c^2``, ``s^{1/2}``) and a power's exponent are scalars;
* a Greek name written transposed (``θ^T x``) is a vector, and so is a Greek name that can
  only be a vector where it is used (``X θ - y``);
* if the program cannot be typed as written, names are *demoted* from vector to scalar,
  the fewest that make it type: ``x / y`` makes y a scalar, ``(x + y) * max(y, z)`` makes all
  three scalars. A demotion is made only when it is the one way out: ``x y`` could be
  "x scalar" or "y scalar" (or an inner or outer product the user forgot to write), so it is an
  error with the hint ``did you mean "x^T y" (inner product) or "x y^T" (outer product)?``.
  A demoted name is never broadcast against a vector or matrix (``x + y`` with y demoted),
  so a program like ``(x + y) * max(y, z)`` is typed all-scalar or not at all.

Dims are found by unification over the whole program, definitions included (in dependency
order, whatever order they were written in). Dims the user wrote (in declarations or
``ones(n)``) are fixed names and two different names never agree; free dims get the first
unused names of n, m, k, p, ….
"""
from __future__ import annotations

import dataclasses
import re
from operator import is_not


from ..core import limits
from ..core.build import rebuild
from ..core.dims import dim as dim_of_text
from ..core.errors import LimitError, ShapeError, Span, SymbolError
from ..core.nodes import Number, Size
from ..core.nodes import (
    Call, Declaration, Definition, Delta, Expr, IndexSum, Norm, Tensor, Zeros, with_args,
    ExprStatement, Identity, Ones, Power, Statement, Symbol, Transpose, depth as _depth, fold, walk,
)
from ..core.ops import CALLS
from ..core.program import Program
from ..core.shapes import dims_text, normalize
from . import indexing, pasted, readings
from .parse import parse_statements
from .kinds import GREEK_SPELLINGS, RESERVED, conventional_kind
from .typer import Retry, Typer, Var, _sized_identity, _with_span
from .calls import size_of


# ---------------------------------------------------------------- the program

def typecheck(statements: list[Statement], source: str, kinds: dict[str, tuple] | None = None,
              functions: set[str] | frozenset[str] = frozenset(), prefer_scalar: bool = False) -> Program:
    """Type a parsed program: kinds, dims, placeholders and the function.

    ``kinds`` (name -> rank 0, 1 or 2) overrides the naming convention for undeclared
    symbols, e.g. from the arrays a caller is about to evaluate with; ``functions`` are names the
    caller gives callables for (generic functions besides f, g, h, φ, ψ and the declared ones).
    ``prefer_scalar`` (grad, hessian): a reading under which the function is a scalar is preferred
    over the naming convention (:mod:`matcalc.language.readings`).
    """
    declared_functions = set(functions)
    properties: dict[str, set[str]] = {}
    declared: dict[str, tuple] = {}
    decl_spans: dict[str, Span | None] = {}
    defs: dict[str, Expr] = {}
    def_spans: dict[str, Span | None] = {}
    exprs: list[ExprStatement] = []
    for st in statements:
        if isinstance(st, Declaration) and st.dims == ("function",):
            if st.name in RESERVED or st.name == "I":
                raise SymbolError(f"{st.name} is a built-in name and cannot be declared", source, st.span)
            declared_functions.add(st.name)
            continue
        if isinstance(st, Declaration):
            if st.name in declared and declared[st.name] != st.dims:
                raise ShapeError(f"{st.name} is declared twice, with different shapes "
                                 f"({dims_text(declared[st.name])} and {dims_text(st.dims)})", source, st.span)
            if len(st.dims) > 2:
                raise ShapeError(f"{st.name} : {dims_text(st.dims)}: matcalc works with scalars, vectors and "
                                 f"matrices, not arrays of {len(st.dims)} dimensions", source, st.span)
            if any(d == 0 for d in st.dims):
                raise ShapeError(f"{st.name} : {dims_text(st.dims)}: a dimension must be a name or a "
                                 "positive integer", source, st.span)
            if st.name in RESERVED and st.name not in GREEK_SPELLINGS:
                raise SymbolError(f"{st.name} is a function name and cannot be declared", source, st.span,
                                  "give the variable another name")
            if st.name == "I" or _sized_identity(st.name) is not None:
                raise SymbolError(f"{st.name} is the identity matrix and cannot be declared", source, st.span,
                                  "give the variable another name; I is sized where it is used, I_n is n x n")
            declared[st.name] = st.dims
            decl_spans[st.name] = st.span
            _check_properties(st, source)
            properties.setdefault(st.name, set()).update(st.properties)
        elif isinstance(st, Definition):
            if st.name in defs:
                raise SymbolError(f"{st.name} is defined twice", source, st.span,
                                  "give the second definition another name")
            if st.name in RESERVED or st.name == "I":
                raise SymbolError(f"{st.name} is a built-in name and cannot be defined", source, st.span)
            defs[st.name] = st.value
            def_spans[st.name] = st.span
        else:
            exprs.append(st)
    function_dims = None
    if exprs and isinstance(exprs[0].value, Tensor):  # ∂F_ij/∂x_k = …: read x_j, δ_ik, Σ_a
        t = exprs[0].value
        if t.function in declared and not t.hessian:  # F : n x m says the ranges of F's indices
            function_dims = declared.pop(t.function)
            properties.pop(t.function, None)
        exprs[0] = ExprStatement(span=exprs[0].span, value=dataclasses.replace(t, arg=indexing.resolve(
            t.arg, set(declared) | set(defs))))
    if len(exprs) > 1:
        raise SymbolError("a program has one expression to differentiate, but this one has "
                          f"{len(exprs)}", source, exprs[1].span,
                          "name the other expressions with definitions (a = …)")
    if not exprs and not defs:
        raise SymbolError("the program has no expression", source, None,
                          'write an expression such as "u^T f(W x + b)"')

    for e in [*defs.values(), *(x.value for x in exprs)]:
        if (d := _depth(e)) > limits.MAX_DEPTH:
            raise LimitError(f"the expression nests {d} levels deep; matcalc accepts at most {limits.MAX_DEPTH}",
                             source, getattr(e, "span", None), "name inner parts with definitions")

    order = _dependency_order(defs, def_spans, source)
    if exprs:
        target, name = exprs[0].value, None
    else:
        used = {s.name for v in defs.values() for s in walk(v) if isinstance(s, Symbol)}
        roots = [n for n in defs if n not in used]
        name = roots[-1] if roots else list(defs)[-1]
        target = Symbol(name, def_spans[name])

    all_exprs = [defs[n] for n in order] + ([target] if exprs else [])
    symbols: list[str] = []
    used: set[str] = set()  # names used as values (not only as the n of ones(n))
    calls: set[str] = set()
    powered: set[str] = set()
    transposed_names: set[str] = set()
    dims_used: set[str] = set()  # names used as dims (ones(n), I_n, rows(X, 1, n)): as values, sizes
    for e in all_exprs:
        if isinstance(e, Symbol):
            used.add(e.name)
        for node in walk(e):
            if isinstance(node, Symbol) and node.name not in defs:
                symbols.append(node.name)
                if node.name.startswith("I_"):
                    dims_used.add(node.name[2:])
            is_ones = isinstance(node, Call) and CALLS.get(node.name) is CALLS["ones"]
            first_dim = DIM_ARGUMENTS.get(node.name, len(node.args)) if isinstance(node, Call) else len(node.args)
            if isinstance(node, Call) and (is_ones or first_dim < len(node.args)):
                dims_used.update(c.name for a in node.args[0 if is_ones else first_dim:] for c in walk(a)
                                 if isinstance(c, Symbol))
            used.update(c.name for c in node.args[:first_dim] if isinstance(c, Symbol) and not is_ones)
            if isinstance(node, Call):
                calls.add(node.name)
            elif isinstance(node, Power) and isinstance(node.left, Symbol) and not _matrix_power(node):
                powered.add(node.left.name)
            elif isinstance(node, Transpose) and isinstance(node.arg, Symbol):
                transposed_names.add(node.arg.name)
            elif _normed(node, source):  # ‖θ‖: nobody writes a norm of a scalar
                transposed_names.add(node.args[0].name)
            if isinstance(node, Power) and isinstance(node.right, Symbol):
                powered.add(node.right.name)
    if isinstance(target, Tensor) and target.wrt not in defs:  # ∂x_k: x is a variable, of the rank it has indices
        symbols.append(target.wrt)
        used.add(target.wrt)
        if target.wrt not in declared and not (kinds or {}).get(target.wrt):
            rank = sum(1 for i in target.indices[target.split:] if i != "1")
            kinds = {**(kinds or {}), target.wrt: rank}
    symbols = [n for n in dict.fromkeys(symbols) if n in used]
    variables = set(symbols) | set(declared)
    for n in GREEK_SPELLINGS & set(symbols) & calls:
        if n not in declared:
            span = next((s.span for e in all_exprs for s in walk(e) if isinstance(s, Symbol) and s.name == n), None)
            raise SymbolError(f"{n} is used both as a value and as the function {n}(…)", source, span,
                              f'write sigmoid(…) for the function; or declare "{n} : scalar" and {n}(…) '
                              "is a product")
    _check_run_together(symbols, variables | set(defs), {**declared, **(kinds or {})}, defs, all_exprs, source)

    kinds = {n: k for n, k in (kinds or {}).items() if n not in declared and n in symbols}
    scalars = {s for s in powered if s not in declared and kinds.get(s) != 2} | \
        {n for n, k in kinds.items() if k == 0}
    def attempt(flipped: frozenset[str]):
        # a flipped name goes against the convention: a vector name becomes a scalar (demoted),
        # a lower-case Greek name a vector (promoted: θ in X θ - y)
        promoted = frozenset(n for n in flipped if conventional_kind(n) == "scalar")
        demoted = flipped - promoted
        typer = Typer(source, declared, defs, scalars | demoted, set(), variables, kinds, demoted)
        typer.function_dims = function_dims
        typer.never_demoted = transposed_names
        typer.dim_names = typer.dim_names | (dims_used - set(declared) - set(defs))  # n in ones(n) / n
        typer.declared_functions = declared_functions
        # a Greek name written transposed (θ^T x) is a vector: nobody transposes a scalar
        typer.promoted = set(promoted) | {n for n in transposed_names
                                          if n not in declared and conventional_kind(n) == "scalar"}
        typed_defs: dict[str, Expr] = {}
        for n in order:
            e, s = fold(defs[n], typer.type_node)
            if n in declared:
                want = normalize(tuple(typer.dim_of(d) for d in declared[n]))
                if len(want) != len(s) or not all(typer.unify(a, b) for a, b in zip(want, s)):
                    raise ShapeError(f"{n} is declared {typer.show(want)} but its definition is "
                                     f"{typer.show(s)}", source, def_spans[n])
            typed_defs[n] = e
            typer.def_shapes[n] = s
        if exprs:
            typed_target, typer.target_shape = fold(target, typer.type_node)
        else:
            typed_target = Symbol(name, def_spans[name])
            typer.target_shape = typer.def_shapes[name]
        typer.flipped = flipped
        return typer, typed_defs, typed_target

    size = sum(len(walk(e)) for e in all_exprs)
    try:
        typer, typed_defs, typed_target = _type_with_demotion(attempt, size)
    except ShapeError as error:
        raise _run_together_hint(error, symbols, declared, all_exprs) from None
    free = [n for n in symbols if n not in declared and n not in kinds and n not in defs]
    (typer, typed_defs, typed_target), notes, scalar_hint = readings.choose(
        attempt, (typer, typed_defs, typed_target), free, transposed_names, all_exprs, source,
        prefer_scalar)
    indexing.check_placement(typed_target, typed_defs, source)
    for e in [*typed_defs.values(), typed_target]:
        if (d := _depth(e)) > limits.MAX_DEPTH:
            raise LimitError(f"the typed expression nests {d} levels deep; matcalc accepts at most {limits.MAX_DEPTH}",
                             source, getattr(e, "span", None), "name inner parts with definitions")
    # name the free dims, then fix the dims inside I and ones(n)
    named = typer.names()

    def final(d):
        d = typer.find(d)
        if isinstance(d, Var):
            return named[d]
        return dim_of_text(d)

    shapes: dict[str, tuple] = {}
    for n in symbols:
        if n in typer.symbol_shapes:
            shapes[n] = tuple(final(d) for d in typer.symbol_shapes[n])
    for n in declared:
        if n not in shapes and n not in defs:
            shapes[n] = normalize(tuple(dim_of_text(d) for d in declared[n]))
    for n in order:
        shapes[n] = tuple(final(d) for d in typer.def_shapes[n])

    def fix_dims(node, kids):
        if isinstance(node, (Delta, IndexSum, Tensor, Zeros)):
            return indexing.fixed(with_args(node, kids) if kids else node, final)
        if isinstance(node, (Identity, Ones)) and isinstance(node.dim, Var):
            d = final(node.dim)
            return type(node)(d, getattr(node, "span", None))
        if isinstance(node, Size) and isinstance(node.dim, Var):  # mean(x) of an inferred dim
            return size_of(final(node.dim))
        if kids and any(map(is_not, kids, node.args)):
            return _with_span(rebuild(node, kids), node)
        return node

    typed_defs = {n: fold(e, fix_dims) for n, e in typed_defs.items()}
    typed_target = fold(typed_target, fix_dims)
    return Program(source=source, expr=typed_target, definitions=typed_defs, shapes=shapes, name=name,
                   properties={n: frozenset(p) for n, p in properties.items() if p},
                   functions=frozenset(typer.functions), declared=frozenset(declared),
                   declaration_order=tuple(declared),
                   notes=notes, scalar_hint=scalar_hint)


DIM_ARGUMENTS = {"unvec": 1, "rows": 1, "cols": 1, "padrows": 1, "padcols": 1}
"""calls whose arguments from this position on are dims (unvec(v, n, m), rows(X, i, j)), not values"""


def _matrix_power(node: Power) -> bool:
    """X^3 of an upper-case name, an integer power: a matrix power (the name is no scalar)."""
    p = node.right
    return conventional_kind(node.left.name) == "matrix" and isinstance(p, Number) and p.value.denominator == 1


MAX_DEMOTION_ATTEMPTS = 64
"""How many sets of names-taken-as-scalars to try before giving up on a conflict."""

DEMOTION_WORK = 100_000
"""Attempts times program size (in nodes) spent on demotion, so big programs fail fast."""


def _type_with_demotion(attempt, size: int = 1):
    """Type with the naming convention; if that fails, with the fewest names demoted to scalars.

    Breadth first over sets of demoted names (each failure names its candidates): the first
    level that types the program wins if exactly one set at that level does; if two or more
    do (``x y``: x or y could be the scalar), the choice is the user's, and the original
    error is raised with its hint.
    """
    try:
        return attempt(frozenset())
    except Retry as retry:
        first = retry.error
        level = {frozenset([c]) for c in retry.candidates}
    tries, most = 1, max(4, min(MAX_DEMOTION_ATTEMPTS, DEMOTION_WORK // max(size, 1)))
    while level and tries < most:
        successes, following = [], set()
        for demoted in sorted(level, key=sorted):
            tries += 1
            if tries > most:
                raise first
            try:
                successes.append((demoted, attempt(demoted)))
            except Retry as retry:
                following.update(demoted | {c} for c in retry.candidates if c not in demoted)
            except ShapeError:
                continue
        if len(successes) == 1:
            return successes[0][1]
        if successes:
            raise first
        level = following
    raise first


PROPERTY_KINDS = {"symmetric": 2, "spd": 2, "onehot": 1, "simplex": 1}
"""The rank a property needs (positive fits any)."""


def _check_properties(st: Declaration, source: str) -> None:
    for prop in st.properties:
        rank = PROPERTY_KINDS.get(prop)
        if rank == 2 and (len(st.dims) != 2 or st.dims[0] != st.dims[1]):
            raise ShapeError(f"{st.name} : {dims_text(st.dims)} {prop}: only a square matrix can be {prop}",
                             source, st.span, f"declare it n x n {prop}")
        if rank == 1 and len(st.dims) != 1:
            raise ShapeError(f"{st.name} : {dims_text(st.dims)} {prop}: only a vector can be {prop}",
                             source, st.span)


def _dependency_order(defs: dict[str, Expr], spans, source) -> list[str]:
    deps = {n: [s.name for s in walk(v) if isinstance(s, Symbol) and s.name in defs] for n, v in defs.items()}
    order: list[str] = []
    state: dict[str, int] = {}
    for root in defs:
        if root in state:
            continue
        stack = [(root, iter(deps[root]))]
        state[root] = 1
        path = [root]
        while stack:
            n, it = stack[-1]
            child = next(it, None)
            if child is None:
                stack.pop()
                path.pop()
                state[n] = 2
                order.append(n)
            elif state.get(child) == 1:
                cycle = path[path.index(child):] + [child]
                raise SymbolError(f"{child} is defined in terms of itself: {' → '.join(cycle)}",
                                  source, spans[child])
            elif child not in state:
                state[child] = 1
                path.append(child)
                stack.append((child, iter(deps[child])))
    return order


def _check_run_together(symbols, known, declared, defs, exprs, source):
    """Wx where W and x are known: a missing space, not a new symbol."""
    for name in symbols:
        if name in declared or len(name) < 2:
            continue
        parts = _split(name, known - {name})
        if parts:
            span = next((s.span for e in exprs for s in walk(e)
                         if isinstance(s, Symbol) and s.name == name), None)
            raise SymbolError(f'unknown symbol "{name}"', source, span,
                              f'did you mean "{" ".join(parts)}"?')


def _normed(node, source: str) -> bool:
    """‖θ‖ or norm(θ) of a bare name (|θ| of a Greek name stays its absolute value)."""
    if isinstance(node, Call) and node.name == "norm" and len(node.args) == 1:
        return isinstance(node.args[0], Symbol)
    if isinstance(node, Norm) and isinstance(node.arg, Symbol) and node.span is not None:
        return source[node.span.start:node.span.start + 1] in ("‖", "\\")
    return False


def _run_together_hint(error: ShapeError, symbols, declared, exprs) -> ShapeError:
    """A shape error about Wx (one unknown name), where W x was meant: say so."""
    if error.span is None:
        return error
    for name in symbols:
        if name in declared or not re.fullmatch(r"[A-ZΑ-Ω][a-zα-ω]", name):
            continue
        for e in exprs:
            for s in walk(e):
                if isinstance(s, Symbol) and s.name == name and s.span is not None \
                        and error.span.start <= s.span.start < error.span.end:
                    return ShapeError(error.bare_message, error.source, error.span,
                                      f'did you mean "{name[0]} {name[1:]}"? ("{name}" is one name)')
    return error


def _split(name: str, known: set[str]) -> list[str] | None:
    """name as two or more known names run together, if it is one."""
    best: dict[int, list[str]] = {0: []}
    for i in range(len(name)):
        if i not in best:
            continue
        for j in range(i + 1, len(name) + 1):
            piece = name[i:j]
            if piece in known and j not in best:
                best[j] = best[i] + [piece]
    parts = best.get(len(name))
    return parts if parts and len(parts) > 1 else None


def read(text: str, kinds: dict[str, int] | None = None, functions=frozenset(),
         prefer_scalar: bool = False) -> Program:
    """A typed program from text (parse, then type); ``kinds`` and ``functions`` as in :func:`typecheck`."""
    if not isinstance(text, str):
        return typecheck(parse_statements(text), text)  # refused there, with the type named
    try:
        key = (text, tuple(sorted(kinds.items())) if kinds else None, frozenset(functions), prefer_scalar,
               limits.MAX_INPUT, limits.MAX_DEPTH, limits.MAX_NUMBER_DIGITS, limits.MAX_NUMBER_BITS)
        hash(key)
    except TypeError:  # kinds or functions a caller made of something unhashable: read afresh
        key = None

    def fresh() -> Program:
        normal = pasted.normalize(text) if len(text) <= limits.MAX_INPUT else text
        return typecheck(parse_statements(normal, rewrite=False), normal, kinds=kinds, functions=functions,
                         prefer_scalar=prefer_scalar)

    program, _ = limits.remembered(_READ, key, fresh, "reading the program", MAX_READINGS)
    return _copy(program)


MAX_READINGS = 256
"""Texts whose typed program is remembered (all forgotten at once past this many)."""

_READ: dict = {}
"""(text, kinds, functions, prefer_scalar, the limits reading depends on) -> (the typed program, the
work it counted, None if read outside a call). Reading is a function of the key alone; the program
remembered is never handed out, only copies."""


def _copy(program: Program) -> Program:
    """A program of its own, equal to the one given: the nodes are immutable and shared, the
    tables (shapes, definitions, properties, notes) and memos are new, so a caller that changes
    its program changes no other reading of the same text."""
    return dataclasses.replace(program, definitions=dict(program.definitions), shapes=dict(program.shapes),
                               properties=dict(program.properties), notes=dict(program.notes), _shape_memo={})
