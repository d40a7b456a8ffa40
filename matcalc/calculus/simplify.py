"""Textbook forms: small local rewrites, applied bottom-up to a fixed point.

Each rewrite keeps the value and the shape; together they bring a derivative to the
forms the cheatsheet and the Matrix Cookbook print: transposes pushed into products
(``(g xᵀ)ᵀ = x gᵀ``) and dropped from scalars, ``X^{-T}`` as the transpose of the
inverse, coefficients pulled to the front (``2 Xᵀ (X w - y)``), like terms collected,
a common right factor taken out (``(A + Aᵀ) x``), ``diag(a) b = a ⊙ b``, no identity
or zero factors.
"""
from __future__ import annotations

from collections import Counter
from fractions import Fraction
from typing import Callable

from ..core import build, limits
from ..core.functions import FUNCTIONS
from ..core.lazy import LazyModule, sympy
from .algebra import ELEMENTWISE_ARITHMETIC, to_sympy
from .structure import StructureRules, _cols, _merged_powers, _row_softmax, _rows
from ..core.nodes import (
    Add, LogSoftmax, Softmax, Diag, DiagPart, Div, ElemDiv, ElemPower, Expr, Func, Hadamard, Identity, Inverse,
    MatMul, Neg, Number, Ones, Power, Scale, Sum, Symbol, Trace, Transpose, fold,
)
from ..core.build import rebuild
from ..core.nodes import Kron, Size

symbolic = LazyModule("matcalc.core.symbolic")

MAX_PASSES = 12
ZERO_PRESERVING = (Trace, Diag, DiagPart, Sum, Transpose, Neg)
MAX_LOCAL = 50


