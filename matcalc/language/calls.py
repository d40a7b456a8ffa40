"""Calls of the language's functions, typed by the shape rule of their row (tr, diag, softmax, …).

``name(args)`` is a product where name is a variable (``W(x + b)``), an operation of the table
where name is one of its calls, an elementwise function where it is one of theirs, and else a
generic function f (acting elementwise). Each ``call_<rule>`` types one kind of row.
"""
from __future__ import annotations


from ..core import build
from ..core import dims
from ..core.shapes import RULES as shape_rules
from ..core.shapes import normalize
from ..core.nodes import (
    Call, Expr, Det, Diag, DiagPart, Func, Kron, Norm, Number, Ones, Size, Sum, Symbol, Trace, Transpose, Unvec, Vec,
)
from ..core.errors import Span
from ..core.ops import CALLS, OVERLOADS, Op
from .kinds import FUNCTION_SPELLINGS, is_generic, known_function, suggest_function


class CallRules:
    """The typer's rules for calls (mixed into :class:`matcalc.language.typer.Typer`)."""

    def call(self, node: Call, exprs, shapes):
        name = node.name
        n = len(exprs)
        if name in self.variables or name in self.defs or name in self.declared:
            if n != 1 or node.order:
                self.misuse(f"{self.text(node)}: {name} is a variable here, not a function", node)
            sym = Symbol(name, _name_span(node))
            typed_sym, sym_shape = self.symbol(sym)
            return self.product(node, [(typed_sym, sym_shape, sym), (exprs[0], shapes[0], node.call_args[0])])
        op = CALLS.get(name)
        function = FUNCTION_SPELLINGS.get(name)
        if op is None and function is None and name not in self.declared_functions and not is_generic(name):
            known = known_function(name)  # ReLU, Tanh, log_softmax: the language's relu, tanh, logsoftmax
            if known is None:
                self.unknown_function(node, name)
            op, function = CALLS.get(known), FUNCTION_SPELLINGS.get(known)
            name = known
        if op is not None and n != op.arity:
            op = OVERLOADS.get((name, n), op)  # max(x) and max(a, b), sum(X) and sum(X, 2)
        if op is not None:
            if node.order:
                self.misuse(f"{name}{chr(39) * node.order}: only elementwise functions have a derivative "
                            "written with a prime", node)
            if op.arity is not None and n != op.arity:
                self.misuse(f"{self.text(node)}: {name} takes {_count(op.arity)}, not {n}", node)
            return getattr(self, "call_" + op.shape)(node, op, exprs, shapes)
        if n != 1:
            self.misuse(f"{self.text(node)}: {name} takes one argument, not {n}" if function else
                        f"{self.text(node)}: a generic function such as {name} takes one argument (it acts "
                        f"elementwise), not {n}", node)
        if function is None:
            self.functions.add(name)
        return Func(function.name if function else name, exprs[0], node.order, node.span), shapes[0]

    def unknown_function(self, node: Call, name: str):
        guess = suggest_function(name)
        hint = f'did you mean "{guess}"?' if guess else None
        declare = f'to use a function of your own, declare it ("{name} : function") or call it f, g, h, φ or ψ'
        self.misuse(f'unknown function "{name}"', node, f"{hint} ({declare})" if hint else declare)

    # calls, by the shape rule of the operation's row ------------------------
    def call_ones(self, node, op: Op, exprs, shapes):
        a = node.call_args[0]
        if isinstance(a, Symbol):
            return Ones(self.dim_of(a.name), node.span), (self.dim_of(a.name),)
        if isinstance(a, Number) and a.value.denominator == 1 and a.value > 0:
            return Ones(int(a.value), node.span), (int(a.value),)
        self.error("ones(n) takes a dimension: a name or a positive integer", node)

    def call_reduce(self, node, op: Op, exprs, shapes):
        return op.node(exprs[0], node.span), ()

    def call_lse(self, node, op: Op, exprs, shapes):
        """logsumexp(x) = log(sum(exp(x))), x a vector; of a matrix, row by row:
        logsumexp(S) = log(exp(S) 1), a column (the batch convention)."""
        s = shapes[0]
        if len(s) == 2:
            return Func("log", build.matmul(Func("exp", exprs[0]), Ones(s[1])), 0, node.span), \
                ((s[0],) if self.find(s[0]) != 1 else ())
        if len(s) != 1:
            self.error(f"{self.text(node)}: logsumexp takes a vector or a matrix, not {self.show(shapes[0])}", node)
        return Func("log", Sum(Func("exp", exprs[0])), 0, node.span), ()

    def call_norm(self, node, op: Op, exprs, shapes):
        if not shapes[0]:  # the norm of a scalar is its absolute value
            return Func("abs", exprs[0], 0, node.span), ()
        return Norm(exprs[0], node.span), ()

    def call_broadcast(self, node, op: Op, exprs, shapes):
        shape = self.elementwise(node, exprs, shapes, op.name)
        return op.node(exprs[0], exprs[1], node.span), shape

    def call_square(self, node, op: Op, exprs, shapes):
        return self.inverse(node, exprs[0], shapes[0])

    def call_vector(self, node, op: Op, exprs, shapes):
        s = shapes[0]
        if not s:  # of a matrix it acts on each row (the batch convention)
            self.error(f"{self.text(node)}: {op.name} takes a vector or a matrix (row by row), but "
                       f"{self.text(node.call_args[0])} is {self.show(s)}", node)
        return op.node(exprs[0], node.span), s

    def call_diag(self, node, op: Op, exprs, shapes):
        """diag(x) of a vector is a diagonal matrix; diag(X) of a square matrix its diagonal."""
        s = shapes[0]
        if len(s) == 1:
            return Diag(exprs[0], node.span), (s[0], s[0])
        if len(s) == 2:
            if not self.unify(s[0], s[1]):
                self.error(f"{self.text(node)}: {self.text(node.call_args[0])} is {self.show(s)}, not square", node)
            return DiagPart(exprs[0], node.span), (s[0],)
        self.error(f"{self.text(node)}: diag takes a vector or a square matrix, not a scalar", node)

    def call_square_to_scalar(self, node, op: Op, exprs, shapes):
        s, src = shapes[0], self.text(node.call_args[0])
        if len(s) != 2:
            if not s and op.node in (Trace, Det):  # tr(c) = det(c) = c
                return exprs[0], ()
            self.error(f"{self.text(node)}: {op.name} takes a square matrix, but {src} is {self.show(s)}", node)
        if not self.unify(s[0], s[1]):
            self.error(f"{self.text(node)}: {src} is {self.show(s)}, not square", node)
        return op.node(exprs[0], node.span), ()


    # batches and reductions (issue 12) -------------------------------------
    def call_same(self, node, op: Op, exprs, shapes):
        return op.node(exprs[0], node.span), shapes[0]

    def entries(self, shape) -> Expr:
        """The number of entries of a value of this shape, as a scalar expression (n, n m, 3)."""
        count = build.ONE
        for d in shape:
            count = build.scale(count, size_of(self.find(d)))
        return count

    def call_mean(self, node, op: Op, exprs, shapes):
        """mean(x) = sum(x) / n: the mean of all entries (n m of them for a matrix)."""
        if not shapes[0]:
            return exprs[0], ()
        return build.div(Sum(exprs[0]), self.entries(shapes[0])), ()

    def call_var(self, node, op: Op, exprs, shapes):
        """var(x) = sum((x - mean(x)) .^ 2) / n: the population variance of all entries."""
        if not shapes[0]:
            self.error(f"{self.text(node)}: var takes a vector or a matrix, not a scalar", node)
        count = self.entries(shapes[0])
        centered = build.sub(exprs[0], build.div(Sum(exprs[0]), count))
        return build.div(Sum(build.elempower(centered, build.number(2))), count), ()

    def along(self, node, exprs, shapes, axis: int):
        """Sums along an axis, as products with ones: 1ᵀ X (axis 1, the column sums, a row) or
        X 1 (axis 2, the row sums, a column)."""
        s, src = shapes[0], self.text(node.call_args[0])
        if len(s) != 2:
            self.error(f"{self.text(node)}: sums along an axis take a matrix, but {src} is {self.show(s)}", node,
                       "sum(x) adds up every entry")
        if axis == 1:
            return build.matmul(Transpose(Ones(s[0])), exprs[0]), (1, s[1])
        return build.matmul(exprs[0], Ones(s[1])), (s[0],)

    def call_rowsum(self, node, op: Op, exprs, shapes):
        return self.along(node, exprs, shapes, 2)

    def call_colsum(self, node, op: Op, exprs, shapes):
        return self.along(node, exprs, shapes, 1)

    def call_vec(self, node, op: Op, exprs, shapes):
        """vec(X): the columns of X stacked, a vector of n m entries (X's dims must be known)."""
        s = shapes[0]
        if len(s) < 2:
            return (exprs[0], s) if len(s) == 1 else (exprs[0], ())
        r, c = (self.find(d) for d in s)
        if not all(isinstance(d, (int, str, dims.Poly)) for d in (r, c)):  # dims not known (yet): a length
            return Vec(exprs[0], node.span), (self.var(),)                 # of its own (declare them to relate)
        return Vec(exprs[0], node.span), (dims.times(r, c),)

    def call_unvec(self, node, op: Op, exprs, shapes):
        """unvec(v, n, m): the n x m matrix whose stacked columns are v (v has n m entries)."""
        rows, cols = (dim_of_expr(a) for a in node.call_args[1:])
        if rows is None or cols is None:
            self.error(f"{self.text(node)}: unvec(v, n, m) takes the dims of the matrix", node)
        rows, cols = self.dim_of(rows), self.dim_of(cols)
        s = shapes[0]
        if len(s) != 1 or not self.unify(s[0], dims.times(rows, cols)):
            self.error(f"{self.text(node)}: {self.text(node.call_args[0])} is {self.show(s)}, not a vector of "
                       f"{dims.times(rows, cols)} entries", node)
        return Unvec(exprs[0], rows, cols, node.span), normalize((rows, cols))

    def call_kron(self, node, op: Op, exprs, shapes):
        """kron(A, B) = A ⊗ B: (p r) x (q s) for A p x q and B r x s (their dims known; a vector is a column)."""
        found = [tuple(self.find(d) for d in s) for s in shapes]  # (a dim unified since is its value)
        if all(isinstance(d, (int, str, dims.Poly)) for s in found for d in s):
            return Kron(exprs[0], exprs[1], node.span), shape_rules["kron"](None, found, {})
        return Kron(exprs[0], exprs[1], node.span), (self.var(), self.var())

    def call_kronleft(self, node, op: Op, exprs, shapes):
        return self.kron_part(node, op, exprs, shapes, 1)

    def call_kronright(self, node, op: Op, exprs, shapes):
        return self.kron_part(node, op, exprs, shapes, 0)

    def kron_part(self, node, op: Op, exprs, shapes, of: int):
        """kronleft(G, B), kronright(A, G): G's dims divided by the other's."""
        try:
            shape = shape_rules[op.shape](None, [tuple(self.find(d) for d in s) for s in shapes], {})
        except TypeError:  # dims not known yet
            shape = (self.var(), self.var())
        if any(d is None for d in shape):
            self.error(f"{self.text(node)}: the dims of the blocks do not divide those of "
                       f"{self.text(node.call_args[1 - of])}", node)
        return op.node(exprs[0], exprs[1], node.span), shape

    def concatenate(self, node, op: Op, exprs, shapes, axis: int):
        """[a; b] (axis 0) stacks the parts vertically, [A, B] (axis 1) side by side: the other dim agrees."""
        other = 1 - axis
        parts = [list(s) if len(s) == 2 else ([s[0], 1] if s else [1, 1]) for s in shapes]
        for s, src in zip(parts[1:], node.call_args[1:]):
            if not self.unify(parts[0][other], s[other]):
                what = "columns" if axis == 0 else "rows"
                self.error(f"{self.text(node)}: the parts of a {'vertical' if axis == 0 else 'horizontal'} "
                           f"concatenation need the same {what}, but {self.text(node.call_args[0])} has "
                           f"{self.show_dim(parts[0][other])} and {self.text(src)} has {self.show_dim(s[other])}",
                           node, "[a; b] stacks vertically, [A, B] side by side")
        total = 0
        for s in parts:
            d = self.find(s[axis])
            if not isinstance(d, (int, str, dims.Poly)):  # a dim not known yet: a size of its own
                total = self.var()
                break
            total = dims.plus(total, d)
        out = [self.find(parts[0][0]), self.find(parts[0][1])]
        out[axis] = total
        return op.node(tuple(exprs), node.span), normalize(tuple(out))

    def call_vcat(self, node, op: Op, exprs, shapes):
        return self.concatenate(node, op, exprs, shapes, 0)

    def call_hcat(self, node, op: Op, exprs, shapes):
        return self.concatenate(node, op, exprs, shapes, 1)

    def block(self, node, op: Op, exprs, shapes, axis: int, pad: bool):
        """rows(X, i, j) / cols(X, i, j): rows or columns i..j (1-based); padrows(X, i, N) / padcols(X, i, N):
        X placed from row (column) i in N rows (columns) of zeros."""
        a, b = (dim_of_expr(x) for x in node.call_args[1:])
        if a is None or b is None:
            self.error(f"{self.text(node)}: {op.name} takes a matrix and two sizes (names, numbers, sums)", node)
        if dims.is_fixed(a) and a < 1 or dims.is_fixed(b) and b < 1:
            self.error(f"{self.text(node)}: rows and columns are counted from 1", node)
        start = dims.plus(a, -1)
        s = list(shapes[0]) if len(shapes[0]) == 2 else ([shapes[0][0], 1] if shapes[0] else [1, 1])
        if pad:
            size = self.find(s[axis])
            if _beyond(dims.plus(start, size) if _known(size) else None, b):
                self.error(f"{self.text(node)}: {self.show_dim(size)} rows or columns from {self.show_dim(a)} "
                           f"do not fit in {self.show_dim(b)}", node)
            out = list(s)
            out[axis] = b
            return op.node(exprs[0], start, b, node.span), normalize(tuple(out))
        count = dims.plus(dims.plus(b, dims.times(a, -1)), 1)
        if dims.is_fixed(count) and count < 1:
            self.error(f"{self.text(node)}: the last row or column comes before the first", node)
        known = self.find(s[axis])
        if _beyond(b, known if _known(known) else None):  # rows(x, 1, n + 1) of an n-vector, as rows(x, 1, 4) of 3
            self.error(f"{self.text(node)}: {self.text(node.call_args[0])} has only {known}", node)
        out = list(s)
        out[axis] = count
        return op.node(exprs[0], start, count, node.span), normalize(tuple(out))

    def call_rows(self, node, op: Op, exprs, shapes):
        return self.block(node, op, exprs, shapes, 0, False)

    def call_cols(self, node, op: Op, exprs, shapes):
        return self.block(node, op, exprs, shapes, 1, False)

    def call_padrows(self, node, op: Op, exprs, shapes):
        return self.block(node, op, exprs, shapes, 0, True)

    def call_padcols(self, node, op: Op, exprs, shapes):
        return self.block(node, op, exprs, shapes, 1, True)

    def call_sum_along(self, node, op: Op, exprs, shapes):
        """sum(X, 1): the sum of each column, 1ᵀ X (a row); sum(X, 2): of each row, X 1 (a column)."""
        axis = node.call_args[1]
        if not (isinstance(axis, Number) and axis.value in (1, 2)):
            self.error(f"{self.text(node)}: the axis of a sum is 1 (down the columns) or 2 (along the rows)",
                       node)
        return self.along(node, exprs, shapes, int(axis.value))


