"""Generalized Jacobians in index notation: ∂F_ij/∂x_k = δ_ik x_j + x_i δ_jk, as the language says it.

Where no matrix form exists, the engine leaves the vector-Jacobian product L(G), linear in the
cotangent G. :mod:`.index_terms` writes L(G) entry by entry, :mod:`.index_contract` replaces G
by the basis tensors and contracts the deltas, and the result is the language's
:class:`~matcalc.core.nodes.Tensor` node: it prints (:mod:`matcalc.language.index_printing`),
parses back, evaluates (:mod:`matcalc.core.indexed`, einsum) and compiles like any other node.
This module is the bridge from a Derivative: :func:`index_form` (the tensor and the placeholders
it reads), :func:`index_text` and :func:`index_latex` (a Result's str and LaTeX).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..core import build
from ..core.evaluate import evaluate_expr
from ..core.indexed import free_indices
from ..core.lazy import np
from ..core.nodes import Expr, Symbol, Tensor, fold, walk
from ..core.program import substitute
from ..core.shapes import shape_of
from ..language.latex import LatexPrinter, latex, latex_name
from ..language.printing import text
from .index_contract import _sum_order, simplify_terms, substitute_basis, to_tensor
from .index_reshape import merge_selections
from .index_terms import (  # noqa: F401 — the translator's names, for tests and callers
    F_LETTERS,
    ONE,
    SUM_LETTERS,
    V_LETTERS,
    Dim,
    Term,
    Terms,
    Translator,
    Unsupported,
    _is_one,
    indices_of,
)
from .index_terms import Entry as IndexEntry
from .naming import COTANGENT, cotangent_name
from .simplify import Simplifier


@dataclass
class IndexForm:
    """∂F_{f_indices}/∂V_{v_indices} = rhs: the Tensor node and what it needs to print and evaluate."""
    node: Tensor
    terms: tuple[Term, ...]     # the contracted terms it was made of
    letters: dict[str, str]     # internal index name -> printed letter
    shapes: dict = field(repr=False, default_factory=dict)
    definitions: dict[str, Expr] = field(repr=False, default_factory=dict)
    function_expr: Expr | None = field(repr=False, default=None)
    cotangent: str = COTANGENT

    def needed_definitions(self) -> dict[str, Expr]:
        needed: set[str] = set()
        stack = [self.node]
        while stack:
            for n in walk(stack.pop()):
                if isinstance(n, Symbol) and n.name in self.definitions and n.name not in needed:
                    needed.add(n.name)
                    stack.append(self.definitions[n.name])
        return {n: v for n, v in self.definitions.items() if n in needed}

    def declared(self) -> list[str]:
        """Declarations of the inputs, where the body names their dims as values (kron(ones(q), A),
        [I; 0_{r x p}], 1 / (n m)): read alone, the text then means the same sizes."""
        from ..language.printing import declarations
        return declarations(self.shapes, self.declared_names())

    def declared_names(self) -> list[str]:
        """The inputs :meth:`declared` declares (none where the body names no dim as a value)."""
        from ..core.nodes import HCat, Kron, PadRows, Size, VCat
        body = list(walk(self.node.arg))
        if not any(isinstance(n, (Kron, VCat, HCat, PadRows, Size)) for n in body):
            return []
        names: list[str] = []
        roots = [self.node.arg, *self.needed_definitions().values()]
        if self.function_expr is not None:  # Y of [X; Y] says r in 0_{r x p}
            roots.append(self.function_expr)
        for root in roots:
            for n in walk(root):
                if isinstance(n, Symbol) and n.name not in self.definitions and n.name not in names:
                    names.append(n.name)
        if self.node.wrt not in names:
            names.append(self.node.wrt)
        from ..language.printing import declarable
        return [n for n in names if n in self.shapes and n != self.cotangent and declarable(self.shapes[n])]

    def unmentioned(self) -> bool:
        """Does the body leave some of F's indices out (F_ij = 2 (r x) + W_ij by r: 2 x_k)?"""
        t = self.node
        return not t.hessian and bool(set(t.indices[:t.split]) - {ONE} - set(free_indices(t.arg)))

    def __str__(self) -> str:
        lines = []
        if self.unmentioned():  # F's shape says their ranges: F : n x m
            lines.append(f"{self.node.function} : {' x '.join(str(d) for d in self.node.dims[:self.node.split])}")
        lines += self.declared()
        lines += [f"{n} = {text(v)}" for n, v in self.needed_definitions().items()]
        lines.append(text(self.node))
        return "\n".join(lines)

    def latex(self) -> str:
        defs = self.needed_definitions()
        unmentioned = self.unmentioned()
        declared = self.declared_names()
        if not defs and not unmentioned and not declared:
            return latex(self.node)
        p = LatexPrinter()

        def member(name, dims):  # name ∈ ℝ^{n × m}, as str()'s "name : n x m"
            dims = [d for d in dims]
            if not dims:
                return rf"{latex_name(name)} &\in \mathbb{{R}}"
            shown = r" \times ".join(latex(Symbol(str(d))) if not str(d).isdigit() else str(d) for d in dims)
            return rf"{latex_name(name)} &\in \mathbb{{R}}^{{{shown}}}"
        rows = [member(n, self.shapes[n]) for n in declared]
        rows += [rf"{latex_name(n)} &= {latex(v)}" for n, v in defs.items()]
        if unmentioned:  # as in str(): F's shape says the ranges of the indices the body leaves out
            rows.insert(0, member(self.node.function, self.node.dims[:self.node.split]))
        rows.append(rf"{p.tensor_lhs(self.node)} &= {p.doprint(self.node.arg)}")
        body = r" \\ ".join(rows)
        return rf"\begin{{aligned}} {body} \end{{aligned}}"

    def evaluate(self, env: dict):
        """J[i…, k…] from the index formula itself (einsum), to check it against the engine."""
        env = {**_sizes(self.shapes, env), **env}
        return np.asarray(evaluate_expr(self.node, self.shapes, env, definitions=self.definitions), dtype=float)