class Simplifier(StructureRules):
    """Rewrites trees over one program's symbols; remembers what it has simplified."""

    def __init__(self, shape: Callable[[Expr], tuple], properties: dict | None = None):
        self.shape = shape
        props = properties or {}
        self.symmetric = {n for n, p in props.items() if p & {"symmetric", "spd"}}
        self.sums_to_one = {n for n, p in props.items() if p & {"onehot", "simplex"}}
        self.memo: dict[Expr, Expr] = {}
        self.nesting = 0
        self.rewrites = 0
        self.bases: dict[Expr, frozenset | None] = {}
        self.symmetric_memo: dict[Expr, bool] = {}
        self.quotients: dict[Expr, bool] = {}

    def __call__(self, e: Expr) -> Expr:
        for _ in range(MAX_PASSES):
            self.rewrites = 0
            out = fold(e, self._node, self.memo)
            if self.rewrites == 0 or out is e:  # a pass that rewrote nothing: a fixed point
                return out
            e = out
        return e

    def _node(self, node: Expr, kids: list[Expr]) -> Expr:
        limits.check_time()
        if kids and any(k is not c for k, c in zip(kids, node.args)):
            node = rebuild(node, kids)
        out = self.local(node)
        if out is node or out == node or self.nesting > MAX_LOCAL:
            return node
        self.rewrites += 1
        # the rewrite made new nodes: simplify them (children first), then the new root
        self.nesting += 1
        try:
            return fold(out, self._node, self.memo)
        finally:
            self.nesting -= 1

    def is_symmetric(self, e: Expr) -> bool:
        """Whether e is a symmetric matrix by its form (or by declaration)."""
        if e in self.symmetric_memo:
            return self.symmetric_memo[e]
        t = type(e)
        if t is Symbol:
            out = e.name in self.symmetric
        elif t in (Identity, Diag):
            out = True
        elif t in (Inverse, Neg):
            out = self.is_symmetric(e.arg)
        elif t is Scale:
            out = self.is_scalar(e.left) and self.is_symmetric(e.right)
        elif t is Add:
            out = all(self.is_symmetric(x) for x in e.terms) or _transposed_twins(e.terms)
        elif t is MatMul:
            # P S P^T with S symmetric (X X^T is P I P^T)
            terms = e.terms
            half = len(terms) // 2
            mirrored = all(terms[-1 - i] == build.transpose(terms[i]) for i in range(half))
            out = mirrored and (len(terms) % 2 == 0 or self.is_symmetric(terms[half])) \
                and len(self.shape(e)) == 2
        else:
            out = False
        self.symmetric_memo[e] = out
        return out

    def is_scalar(self, e: Expr) -> bool:
        return self.shape(e) == ()

    # ------------------------------------------------------------ the rewrites
    def local(self, e: Expr) -> Expr:
        if isinstance(e, ZERO_PRESERVING) and build.is_zero(e.arg):  # tr(0), diag(0), sum(0), 0^T: 0
            return build.ZERO
        method = getattr(self, f"_{type(e).__name__}", None)
        return method(e) if method else e

    def _Transpose(self, e: Transpose) -> Expr:
        a = e.arg
        if self.is_scalar(a):  # no transpose of a scalar
            return a
        if self.is_symmetric(a):  # S^T = S: declared symmetric, X X^T, A + A^T, (X^T X)^{-1}, …
            return a
        if isinstance(a, (Transpose, Number, Identity, Diag)):
            return a.arg if isinstance(a, Transpose) else a
        if isinstance(a, Neg):
            return build.neg(build.transpose(a.arg))
        if isinstance(a, Scale):
            return build.scale(a.left, build.transpose(a.right))
        if isinstance(a, MatMul):  # (A B)^T = B^T A^T
            return build.matmul(*[build.transpose(t) for t in reversed(a.terms)])
        if isinstance(a, Add):
            # (A + A^T)^T = A + A^T and (diag(s) - s s^T)^T = diag(s) - s s^T, but (x - μ)^T stays:
            # push the transpose in where at most one term stays transposed
            terms = [fold(build.transpose(t), self._node, self.memo) for t in a.terms]
            if sum(_is_transposed(t) for t in terms) <= 1:
                return build.add(*terms)
        if isinstance(a, Inverse) and isinstance(a.arg, Transpose):  # (X^T)^{-T} = X^{-1}
            return build.inverse(a.arg.arg)
        if isinstance(a, Div):
            return build.div(build.transpose(a.left), a.right)
        return e

    def _Inverse(self, e: Inverse) -> Expr:
        a = e.arg
        if isinstance(a, Inverse):
            return a.arg
        if isinstance(a, Identity):
            return a
        if isinstance(a, Transpose):  # (X^T)^{-1} = X^{-T}
            return build.transpose(build.inverse(a.arg))
        return e

    def _Neg(self, e: Neg) -> Expr:
        a = e.arg
        if isinstance(a, Add) and all(_is_negative(t) for t in a.terms):  # -(-a - b) = a + b
            return build.add(*[build.neg(t) for t in a.terms])
        if isinstance(a, (Neg, Number)) or (isinstance(a, Scale) and isinstance(a.left, Number)):
            return build.neg(a)
        return e

    def _Scale(self, e: Scale) -> Expr:
        cancelled = self._cancel(e)
        if cancelled is not None:
            return cancelled
        merged = self._merge_scalar_factors(e)
        if merged is not None:
            return merged
        c, a = e.left, e.right
        if _reciprocal_of(c) is not None and not self.is_scalar(a):
            return build.div(a, _reciprocal_of(c))  # (1/c) A = A / c
        if isinstance(a, Func) and a.name == "exp" and a.order == 0 and _reciprocal_of(c) == Sum(a) \
                and len(self.shape(a)) == 1:
            return Softmax(a.arg)  # exp(x) / sum(exp(x)), x a vector
        if isinstance(c, Number):
            if c.value == 1:
                return a
            if c.value == 0:
                return build.ZERO
            if c.value == -1:
                return build.neg(a)
        if isinstance(a, Number) and a.value == 1 and self.is_scalar(a):
            return c
        if isinstance(c, Neg):
            return build.neg(build.scale(c.arg, a))
        if isinstance(a, Neg):
            return build.neg(build.scale(c, a.arg))
        if isinstance(c, Number) and isinstance(a, Number):
            return Number(c.value * a.value)
        if isinstance(a, Symbol) and self.is_scalar(a) and not isinstance(c, (Symbol, Number)):
            return build.scale(a, c)  # plain names before compound factors: c x^T x
        if isinstance(c, Scale):  # (c d) A = c (d A)
            return build.scale(c.left, build.scale(c.right, a))
        if isinstance(a, Scale):
            d, x = a.left, a.right
            if isinstance(c, Number) and isinstance(d, Number):
                return build.scale(Number(c.value * d.value), x)
            if isinstance(d, Number) and not isinstance(c, Number):  # numbers first
                return build.scale(d, build.scale(c, x))
            if isinstance(d, Symbol) and not isinstance(c, (Symbol, Number)):  # then plain names
                return build.scale(d, build.scale(c, x))
        if isinstance(a, Div):
            x, d = a.left, a.right
            if d == c:
                return x
            if isinstance(c, Power) and c.left == d and isinstance(c.right, Number):
                return build.scale(build.power(d, Number(c.right.value - 1)), x)
            if isinstance(c, Scale) and c.right == d:
                return build.scale(c.left, x)
        return e

    def _bases(self, e: Expr) -> frozenset | None:
        """The scalar bases of a chain of scalings, None if two of them are equal (a merge is due).

        Remembered per node, so checking a long chain c1 (c2 (… X)) costs one step per link."""
        if e in self.bases:
            return self.bases[e]
        if isinstance(e, Scale):
            left, right = self._bases(e.left), self._bases(e.right)
            out = None if left is None or right is None or left & right else left | right
        elif self.is_scalar(e):
            powers = [b for b, _ in _powers(e)]
            out = frozenset(powers) if len(set(powers)) == len(powers) else None
        else:
            out = frozenset()
        self.bases[e] = out
        return out

    def _merge_scalar_factors(self, e: Scale) -> Expr | None:
        """c a (1/a) X = c X and a a X = a^2 X: powers of equal scalar factors add up."""
        if self._bases(e) is not None:
            return None  # no base twice: nothing to merge
        factors: list[tuple[Expr, Fraction]] = []
        core: Expr | None = None
        pending = [e]
        while pending:
            x = pending.pop(0)
            if isinstance(x, Scale):
                pending[0:0] = [x.left, x.right]
            elif not self.is_scalar(x):
                if core is not None:
                    return None
                core = x
            else:
                factors.extend(_powers(x))
        exponents: dict[Expr, Fraction] = {}
        for base, k in factors:
            exponents[base] = exponents.get(base, Fraction(0)) + k
        if len(exponents) == len(factors):
            return None  # nothing to merge
        number = Fraction(1)
        up: list[Expr] = []
        down: list[Expr] = []
        if any(isinstance(b, Number) and b.value == 0 and k < 0 for b, k in exponents.items()):
            return None  # 0^-1 stays as written
        for base, k in exponents.items():
            if isinstance(base, Number):
                number *= base.value ** int(k) if k.denominator == 1 else 1
            elif k > 0:
                up.append(base if k == 1 else build.power(base, Number(k)))
            elif k < 0:
                down.append(base if k == -1 else build.power(base, Number(-k)))
        result = core if core is not None else build.ONE
        for f in reversed(up):
            result = build.scale(f, result)
        for f in down:
            result = build.div(result, f)
        return build.scale(Number(number), result)

    def _MatMul(self, e: MatMul) -> Expr:
        terms = list(e.terms)
        for i in range(len(terms) - 1):  # 1^T y = 1 for a one-hot or probability vector y
            a, b = terms[i], terms[i + 1]
            if isinstance(a, Transpose) and isinstance(a.arg, Ones) and isinstance(b, Symbol) \
                    and b.name in self.sums_to_one:
                return build.matmul(*terms[:i], *terms[i + 2:]) if len(terms) > 2 else build.ONE
            if isinstance(a, Transpose) and isinstance(a.arg, Ones) and isinstance(b, Ones) \
                    and a.arg.dim == b.dim and a.arg.dim is not None:  # 1ᵀ 1 = n
                n = build.number(b.dim) if isinstance(b.dim, int) else Size(b.dim)
                rest = terms[:i] + terms[i + 2:]
                return build.scale(n, build.matmul(*rest)) if rest else n
        for i, t in enumerate(terms):
            if isinstance(t, Scale):
                return build.scale(t.left, build.matmul(*terms[:i], t.right, *terms[i + 1:]))
            if isinstance(t, Neg):
                return build.neg(build.matmul(*terms[:i], t.arg, *terms[i + 1:]))
            if isinstance(t, Div):
                return build.div(build.matmul(*terms[:i], t.left, *terms[i + 1:]), t.right)
        for i in range(len(terms) - 1):
            a, b = terms[i], terms[i + 1]
            if isinstance(b, Transpose) and isinstance(b.arg, Kron):  # (C ⊗ D)ᵀ = Cᵀ ⊗ Dᵀ
                b = Kron(build.transpose(b.arg.left), build.transpose(b.arg.right))
            if isinstance(a, Transpose) and isinstance(a.arg, Kron):
                a = Kron(build.transpose(a.arg.left), build.transpose(a.arg.right))
            if isinstance(a, Kron) and isinstance(b, Kron) and \
                    self.shape(build.transpose(a.left))[:1] == self.shape(b.left)[:1] and \
                    _cols(self.shape(a.left)) == _rows(self.shape(b.left)) and \
                    _cols(self.shape(a.right)) == _rows(self.shape(b.right)):  # (A ⊗ B)(C ⊗ D) = A C ⊗ B D
                return build.matmul(*terms[:i], Kron(build.matmul(a.left, b.left), build.matmul(a.right, b.right)),
                                    *terms[i + 2:])
        for i in range(len(terms) - 1):
            merged = _merged_powers(terms[i], terms[i + 1])
            if merged is not None:  # X X^2 = X^3, (X^2)^T X^T = (X^3)^T
                return build.matmul(*terms[:i], merged, *terms[i + 2:])
        for i in range(len(terms) - 1):
            a, b = terms[i], terms[i + 1]
            if _inverse_pair(a, b):  # X^{-1} X = I, X^T X^{-T} = I
                return build.matmul(*terms[:i], *terms[i + 2:]) if len(terms) > 2 else \
                    build.identity(self.shape(a)[0])
            if isinstance(a, Diag) and len(self.shape(b)) == 1:  # diag(a) b = a ⊙ b
                return build.matmul(*terms[:i], build.hadamard(a.arg, b), *terms[i + 2:])
        first = terms[0]
        if isinstance(terms[1], Diag) and isinstance(first, Transpose) and len(self.shape(first.arg)) == 1:
            row = build.transpose(build.hadamard(first.arg, terms[1].arg))  # bᵀ diag(a) = (b ⊙ a)ᵀ
            return build.matmul(row, *terms[2:]) if len(terms) > 2 else row
        return e

    def _cancel(self, e: Expr) -> Expr | None:
        """An elementwise rational expression with a quotient, cancelled by SymPy where that is shorter."""
        if not _has_quotient(e, self.quotients):
            return None
        expr, atoms, scalar_atoms = to_sympy(e, self.is_scalar)
        cancelled = sympy.cancel(expr)
        if sympy.count_ops(cancelled) >= sympy.count_ops(expr):
            return None
        tree = symbolic.to_tree(cancelled, atoms, scalar_atoms)
        return tree if self.shape(tree) == self.shape(e) else None

    def _Hadamard(self, e: Hadamard) -> Expr:
        cancelled = self._cancel(e)
        if cancelled is not None:
            return cancelled
        merged = _merge_elementwise_factors(e)
        if merged is not None:
            return merged
        terms = list(e.terms)
        softmax = _row_softmax(terms, self.shape)
        if softmax is not None:
            return softmax
        for i, t in enumerate(terms):
            if isinstance(t, Scale):
                return build.scale(t.left, build.hadamard(*terms[:i], t.right, *terms[i + 1:]))
            if isinstance(t, Neg):
                return build.neg(build.hadamard(*terms[:i], t.arg, *terms[i + 1:]))
            if isinstance(t, Number) and len(terms) > 1 and t.value != 1:  # 2 ⊙ a = 2 a
                return build.scale(t, build.hadamard(*terms[:i], *terms[i + 1:]))
            if isinstance(t, Div):  # (a / c) ⊙ b = (a ⊙ b) / c
                return build.div(build.hadamard(*terms[:i], t.left, *terms[i + 1:]), t.right)
            if isinstance(t, Number) and t.value == 1 or _all_ones(t):
                rest = terms[:i] + terms[i + 1:]
                if rest:
                    return build.hadamard(*rest)
        return e

    def _Add(self, e: Add) -> Expr:
        # like terms: c1 X + c2 X = (c1 + c2) X
        order: list = []
        cores: dict = {}
        coefficients: dict = {}
        for t in e.terms:
            c, core = _split_coefficient(t)
            key = _like_key(core)
            if key not in coefficients:
                order.append(key)
                cores[key] = core
                coefficients[key] = Fraction(0)
            coefficients[key] += c
        if len(order) < len(e.terms):
            collected = build.add(*[_with_coefficient(coefficients[k], cores[k]) for k in order
                                    if coefficients[k] != 0])
            shape = self.shape(e)
            if shape and not build.is_zero(collected) and self.is_scalar(collected):
                # (α + X) - X is α on every entry: the broadcast keeps the sum's shape
                return build.scale(collected, _ones(shape))
            return collected
        terms = list(e.terms)
        diagonal = [t for t in terms if isinstance(t, Diag) or isinstance(t, Neg) and isinstance(t.arg, Diag)]
        if len(diagonal) >= 2:  # diag(a) + diag(b) = diag(a + b)
            inside = [t.arg if isinstance(t, Diag) else build.neg(t.arg.arg) for t in diagonal]
            rest = [t for t in terms if t not in diagonal]
            return build.add(build.diag(build.add(*inside)), *rest)
        # a positive term first: softmax(s) - y, not -y + softmax(s)
        if _is_negative(terms[0]):
            for i, t in enumerate(terms):
                if not _is_negative(t):
                    return build.add(t, *terms[:i], *terms[i + 1:])
        # a transposed twin after its original: A + A^T, not A^T + A
        for i, t in enumerate(terms):
            core = _split_coefficient(t)[1]
            if isinstance(core, Transpose):
                for j in range(i + 1, len(terms)):
                    if _split_coefficient(terms[j])[1] == core.arg:
                        terms[i], terms[j] = terms[j], terms[i]
                        return build.add(*terms)
        # a common right factor: A x + B x = (A + B) x
        factored = self._common_factor(terms)
        if factored is not None:
            return factored
        return e

    def _common_factor(self, terms: list[Expr]) -> Expr | None:
        whole = self._common_factor_all(terms)
        if whole is not None or len(terms) < 3:
            return whole
        # two or more of the terms share a right factor: factor those
        for i in range(len(terms)):
            for j in range(i + 1, len(terms)):
                pair = self._common_factor_all([terms[i], terms[j]])
                if pair is not None:
                    rest = [t for k, t in enumerate(terms) if k not in (i, j)]
                    return build.add(*terms[:i], pair, *[t for t in rest if terms.index(t) > i])
        return None

    def _common_factor_all(self, terms: list[Expr]) -> Expr | None:
        if len({self.shape(t) for t in terms}) != 1:
            return None  # a scalar broadcast into a sum is not a term to factor with the others
        scaled = [_as_scaled(t) for t in terms]
        if all(sc is not None for sc in scaled) and len({c for c, _ in scaled}) == 1:
            return build.scale(scaled[0][0], build.add(*[r for _, r in scaled]))  # c A + c B = c (A + B)
        if all(sc is not None and isinstance(sc[0], Number) for sc in scaled) \
                and len({abs(c.value) for c, _ in scaled}) == 1 and len({c for c, _ in scaled}) == 2:
            c = abs(scaled[0][0].value)  # c A - c B = c (A - B)
            return build.scale(Number(c), build.add(*[r if k.value > 0 else build.neg(r) for k, r in scaled]))
        denominators = {t.right if isinstance(t, Div) else None for t in terms}
        if len(denominators) == 1 and None not in denominators:  # A / c + B / c = (A + B) / c
            return build.div(build.add(*[t.left for t in terms]), terms[0].right)
        splits = []
        for t in terms:
            sign, core = 1, t
            if isinstance(core, Neg):
                sign, core = -1, core.arg
            coef = None
            if isinstance(core, Scale):
                coef, core = core.left, core.right
            if not isinstance(core, MatMul):
                return None
            splits.append((sign, coef, core))
        lasts = {s[2].terms[-1] for s in splits}
        if len(lasts) == 1:
            factor = splits[0][2].terms[-1]
            rest = [_signed(s, c, build.matmul(*m.terms[:-1])) for s, c, m in splits]
            return build.matmul(build.add(*rest), factor)
        firsts = {s[2].terms[0] for s in splits}
        if len(firsts) == 1:
            factor = splits[0][2].terms[0]
            rest = [_signed(s, c, build.matmul(*m.terms[1:])) for s, c, m in splits]
            return build.matmul(factor, build.add(*rest))
        return None

    def _Div(self, e: Div) -> Expr:
        a, c = e.left, e.right
        if isinstance(a, Number) and a.value == 1 and isinstance(_exp_of_one_plus(c), Neg):
            return Func("sigmoid", _exp_of_one_plus(c).arg)
        if isinstance(c, Number) and c.value != 0:
            return build.scale(Number(1 / c.value), a)
        if a == c:
            return build.ONE
        if isinstance(a, Neg):
            return build.neg(build.div(a.arg, c))
        if isinstance(a, Scale) and a.left == c:
            return a.right
        if isinstance(a, Scale) and isinstance(a.left, Number):
            return build.scale(a.left, build.div(a.right, c))
        if isinstance(a, Func) and a.name == "exp" and a.order == 0 and c == Sum(a) and len(self.shape(a)) == 1:
            return Softmax(a.arg)  # exp(x) / sum(exp(x)), x a vector
        if isinstance(a, Div):  # (x / p) / q = x / (p q)
            return build.div(a.left, build.scale(a.right, c))
        return e

    def _ElemDiv(self, e: ElemDiv) -> Expr:
        a, b = e.left, e.right
        if isinstance(a, Number) and a.value == 1 and _exp_of_one_plus(b) is not None:  # 1 / (1 + e^-t)
            t = _exp_of_one_plus(b)
            if isinstance(t, Neg):
                return Func("sigmoid", t.arg)
        if isinstance(b, Number) and b.value != 0:
            return build.scale(Number(1 / b.value), a)
        if isinstance(a, Neg):
            return build.neg(build.elemdiv(a.arg, b))
        if isinstance(a, Scale):
            return build.scale(a.left, build.elemdiv(a.right, b))
        return e

    def _Power(self, e: Power) -> Expr:
        c, p = e.left, e.right
        if isinstance(p, Number):
            if p.value == 1:
                return c
            if p.value == 0:
                return build.ONE
            if isinstance(c, Number) and p.value.denominator == 1 and abs(p.value) < 64 and \
                    (c.value != 0 or p.value > 0):
                return Number(c.value ** int(p.value))
            if isinstance(c, Power) and isinstance(c.right, Number):
                return build.power(c.left, Number(c.right.value * p.value))
        return e

    def _ElemPower(self, e: ElemPower) -> Expr:
        if isinstance(e.right, Number) and e.right.value == 1:
            return e.left
        return e

    def _Func(self, e: Func) -> Expr:
        a = e.arg
        if isinstance(a, Number) and e.name in FUNCTIONS:  # step(0) = 1/2, exp(0) = 1, log(1) = 0
            value = symbolic.value_at(e.name, e.order, a.value)
            if value is not None:
                return Number(value)
        if e.order == 0 and e.name == "log" and isinstance(a, Func) and a.name == "exp" and a.order == 0:
            return a.arg
        if e.order == 0 and e.name == "log" and _exp_of_one_plus(a) is not None:  # log(1 + e^t)
            return Func("softplus", _exp_of_one_plus(a))
        if e.order == 0 and e.name == "log" and isinstance(a, Softmax):  # log(softmax(x))
            return LogSoftmax(a.arg)
        return e

    def _Sum(self, e: Sum) -> Expr:
        a = e.arg
        if isinstance(a, Identity):  # the entries of I add up to its trace
            return build.trace(a)
        if isinstance(a, Symbol) and a.name in self.sums_to_one:  # a one-hot or probability vector
            return build.ONE
        if isinstance(a, Scale):
            return build.scale(a.left, build.total(a.right))
        if isinstance(a, Neg):
            return build.neg(build.total(a.arg))
        if self.is_scalar(a):
            return a
        return e

    def _Trace(self, e: Trace) -> Expr:
        a = e.arg
        if isinstance(a, Identity) and isinstance(a.dim, int):  # tr(I_3) = 3
            return Number(Fraction(a.dim))
        if isinstance(a, Scale):
            return build.scale(a.left, build.trace(a.right))
        if isinstance(a, Neg):
            return build.neg(build.trace(a.arg))
        if isinstance(a, Add) and not any(self.is_scalar(t) or isinstance(t, Identity) for t in a.terms):
            # (and not tr(C + I) = tr(C) + tr(I): the size of a lone I would not be in the text)
            return build.add(*[build.trace(t) for t in a.terms])  # (not tr(β + B): β is added to every entry)
        return e

    def _DiagPart(self, e: DiagPart) -> Expr:
        if isinstance(e.arg, Diag):
            return e.arg.arg
        return e