def _known(d) -> bool:
    from ..core import dims
    return isinstance(d, (int, str, dims.Poly))


def _beyond(end, limit) -> bool:
    """end > limit for certain: their difference is a positive number (n + 1 beyond n; m beyond n is not known)."""
    from ..core import dims
    if end is None or limit is None:
        return False
    over = dims.plus(end, dims.times(limit, -1))
    return dims.is_fixed(over) and over > 0


def dim_of_expr(e):
    """The dim an argument writes: a name, a positive integer, or a product or sum of them."""
    from ..core import dims
    if isinstance(e, Symbol):
        return e.name
    if isinstance(e, Number) and e.value.denominator == 1 and e.value > 0:
        return int(e.value)
    kids = [dim_of_expr(a) for a in e.args] if type(e).__name__ in ("MatMul", "Add", "Paren") else []
    if kids and all(k is not None for k in kids):
        if type(e).__name__ == "Paren":
            return kids[0]
        out = kids[0]
        for k in kids[1:]:
            out = dims.times(out, k) if type(e).__name__ == "MatMul" else dims.plus(out, k)
        return out
    return None


def size_of(d):
    """A dim as a number: an integer dim is a number, a named one its size."""
    if isinstance(d, int):
        return build.number(d)
    return Size(d)


def _count(k: int) -> str:
    return {1: "one argument", 2: "two arguments"}.get(k, f"{k} arguments")


def _name_span(node: Call) -> Span | None:
    if node.span is None:
        return None
    s = node.span
    return Span(s.start, s.start + len(node.name), s.line, s.column)