def _sizes(shapes: dict, env: dict) -> dict[str, int]:
    """The named dims' sizes that env's arrays show (for the ranges of indices no entry reads)."""
    sizes: dict[str, int] = {}
    for name, v in env.items():
        if name in shapes and not callable(v):
            for d, n in zip(shapes[name], np.shape(v)):
                if isinstance(d, str):
                    sizes.setdefault(d, int(n))
    return sizes


# ---------------------------------------------------------------- from a Derivative

def _axes(shape: tuple, base: str) -> tuple:
    return tuple(ONE if _is_one(d) else f"{base}{n}" for n, d in enumerate(shape))


def index_form(d) -> IndexForm:
    """The index form of a Derivative of kind "tensor" (raises Unsupported where there is none)."""
    shapes = dict(d.shapes)
    memo: dict = {}
    g = cotangent_name(d)
    expr = d.expr
    # placeholders that hold G are written out; the others stay names
    holding: dict[str, Expr] = {}
    has: dict = {}
    for name, value in d.definitions.items():
        value = substitute(value, holding)
        if fold(value, lambda n, kids: (isinstance(n, Symbol) and n.name == g) or any(kids), has):
            holding[name] = value
    expr = substitute(expr, holding)
    definitions = {n: v for n, v in d.definitions.items() if n not in holding}

    f_shape = shapes[g]
    v_shape = shapes[d.wrt]
    f_idx = _axes(f_shape, "F")
    v_idx = _axes(v_shape, "V")
    tr = Translator(shapes, g)
    for i, dim in zip(f_idx, f_shape):
        tr.ranges[i] = dim
    for i, dim in zip(v_idx, v_shape):
        tr.ranges[i] = dim
    raw = tr.terms(expr, v_idx)
    raw = substitute_basis(raw, g, f_shape, f_idx)
    rank = {i: n for n, i in enumerate(x for x in f_idx + v_idx if x != ONE)}
    terms = simplify_terms(raw, rank, tr.ranges)
    merged = merge_selections(terms, {**shapes, **_range_shapes(tr.ranges)}, Simplifier(
        lambda e: shape_of(e, shapes, memo), getattr(d.program, "properties", None)), rank)
    if merged != terms:
        terms = simplify_terms(merged, rank, tr.ranges)
    terms = _in_matrix_notation(terms, f_idx + v_idx, shapes)

    program = d.program
    hessian_of = None
    name = getattr(d, "function_name", None) or program.name or "F"
    try:
        scalar = program.shape(program.inline()) == ()
    except Exception:  # noqa: BLE001 — only a label depends on it
        scalar = False
    if scalar:  # F is the gradient of a scalar function: a Hessian
        hessian_of = program.name or ("s" if "s" not in program.shapes else "f")
    letters = _letters(f_idx, v_idx, terms, expr, definitions, shapes)
    node = to_tensor(terms, f_idx, v_idx, letters, tr.ranges, function=hessian_of or name, wrt=d.wrt,
                     hessian=hessian_of is not None)
    return IndexForm(node=node, terms=tuple(terms), letters=letters, shapes=shapes, definitions=definitions,
                     function_expr=d.function, cotangent=g)


