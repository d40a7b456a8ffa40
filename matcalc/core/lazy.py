"""Modules imported on first use: the operation table names numpy and SymPy facets without
importing either, so ``import matcalc`` and a derivation that needs no numbers stay light."""
from __future__ import annotations

import importlib


class LazyModule:
    """A stand-in for a module that imports it at the first attribute read."""

    def __init__(self, name: str):
        self._name = name
        self._module = None

    def __getattr__(self, attr: str):
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name}>"


np = LazyModule("numpy")
sympy = LazyModule("sympy")
