"""Code generation: NumPy source for a program's value and its derivatives, in one function.

``generate(program, results)`` writes ``f_and_grad(<inputs>)``, which checks its inputs'
dims on entry and returns ``(value, d1, d2, …)``. The modules, by concern:

* :mod:`.names` — the names that may reach the source (:func:`safe_name`);
* :mod:`.source` — pieces of source that know their form (a name, a view, an expression),
  so no decision ever reads emitted text back;
* :mod:`.products` — products without diagonal or ones matrices, ``multi_dot`` chains;
* :mod:`.expressions` — one node's code from its row in the operation or function table;
* :mod:`.sigmoid` — σ and softplus of u and -u, all from one ``exp(-|u|)``;
* :mod:`.plan` — one DAG for all results, temporaries, liveness, writing in place;
* :mod:`.function` — parameters, input checks, the body, :func:`generate`, :func:`compile_source`;
* :mod:`.targets`, :mod:`.frameworks` — NumPy, and the same function in PyTorch and JAX.

Numerically stable forms (:mod:`matcalc.core.stable`): softmax and log-softmax with the max
subtracted, softplus (and ``log(1 + exp(t))``) and σ of ±u from one ``exp(-|u|)``
(:mod:`.sigmoid`), ``log(sum(exp(z)))`` and ``log(onesᵀ exp(Z))`` with the max subtracted,
``exp(z) / sum(exp(z))`` as a softmax.

Names: every name that reaches the source is a program symbol, dim or generic function
that passed :func:`safe_name`, or a name this package made. Nothing else the user typed is
written into the source; the only ``exec`` (in :func:`compile_source`) runs source generated here.
"""
from __future__ import annotations

from .function import TARGETS, Generated, compile_source, generate
from .names import FUNCTION_NAME, USED_BY_GENERATED, CodegenError, safe_name
from .plan import EXPENSIVE, MAX_INLINE_DEPTH

__all__ = ["EXPENSIVE", "FUNCTION_NAME", "MAX_INLINE_DEPTH", "TARGETS", "USED_BY_GENERATED", "CodegenError", "Generated",
           "compile_source", "generate", "safe_name"]