def _has_quotient(e: Expr, memo: dict) -> bool:
    """Whether the elementwise-arithmetic region at the top of e divides by something not a number."""

    def fn(x, kids):
        if isinstance(x, (ElemDiv, Div)) and not isinstance(x.right, Number):
            return True
        return isinstance(x, ELEMENTWISE_ARITHMETIC) and any(kids)

    return fold(e, fn, memo)


def _elementwise_powers(x: Expr) -> list[tuple[Expr, Fraction]]:
    """An elementwise factor as (base, exponent) pairs: 1 ./ a is (a, -1), a.^2 is (a, 2)."""
    if isinstance(x, ElemPower) and isinstance(x.right, Number):
        return [(x.left, x.right.value)]
    if isinstance(x, ElemDiv):
        return _elementwise_powers(x.left) + [(b, -k) for b, k in _elementwise_powers(x.right)]
    if isinstance(x, Number) and x.value == 1:
        return []
    return [(x, Fraction(1))]


def _merge_elementwise_factors(e: Hadamard) -> Expr | None:
    """(1 ./ a) ⊙ a ⊙ b = b and a ⊙ a = a.^2."""
    factors = [p for t in e.terms for p in _elementwise_powers(t)]
    exponents: dict[Expr, Fraction] = {}
    for base, k in factors:
        exponents[base] = exponents.get(base, Fraction(0)) + k
    if len(exponents) == len(factors) or not any(k > 0 for k in exponents.values()):
        return None
    up = [b if k == 1 else build.elempower(b, Number(k)) for b, k in exponents.items() if k > 0]
    down = [b if k == -1 else build.elempower(b, Number(-k)) for b, k in exponents.items() if k < 0]
    result = build.hadamard(*up)
    for d in down:
        result = build.elemdiv(result, d)
    return result


