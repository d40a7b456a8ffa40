"""Dims, the sizes of axes: an integer (3), a name (n), or a polynomial in names (n + m, n m).

Names are plain strings and integers plain ints, so shapes compare, hash and print without
any algebra package; :class:`Poly` is the small algebra that concatenation and Kronecker
products need (a sum of monomials with integer coefficients), normalized so that a single
name is a ``str`` and a constant an ``int``.
"""
from __future__ import annotations

from dataclasses import dataclass

Dim = int | str  # or Poly


@dataclass(frozen=True)
class Poly:
    """Σ coefficient · name₁ name₂ …, terms sorted, no zero coefficients (made by :func:`dim`)."""

    terms: tuple[tuple[tuple[str, ...], int], ...]

    def __str__(self) -> str:
        parts = []
        for names, c in self.terms:
            body = " ".join(names)
            if not names:
                word = str(abs(c))
            elif abs(c) == 1:
                word = body
            else:
                word = f"{abs(c)} {body}"
            if not parts:
                parts.append(word if c > 0 else "-" + word)
            else:
                parts.append((" + " if c > 0 else " - ") + word)
        return "".join(parts)

    def __add__(self, other):
        return plus(self, other)

    __radd__ = __add__

    def __mul__(self, other):
        return times(self, other)

    __rmul__ = __mul__


def _terms(d) -> dict[tuple[str, ...], int]:
    if isinstance(d, Poly):
        return dict(d.terms)
    if isinstance(d, bool):
        raise TypeError("a dim is not a bool")
    if isinstance(d, int):
        return {(): d} if d else {}
    if isinstance(d, str):
        return {(d,): 1}
    raise TypeError(f"not a dim: {d!r}")


def _make(terms: dict[tuple[str, ...], int]):
    terms = {k: v for k, v in terms.items() if v}
    if not terms:
        return 0
    if len(terms) == 1:
        ((names, c),) = terms.items()
        if not names:
            return c
        if len(names) == 1 and c == 1:
            return names[0]
    return Poly(tuple(sorted(terms.items(), key=lambda kv: (-len(kv[0]), kv[0]))))


def dim(d) -> Dim | Poly:
    """A dim from what a user or a declaration gives: an int, a name, "3"."""
    if isinstance(d, str) and d.isdigit():
        return int(d)
    return _make(_terms(d))


def plus(a, b):
    t = _terms(a)
    for k, v in _terms(b).items():
        t[k] = t.get(k, 0) + v
    return _make(t)


def times(a, b):
    t: dict = {}
    for ka, va in _terms(a).items():
        for kb, vb in _terms(b).items():
            k = tuple(sorted(ka + kb))
            t[k] = t.get(k, 0) + va * vb
    return _make(t)


def divide(a, b):
    """a / b where b divides a exactly (b an integer, a name or a product: (n m) / m = n, n n n / n n = n);
    None otherwise."""
    if is_fixed(b) and b == 0:
        return None
    if a == b:  # (m n) / (m n) = 1, not m n
        return 1
    if isinstance(b, Poly) and len(b.terms) == 1:  # a monomial: one factor at a time
        names, c = b.terms[0]
        for factor in (*names, c):
            a = divide(a, factor) if a is not None else None
        return a
    t: dict = {}
    for names, c in _terms(a).items():
        if is_fixed(b):
            if c % b:
                return None
            t[names] = c // b
        elif isinstance(b, str):
            if b not in names:
                return None
            rest = list(names)
            rest.remove(b)
            t[tuple(rest)] = c
        else:
            return None
    return _make(t)


def is_fixed(d) -> bool:
    """An integer dim (a size written as a number)."""
    return isinstance(d, int) and not isinstance(d, bool)


def is_one(d) -> bool:
    return is_fixed(d) and d == 1


def names_in(d) -> set[str]:
    return {n for names in _terms(d) for n in names} if not isinstance(d, str) else {d}


def value(d, sizes: dict[str, int]) -> int | None:
    """The size of d given the sizes of its names (None if one is unknown)."""
    if is_fixed(d):
        return d
    if isinstance(d, str):
        return sizes.get(d)
    total = 0
    for names, c in _terms(d).items():
        term = c
        for n in names:
            if n not in sizes:
                return None
            term *= sizes[n]
        total += term
    return total