def _range_shapes(ranges: dict) -> dict:
    return {}


def _in_matrix_notation(terms: list, free: tuple, shapes: dict) -> list:
    """A tensor that is one matrix, said in matrix notation: ∂F_1i/∂x_1k = W_ki is (W^T)_ik.

    When the whole result is c × M_ki with (i, k) its two free indices in order, the Jacobian is
    the matrix c Mᵀ: the entry is written of the transpose, so the body reads J = Mᵀ."""
    free = [i for i in free if i != ONE]
    if len(free) != 2 or len(terms) != 1 or terms[0].sums:
        return terms
    t = terms[0]
    hits = [n for n, f in enumerate(t.factors) if isinstance(f, IndexEntry) and list(f.indices) == free[::-1]]
    others = [f for n, f in enumerate(t.factors) if n not in hits]
    if len(hits) != 1 or any(indices_of(f) for f in others):
        return terms
    e = t.factors[hits[0]]
    if len(shape_of(e.expr, shapes)) != 2:
        return terms
    flipped = IndexEntry(build.transpose(e.expr), tuple(free))
    return [Term(t.coef, t.sums, tuple(others[:hits[0]]) + (flipped,) + tuple(others[hits[0]:]))]


def _letters(f_idx, v_idx, terms, expr, definitions, shapes) -> dict[str, str]:
    taken = {s.name for root in [expr, *definitions.values()] for s in walk(root) if isinstance(s, Symbol)}
    taken |= {f.dim for t in terms for f in t.factors if isinstance(f, Dim)}
    letters: dict[str, str] = {ONE: ""}

    def assign(internal, pool):
        for c in pool:
            if c not in taken:
                taken.add(c)
                letters[internal] = c
                return
        letters[internal] = internal

    for i in f_idx:
        if i != ONE:
            assign(i, F_LETTERS + SUM_LETTERS)
    for i in v_idx:
        if i != ONE:
            assign(i, V_LETTERS + SUM_LETTERS)
    sums = sorted({s for t in terms for s in t.sums}, key=_sum_order)
    for s in sums:
        assign(s, SUM_LETTERS + tuple("mnopqrstuvwxyz") + tuple("ABCDEFGHJKLMNOPQRSTUVWXYZ"))
    return letters



def _no_form(d, error: Unsupported) -> Unsupported:
    """Where L(G) has no index form here: say so, never prose that does not read back."""
    return Unsupported(f"∂{d.function_name}/∂{d.wrt} is a generalized Jacobian that matcalc cannot yet write "
                       f"in index notation ({error.bare_message})",
                       hint="evaluate it (d.evaluate) or take a scalar function of it")


def index_text(d) -> str:
    """str() of a Derivative of kind "tensor"."""
    try:
        return str(index_form(d))
    except Unsupported as error:
        raise _no_form(d, error) from None


def index_latex(d) -> str:
    """latex() of a Derivative of kind "tensor"."""
    try:
        return index_form(d).latex()
    except Unsupported as error:
        raise _no_form(d, error) from None
