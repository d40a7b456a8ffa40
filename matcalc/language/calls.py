"""Calls of the language's functions, typed by the shape rule of their row (tr, diag, softmax, …).

``name(args)`` is a product where name is a variable (``W(x + b)``), an operation of the table
where name is one of its calls, an elementwise function where it is one of theirs, and else a
generic function f (acting elementwise). Each ``call_<rule>`` types one kind of row.
"""
from __future__ import annotations


from ..core.nodes import (
    Call, Det, Diag, DiagPart, Func, Norm, Number, Ones, Sum, Symbol, Trace,
)
from ..core.errors import Span
from ..core.ops import CALLS, Op
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
        if op is not None:
            if node.order:
                self.misuse(f"{name}{chr(39) * node.order}: only elementwise functions have a derivative "
                            "written with a prime", node)
            if n != op.arity:
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
        """logsumexp(x) = log(sum(exp(x))), x a vector."""
        if len(shapes[0]) != 1:
            self.error(f"{self.text(node)}: logsumexp takes a vector, not {self.show(shapes[0])}", node)
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
        if len(s) != 1:
            self.error(f"{self.text(node)}: {op.name} takes a vector, but {self.text(node.call_args[0])} is "
                       f"{self.show(s)}", node, "apply it to one column at a time" if len(s) == 2 else None)
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


def _count(k: int) -> str:
    return {1: "one argument", 2: "two arguments"}.get(k, f"{k} arguments")


def _name_span(node: Call) -> Span | None:
    if node.span is None:
        return None
    s = node.span
    return Span(s.start, s.start + len(node.name), s.line, s.column)