def _is_negative(t: Expr) -> bool:
    return isinstance(t, Neg) or (isinstance(t, Number) and t.value < 0) or \
        (isinstance(t, Scale) and isinstance(t.left, Number) and t.left.value < 0)


def _powers(x: Expr) -> list[tuple[Expr, Fraction]]:
    """A scalar factor as (base, exponent) pairs: 1/a is (a, -1), a^2 is (a, 2)."""
    if isinstance(x, Number):
        return [(x, Fraction(1))]
    if isinstance(x, Power) and isinstance(x.right, Number):
        return [(b, k * x.right.value) for b, k in _powers(x.left)] if isinstance(x.left, Power) \
            else [(x.left, x.right.value)]
    if isinstance(x, Div):
        return _powers(x.left) + [(b, -k) for b, k in _powers(x.right)]
    return [(x, Fraction(1))]


def _reciprocal_of(c: Expr) -> Expr | None:
    if isinstance(c, Div) and isinstance(c.left, Number) and c.left.value == 1:
        return c.right
    if isinstance(c, Power) and isinstance(c.right, Number) and c.right.value == -1:
        return c.left
    return None


def _transposed_twins(terms) -> bool:
    """A + A^T (each term's transpose is a term too)."""
    return all(build.transpose(t) in terms for t in terms)


