"""Index notation, the contraction: G_ab ↦ δ_ai δ_bj, deltas against sums, like terms collected.

Then :func:`to_tensor` writes the result as the language's nodes: a
:class:`~matcalc.core.nodes.Tensor` whose body is a sum of terms ``coef × outside × Σ_a inside``
(the sum starts at the first factor that uses its index), with :class:`~matcalc.core.nodes.Entry`,
:class:`~matcalc.core.nodes.Delta` and :class:`~matcalc.core.nodes.IndexSum`.
"""
from __future__ import annotations

from fractions import Fraction

from ..core import build
from ..core.dims import is_fixed
from ..core.nodes import (
    Delta, Div, Entry as EntryNode, Expr, IndexSum, Neg, Number, Ones, Power, Scale, Size, Sum, Symbol, Tensor, Zeros,
)
from .index_terms import (
    ONE, Dim, Entry, Kronecker, Num, Plus, Pow, Term, Times, _pow, indices_of, rename,
)

# ---------------------------------------------------------------- G_ab ↦ δ_ai δ_bj, and simplification

def substitute_basis(terms: list[Term], g: str, g_shape: tuple, f_idx: tuple) -> list[Term]:
    """Each G entry G_{ab…} becomes δ_{a i} δ_{b j} … (the basis tensor E_{ij…})."""
    out = []
    for t in terms:
        factors = []
        for f in t.factors:
            if isinstance(f, Entry) and isinstance(f.expr, Symbol) and f.expr.name == g:
                factors.extend(Kronecker(a, b) for a, b in zip(f.indices, f_idx) if not (a == ONE and b == ONE))
            else:
                factors.append(f)
        out.append(Term(t.coef, t.sums, tuple(factors)))
    return out


def simplify_terms(terms: list[Term], rank: dict[str, int], ranges: dict[str, object]) -> list[Term]:
    """Contract deltas against sums, prefer F's indices, order the factors, collect like terms."""
    collected: dict[tuple, Fraction] = {}
    order: list[tuple] = []
    for t in terms:
        t = _contract(t, rank, ranges)
        if t.coef == 0:
            continue
        key = (t.sums, t.factors)
        if key not in collected:
            order.append(key)
            collected[key] = Fraction(0)
        collected[key] += t.coef
    return [Term(collected[k], k[0], k[1]) for k in order if collected[k] != 0]


def _contract(t: Term, rank: dict[str, int], ranges: dict[str, object]) -> Term:
    sums = list(t.sums)
    factors = list(t.factors)
    coef = t.coef
    changed = True
    while changed:
        changed = False
        for n, f in enumerate(factors):
            if not isinstance(f, Kronecker):
                continue
            a, b = f.a, f.b
            if a == b:
                del factors[n]
                changed = True
                break
            if b in sums or a in sums:
                gone, keep = (b, a) if b in sums else (a, b)
                del factors[n]
                sums.remove(gone)
                factors = [rename(x, {gone: keep}) for x in factors]
                changed = True
                break
            if ONE in (a, b):  # an index over a range of size 1 is that one position
                other = b if a == ONE else a
                del factors[n]
                factors = [rename(x, {other: ONE}) for x in factors]
                changed = True
                break
    # δ between free indices: write the other factors with the preferred index (F's before V's)
    for n in range(len(factors)):
        f = factors[n]
        if isinstance(f, Kronecker) and f.a != f.b:
            keep, gone = sorted((f.a, f.b), key=lambda i: rank.get(i, 99))
            factors = [x if m == n else rename(x, {gone: keep}) for m, x in enumerate(factors)]
    # δ_ii after those renames is 1; a sum over an index that nothing mentions is its range's size
    factors = [f for f in factors if not (isinstance(f, Kronecker) and f.a == f.b)]
    factors = [Kronecker(*sorted((f.a, f.b), key=lambda i: rank.get(i, 99))) if isinstance(f, Kronecker) else f
               for f in factors]
    used = {i for f in factors for i in indices_of(f)}
    for s in list(sums):
        if s not in used:
            sums.remove(s)
            dim = ranges.get(s)
            if is_fixed(dim):
                coef *= dim
            else:
                factors.append(Dim(dim))  # a name, or a size such as m n (not its text)
    factors = _merge_powers(factors)
    # canonical order of factors, then canonical names of the summation indices
    factors = sorted(factors, key=lambda f: _factor_key(f, rank))
    # (a canonical name carries its range, so equal names mean equal ranges across terms)
    mapping = {}
    for f in factors:
        for i in indices_of(f):
            if i in sums and i not in mapping:
                mapping[i] = f"t{len(mapping) + 1}.{ranges.get(i)}"
    for s in sums:
        mapping.setdefault(s, f"t{len(mapping) + 1}.{ranges.get(s)}")
    new_sums = tuple(sorted((mapping[s] for s in sums), key=_sum_order))
    for old, new in mapping.items():
        ranges[new] = ranges.get(old)
        rank[new] = 100 + _sum_order(new)
    factors = [rename(f, mapping) for f in factors]
    factors = sorted(factors, key=lambda f: _factor_key(f, rank))
    return Term(coef, new_sums, tuple(factors))


def _sum_order(name: str) -> int:
    return int(name[1:].split(".")[0])


def _merge_powers(factors: list) -> list:
    """x_i x_i → x_i^2"""
    out: list = []
    powers: dict = {}
    for f in factors:
        base, p = (f.base, f.exp) if isinstance(f, Pow) else (f, Fraction(1))
        if isinstance(base, (Kronecker, Dim)):
            out.append(f)
            continue
        if base in powers:
            powers[base] += p
        else:
            powers[base] = p
            out.append(base)
    result = []
    for f in out:
        if f in powers:
            p = powers[f]
            if p != 0:
                result.append(_pow(f, p))
        else:
            result.append(f)
    return result


def _factor_key(f, rank: dict[str, int]):
    ranks = [rank.get(i, 99) for i in indices_of(f)]
    return (min(ranks, default=-1), 0 if isinstance(f, Kronecker) else 1, sorted(ranks), _plain_text(f))


def _plain_text(f) -> tuple:
    """A factor's structural key, the last key of the canonical order of factors (a tie-break only;
    made of class names, symbol names, numbers and indices, never of rendered text)."""
    if isinstance(f, Entry):
        return ("entry", _node_key(f.expr), f.indices)
    if isinstance(f, Kronecker):
        return ("delta", f.a, f.b)
    if isinstance(f, Num):
        return ("number", str(f.value))
    if isinstance(f, Dim):
        return ("dim", str(f.dim))
    if isinstance(f, Pow):
        return ("power", _plain_text(f.base), str(f.exp))
    return (type(f).__name__, tuple(_plain_text(x) for x in (f.terms if isinstance(f, Plus) else f.factors)))


def _node_key(e: Expr) -> tuple:
    """A node as nested tuples of its class, its fields and its children (iterative)."""
    from ..core.nodes import fold
    return fold(e, lambda n, kids: (type(n).__name__, tuple(str(getattr(n, k)) for k in n._keys
                                                            if not isinstance(getattr(n, k), (Expr, tuple))),
                                    tuple(kids)))


# ---------------------------------------------------------------- to the language's nodes

def _letter(letters: dict[str, str]):
    return lambda i: i if i == ONE else letters.get(i, i)


def factor_node(f, letters: dict[str, str], ranges: dict) -> Expr:
    """One factor of a term as a node of index notation."""
    name = _letter(letters)
    if isinstance(f, Entry):
        return EntryNode(f.expr, tuple(name(i) for i in f.indices))
    if isinstance(f, Kronecker):
        return Delta(name(f.a), name(f.b), ranges.get(f.a, ranges.get(f.b)))
    if isinstance(f, Num):
        return Number(f.value)
    if isinstance(f, Dim):  # Σ_a over nothing that mentions a: the size of its range
        return Sum(Ones(f.dim)) if isinstance(f.dim, (int, str)) else Size(f.dim)  # m n, not sum(ones(m n))
    if isinstance(f, Pow):
        return Power(factor_node(f.base, letters, ranges), Number(f.exp))
    if isinstance(f, Plus):
        return build.add(*(factor_node(t, letters, ranges) for t in f.terms))
    if isinstance(f, Times):
        coef, rest = (f.factors[0].value, f.factors[1:]) if f.factors and isinstance(f.factors[0], Num) \
            else (Fraction(1), f.factors)
        return product_node(coef, list(rest), letters, ranges)
    raise TypeError(f)


def _chain(nodes: list[Expr]) -> Expr:
    """f₁ f₂ … fₙ as the typer reads a run of scalars: scales nested to the right."""
    out = nodes[-1]
    for f in reversed(nodes[:-1]):
        out = Scale(f, out)
    return out


def product_node(coef: Fraction, factors: list, letters: dict[str, str], ranges: dict,
                 tail: Expr | None = None) -> Expr:
    """coef × factors (× tail), factors of negative power as a denominator."""
    num = [factor_node(f, letters, ranges) for f in factors if not (isinstance(f, Pow) and f.exp < 0)]
    den = [factor_node(_pow(f.base, -f.exp), letters, ranges) for f in factors if isinstance(f, Pow) and f.exp < 0]
    if tail is not None:
        num.append(tail)
    if abs(coef) != 1 or not num:
        num.insert(0, Number(abs(coef)))
    body = _chain(num)
    if den:
        body = Div(body, _chain(den))
    if coef < 0:
        if isinstance(body, Scale) and isinstance(body.left, Number):
            return Scale(Number(-body.left.value), body.right)
        return Neg(body)
    return body


def term_node(t: Term, letters: dict[str, str], ranges: dict) -> Expr:
    """coef × outside × Σ_a … inside: the sum starts at the first factor that uses its index."""
    if not t.sums:
        return product_node(t.coef, list(t.factors), letters, ranges)
    summed = set(t.sums)
    first = next(n for n, f in enumerate(t.factors) if summed & set(indices_of(f)))
    body = product_node(Fraction(1), list(t.factors[first:]), letters, ranges)
    for s in reversed(t.sums):
        body = IndexSum(_letter(letters)(s), body, ranges.get(s))
    return product_node(t.coef, list(t.factors[:first]), letters, ranges, tail=body)


def to_tensor(terms, f_idx: tuple, v_idx: tuple, letters: dict[str, str], ranges: dict, *, function: str,
              wrt: str, hessian: bool) -> Tensor:
    """∂F_ij/∂x_k = Σ terms, as the language's Tensor node (its free indices F's, then V's)."""
    nodes = [term_node(t, letters, ranges) for t in terms]
    name = _letter(letters)
    free = f_idx + v_idx
    dims = tuple(1 if i == ONE else ranges[i] for i in free)
    body = nodes[0] if len(nodes) == 1 else build.add(*nodes) if nodes else Zeros(dims)  # 0_{n x 1 x n}
    return Tensor(body, tuple(name(i) for i in free), dims, function, wrt, len(f_idx), hessian)


def entries_of(e: Expr):
    """The vector and matrix expressions a tensor's body reads entries of."""
    from ..core.nodes import walk
    return [n.arg for n in walk(e) if isinstance(n, EntryNode)]