def _all_ones(t: Expr) -> bool:
    """ones(n), ones(n)^T or ones(n) ones(m)^T: the identity of the Hadamard product."""
    if isinstance(t, Transpose):
        t = t.arg
    if isinstance(t, MatMul) and len(t.terms) == 2:
        return _all_ones(t.terms[0]) and _all_ones(t.terms[1])
    return isinstance(t, Ones)


def _inverse_pair(a: Expr, b: Expr) -> bool:
    """a b = I: X^{-1} X, X X^{-1}, X^T X^{-T}, X^{-T} X^T."""
    if isinstance(a, Transpose) and isinstance(b, Transpose):
        a, b = a.arg, b.arg
    return (isinstance(a, Inverse) and a.arg == b) or (isinstance(b, Inverse) and b.arg == a)


def _exp_of_one_plus(e: Expr) -> Expr | None:
    """t, where e is 1 + exp(t)."""
    if isinstance(e, Add) and len(e.terms) == 2:
        one, other = e.terms
        if isinstance(other, Number):
            one, other = other, one
        if isinstance(one, Number) and one.value == 1 and isinstance(other, Func) \
                and other.name == "exp" and other.order == 0:
            return other.arg
    return None


def _as_scaled(t: Expr) -> tuple[Expr, Expr] | None:
    """(c, A) for t = c A or t = -(c A) (as c (-A))."""
    sign = False
    if isinstance(t, Neg):
        sign, t = True, t.arg
    if isinstance(t, Scale):
        return t.left, (build.neg(t.right) if sign else t.right)
    return None


def _ones(shape: tuple) -> Expr:
    """The vector or matrix of ones of a shape."""
    dims = list(shape)
    if len(dims) == 1:
        return build.ones(dims[0])
    if dims[0] == 1:
        return build.transpose(build.ones(dims[1]))
    return build.matmul(build.ones(dims[0]), build.transpose(build.ones(dims[1])))


def _is_transposed(t: Expr) -> bool:
    while isinstance(t, (Neg, Scale)):
        t = t.arg if isinstance(t, Neg) else t.right
    return isinstance(t, Transpose)


def _like_key(core: Expr):
    """Terms alike up to the order of a Hadamard product's factors (a ⊙ w and w ⊙ a)."""
    if isinstance(core, Hadamard):
        return (Hadamard, frozenset(Counter(core.terms).items()))
    return core


def _split_coefficient(t: Expr) -> tuple[Fraction, Expr]:
    """t = c · core with c a number."""
    if isinstance(t, Number):
        return t.value, build.ONE
    if isinstance(t, Neg):
        c, core = _split_coefficient(t.arg)
        return -c, core
    if isinstance(t, Scale) and isinstance(t.left, Number):
        c, core = _split_coefficient(t.right)
        return t.left.value * c, core
    return Fraction(1), t


def _with_coefficient(c: Fraction, core: Expr) -> Expr:
    if core == build.ONE:
        return Number(c)
    if c == 1:
        return core
    if c == -1:
        return build.neg(core)
    return build.scale(Number(c), core)


def _signed(sign: int, coef: Expr | None, core: Expr) -> Expr:
    e = core if coef is None else build.scale(coef, core)
    return build.neg(e) if sign < 0 else e


def simplify(e: Expr, shape: Callable[[Expr], tuple]) -> Expr:
    """e in textbook form (see the module docstring)."""
    return Simplifier(shape)(e)
