"""Inputs as people paste them: LaTeX from CS229, CS231n and papers, Unicode as typed, typos and
names whose kind the convention gets wrong.

Each row says what the input *means*, written from the math: the shape of every input and a
numpy forward function. matcalc must give that derivative (checked by central differences along
random directions) or a MatcalcError that names what to declare — never an answer to another
reading (the kinds it inferred are checked against the intended ones first).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Callable

import numpy as np
import pytest

import matcalc
from matcalc import MatcalcError
from matcalc.calculus.numeric import apply_derivative
from matcalc.language.typecheck import read

N, M, K = 3, 4, 2  # distinct sizes, so a missing transpose shows


def sig(z):
    return 1 / (1 + np.exp(-z))


def relu(z):
    return np.maximum(z, 0)


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum()


def logdet(a):
    return np.linalg.slogdet(a)[1]


TANH = {"f": np.tanh, "f'": lambda z: 1 - np.tanh(z) ** 2}


@dataclass
class Pasted:
    source: str
    wrt: str
    shapes: dict[str, tuple] = field(default_factory=dict)  # the intended meaning: shapes as sizes
    forward: Callable | None = None                          # the intended function, in numpy
    error: str | None = None                                 # or: the error must name this
    command: str = "grad"                                    # grad, or derive for a Jacobian
    domain: dict[str, str] = field(default_factory=dict)     # positive, spd
    functions: dict = field(default_factory=dict)            # callables for generic functions
    values: dict = field(default_factory=dict)               # fixed values (kept off kinks)


def ls(v):  # least squares, CS229
    return 0.5 * np.sum((v["X"] @ v["θ"] - v["y"]) ** 2)


def logistic(v):  # CS229 logistic loss
    p = sig(v["X"] @ v["θ"])
    return -(v["y"] @ np.log(p) + (1 - v["y"]) @ np.log(1 - p))


XTY = {"X": (N, M), "θ": (M,), "y": (N,)}
LOGISTIC = {"X": (N, M), "θ": (M,), "y": (N,)}
LAYER = {"u": (N,), "W": (N, M), "x": (M,), "b": (N,)}
NET = {"u": (N,), "W": (N, M), "x": (M,)}
QUAD = {"x": (N,), "A": (N, N)}

CASES = [
    # ---------------------------------------------------------------- CS229 in LaTeX and Unicode
    Pasted(r"\frac{1}{2}\|X\theta - y\|_2^2", "θ", XTY, ls),
    Pasted(r"\frac{1}{2}\|X\theta - y\|_2^2 + \frac{\lambda}{2}\|\theta\|_2^2", "θ", {**XTY, "λ": ()},
           lambda v: ls(v) + v["λ"] / 2 * np.sum(v["θ"] ** 2)),
    Pasted("(1/2) ‖X θ - y‖^2", "θ", XTY, ls),
    Pasted("1/2 ‖X θ - y‖²", "θ", XTY, ls),
    Pasted("½ ‖X θ - y‖²", "θ", XTY, ls),
    Pasted(r"\frac12 \left\| X \theta - y \right\|^2", "θ", XTY, ls),
    Pasted(r"\tfrac{1}{2} \lVert X\theta - y \rVert_2^2", "θ", XTY, ls),
    Pasted("λ ‖w‖^2", "w", {"λ": (), "w": (N,)}, lambda v: v["λ"] * np.sum(v["w"] ** 2)),
    Pasted("λ/2 ‖w‖^2", "w", {"λ": (), "w": (N,)}, lambda v: v["λ"] / 2 * np.sum(v["w"] ** 2)),
    Pasted("2 |x|", "x", {"x": (N,)}, lambda v: 2 * np.linalg.norm(v["x"])),
    Pasted(r"\lambda \|w\|_2^2 + \frac{1}{2}\|X w - y\|_2^2", "w", {"λ": (), "w": (M,), "X": (N, M), "y": (N,)},
           lambda v: v["λ"] * np.sum(v["w"] ** 2) + 0.5 * np.sum((v["X"] @ v["w"] - v["y"]) ** 2)),
    Pasted("-(y^T log(σ(X θ)) + (1 - y)^T log(1 - σ(X θ)))", "θ", LOGISTIC, logistic),
    Pasted(r"-\left(y^\top \log \sigma(X\theta) + (1 - y)^\top \log(1 - \sigma(X\theta))\right)", "θ",
           LOGISTIC, logistic),
    Pasted(r"-\left(\mathbf{y}^\top \log\sigma(\mathbf{X}\boldsymbol{\theta}) + (\mathbf{1}^\top - \mathbf{y}^\top)"
           r" \log(1 - \sigma(\mathbf{X}\boldsymbol{\theta}))\right)", "θ", LOGISTIC, logistic),
    Pasted("-N/2 logdet(Σ) - 1/2 tr(Σ^{-1} S)", "Σ", {"N": (), "Σ": (N, N), "S": (N, N)},
           lambda v: -v["N"] / 2 * logdet(v["Σ"]) - 0.5 * np.trace(np.linalg.inv(v["Σ"]) @ v["S"]),
           domain={"Σ": "spd", "S": "spd"}),
    Pasted(r"-\frac{N}{2}\log\det\Sigma - \frac{1}{2}\operatorname{tr}(\Sigma^{-1} S)", "Σ",
           {"N": (), "Σ": (N, N), "S": (N, N)},
           lambda v: -v["N"] / 2 * logdet(v["Σ"]) - 0.5 * np.trace(np.linalg.inv(v["Σ"]) @ v["S"]),
           domain={"Σ": "spd", "S": "spd"}),
    Pasted("-1/2 (x - μ)^T Σ^{-1} (x - μ)", "μ", error='"μ : n"'),
    Pasted("Σ : n x n spd\nμ : n\n-1/2 (x - μ)^T Σ^{-1} (x - μ) - 1/2 logdet(Σ)", "μ",
           {"Σ": (N, N), "μ": (N,), "x": (N,)},
           lambda v: -0.5 * (v["x"] - v["μ"]) @ np.linalg.solve(v["Σ"], v["x"] - v["μ"]) - 0.5 * logdet(v["Σ"]),
           domain={"Σ": "spd"}),
    Pasted("μ ∈ ℝⁿ\n-1/2 (x - μ)^T (x - μ)", "μ", {"μ": (N,), "x": (N,)},
           lambda v: -0.5 * np.sum((v["x"] - v["μ"]) ** 2)),
    Pasted(r"\mu \in \mathbb{R}^{n}" "\n" r"\|x - \mu\|^2", "μ", {"μ": (N,), "x": (N,)},
           lambda v: np.sum((v["x"] - v["μ"]) ** 2)),
    Pasted("θ ∈ ℝ^m\n‖X θ - y‖²", "θ", XTY, lambda v: 2 * ls(v)),
    Pasted(r"\theta \in \mathbb{R}^{m}, X \in \mathbb{R}^{n \times m}" "\n" r"\|X\theta - y\|^2", "θ",
           XTY, lambda v: 2 * ls(v)),
    # 2m: m can only be a scalar here (the one way the program types), the number of examples
    Pasted(r"\frac{1}{2m}\|X\theta - y\|^2", "θ", {**XTY, "m": ()},
           lambda v: 1 / (2 * v["m"]) * np.sum((v["X"] @ v["θ"] - v["y"]) ** 2), domain={"m": "positive"}),
    Pasted("m : scalar\n" r"\frac{1}{2m}\|X\theta - y\|^2", "θ", {**XTY, "m": ()},
           lambda v: 1 / (2 * v["m"]) * np.sum((v["X"] @ v["θ"] - v["y"]) ** 2), domain={"m": "positive"}),
    Pasted(r"\left(\mathbf{y} - X \boldsymbol{\beta}\right)^\top \left(\mathbf{y} - X \boldsymbol{\beta}\right)",
           "β", {"y": (N,), "X": (N, M), "β": (M,)}, lambda v: np.sum((v["y"] - v["X"] @ v["β"]) ** 2)),
    Pasted("‖X β - y‖² + λ ‖β‖²", "β", {"y": (N,), "X": (N, M), "β": (M,), "λ": ()},
           lambda v: np.sum((v["X"] @ v["β"] - v["y"]) ** 2) + v["λ"] * np.sum(v["β"] ** 2)),
    # ---------------------------------------------------------------- the hinge and logistic losses
    Pasted("max(0, 1 - y w^T x)", "w", {"y": (), "w": (N,), "x": (N,)},
           lambda v: max(0.0, 1 - v["y"] * v["w"] @ v["x"]), values={"y": 0.3}),
    Pasted(r"\max(0, 1 - y\, w^\top x)", "w", {"y": (), "w": (N,), "x": (N,)},
           lambda v: max(0.0, 1 - v["y"] * v["w"] @ v["x"]), values={"y": 0.3}),
    Pasted(r"\max(0, 1 - y \cdot \mathbf{w}^\top \mathbf{x})", "w", {"y": (), "w": (N,), "x": (N,)},
           lambda v: max(0.0, 1 - v["y"] * v["w"] @ v["x"]), values={"y": 0.3}),
    Pasted(r"\log(1 + \exp(-y\, w^\top x))", "w", {"y": (), "w": (N,), "x": (N,)},
           lambda v: np.log(1 + np.exp(-v["y"] * v["w"] @ v["x"]))),
    Pasted("y : scalar\nlog(1 + exp(-y w^T x))", "w", {"y": (), "w": (N,), "x": (N,)},
           lambda v: np.log(1 + np.exp(-v["y"] * v["w"] @ v["x"]))),
    Pasted("sum(log(1 + exp(-y ⊙ (X w))))", "w", {"y": (N,), "X": (N, M), "w": (M,)},
           lambda v: np.sum(np.log(1 + np.exp(-v["y"] * (v["X"] @ v["w"]))))),
    # ---------------------------------------------------------------- quadratic forms, many spellings
    Pasted(r"\mathbf{x}^\top A \mathbf{x}", "x", QUAD, lambda v: v["x"] @ v["A"] @ v["x"]),
    Pasted(r"x^\intercal A x", "x", QUAD, lambda v: v["x"] @ v["A"] @ v["x"]),
    Pasted(r"x^{\mathsf{T}} A x", "x", QUAD, lambda v: v["x"] @ v["A"] @ v["x"]),
    Pasted("𝐱ᵀ𝐀𝐱", "x", QUAD, lambda v: v["x"] @ v["A"] @ v["x"]),
    Pasted("𝒙ᵀ𝑨𝒙", "x", QUAD, lambda v: v["x"] @ v["A"] @ v["x"]),
    Pasted("x⊤ A x", "x", QUAD, lambda v: v["x"] @ v["A"] @ v["x"]),
    Pasted("xᵀ A⁻¹ x", "x", QUAD, lambda v: v["x"] @ np.linalg.solve(v["A"], v["x"])),
    Pasted("xᵀ(A + Aᵀ)x", "x", QUAD, lambda v: v["x"] @ (v["A"] + v["A"].T) @ v["x"]),
    Pasted("x^T W^T W x", "W", {"x": (M,), "W": (N, M)}, lambda v: np.sum((v["W"] @ v["x"]) ** 2)),
    Pasted(r"\mathbf{w}^{\mathsf{T}} \mathbf{x}", "w", {"w": (N,), "x": (N,)}, lambda v: v["w"] @ v["x"]),
    Pasted(r"\boldsymbol{\theta}^\top \mathbf{x}", "θ", {"θ": (N,), "x": (N,)}, lambda v: v["θ"] @ v["x"]),
    Pasted(r"\bm{w}^\top \bm{x}", "w", {"w": (N,), "x": (N,)}, lambda v: v["w"] @ v["x"]),
    Pasted(r"\vec{w} \cdot \vec{x}", "w", error="inner product"),  # w · x of two vectors: x^T y is asked for
    # ---------------------------------------------------------------- norms, roots, powers
    Pasted("‖x‖²", "x", {"x": (N,)}, lambda v: np.sum(v["x"] ** 2)),
    Pasted("‖A x - b‖₂²", "x", {"A": (N, M), "x": (M,), "b": (N,)}, lambda v: np.sum((v["A"] @ v["x"] - v["b"]) ** 2)),
    Pasted(r"\|X\|_F^2", "X", {"X": (N, M)}, lambda v: np.sum(v["X"] ** 2)),
    Pasted(r"\lVert X \rVert_F^2", "X", {"X": (N, M)}, lambda v: np.sum(v["X"] ** 2)),
    Pasted("‖W‖_F²", "W", {"W": (N, M)}, lambda v: np.sum(v["W"] ** 2)),
    Pasted(r"\left\| W x - y \right\|_2^2", "W", {"W": (N, M), "x": (M,), "y": (N,)},
           lambda v: np.sum((v["W"] @ v["x"] - v["y"]) ** 2)),
    Pasted(r"\|x\|_1", "x", error="2-norm"),
    Pasted("√(x^T x)", "x", {"x": (N,)}, lambda v: np.sqrt(v["x"] @ v["x"])),
    Pasted(r"\sqrt{x^\top x}", "x", {"x": (N,)}, lambda v: np.sqrt(v["x"] @ v["x"])),
    Pasted(r"u^\top x^{\circ 2}", "x", {"u": (N,), "x": (N,)}, lambda v: v["u"] @ v["x"] ** 2),
    Pasted(r"u^\top (a \oslash b)", "b", {"u": (N,), "a": (N,), "b": (N,)}, lambda v: v["u"] @ (v["a"] / v["b"]),
           domain={"b": "positive"}),
    Pasted(r"\exp(-\tfrac{1}{2} x^\top x)", "x", {"x": (N,)}, lambda v: np.exp(-0.5 * v["x"] @ v["x"])),
    Pasted(r"\dfrac{1}{2} x^T x", "x", {"x": (N,)}, lambda v: 0.5 * v["x"] @ v["x"]),
    Pasted("exp(-‖x - y‖^2 / (2 σ^2))", "x", {"x": (N,), "y": (N,), "σ": ()},
           lambda v: np.exp(-np.sum((v["x"] - v["y"]) ** 2) / (2 * v["σ"] ** 2))),
    Pasted("‖x - μ‖^2 / σ^2", "μ", error='"μ : n"'),
    # ---------------------------------------------------------------- matrix functions
    Pasted(r"\log \det X", "X", {"X": (N, N)}, lambda v: logdet(v["X"]), domain={"X": "spd"}),
    Pasted(r"\log\det(X)", "X", {"X": (N, N)}, lambda v: logdet(v["X"]), domain={"X": "spd"}),
    Pasted(r"\operatorname{tr}(A X)", "X", {"A": (M, N), "X": (N, M)}, lambda v: np.trace(v["A"] @ v["X"])),
    Pasted(r"\mathrm{Tr}(X^\top A X)", "X", {"A": (N, N), "X": (N, M)}, lambda v: np.trace(v["X"].T @ v["A"] @ v["X"])),
    Pasted(r"\text{tr}(X^\top X)", "X", {"X": (N, M)}, lambda v: np.sum(v["X"] ** 2)),
    Pasted("tr(W^T W)", "W", {"W": (N, M)}, lambda v: np.sum(v["W"] ** 2)),
    Pasted(r"u^\top \operatorname{diag}(x) v", "x", {"u": (N,), "x": (N,), "v": (N,)},
           lambda v: np.sum(v["u"] * v["x"] * v["v"])),
    Pasted(r"x^\top (A \odot B) y", "A", {"x": (N,), "A": (N, M), "B": (N, M), "y": (M,)},
           lambda v: v["x"] @ (v["A"] * v["B"]) @ v["y"]),
    Pasted(r"a^\top (x \circ y)", "x", {"a": (N,), "x": (N,), "y": (N,)}, lambda v: v["a"] @ (v["x"] * v["y"])),
    Pasted(r"\mathbf{1}^\top \exp(\mathbf{x})", "x", {"x": (N,)}, lambda v: np.sum(np.exp(v["x"]))),
    Pasted(r"\mathbf{1}_{n}^\top x", "x", {"x": (N,)}, lambda v: np.sum(v["x"])),
    Pasted("sum(x) / n", "x", {"x": (N,), "n": ()}, lambda v: np.sum(v["x"]) / v["n"], domain={"n": "positive"}),
    # d is read as a scalar (a division by it); softmax of a matrix is row by row (batches): a matrix function
    Pasted("softmax(Q K^T / sqrt(d)) V", "Q", error="use jacobian"),
    # ---------------------------------------------------------------- networks (CS231n), names as typed
    Pasted(r"u^\top \tanh(W x + b)", "W", LAYER, lambda v: v["u"] @ np.tanh(v["W"] @ v["x"] + v["b"])),
    Pasted(r"u^\top \tanh (W x + b)", "W", LAYER, lambda v: v["u"] @ np.tanh(v["W"] @ v["x"] + v["b"])),
    Pasted(r"\mathbf{u}^\top \sigma(\mathbf{W}\mathbf{x} + \mathbf{b})", "W", LAYER,
           lambda v: v["u"] @ sig(v["W"] @ v["x"] + v["b"])),
    Pasted(r"u^\top \sigma\left(W x + b\right)", "b", LAYER, lambda v: v["u"] @ sig(v["W"] @ v["x"] + v["b"])),
    Pasted("u^T ReLU(W x)", "W", NET, lambda v: v["u"] @ relu(v["W"] @ v["x"])),
    Pasted("u^T Tanh(W x)", "W", NET, lambda v: v["u"] @ np.tanh(v["W"] @ v["x"])),
    Pasted("u^T Sigmoid(W x)", "W", NET, lambda v: v["u"] @ sig(v["W"] @ v["x"])),
    Pasted("y^T log_softmax(x)", "x", {"y": (N,), "x": (N,)}, lambda v: v["y"] @ np.log(softmax(v["x"]))),
    Pasted("-y^T LogSoftmax(W x)", "W", {"y": (N,), "W": (N, M), "x": (M,)},
           lambda v: -v["y"] @ np.log(softmax(v["W"] @ v["x"]))),
    Pasted("lse(x)", "x", {"x": (N,)}, lambda v: np.log(np.sum(np.exp(v["x"])))),
    Pasted("LogSumExp(W x)", "W", {"W": (N, M), "x": (M,)}, lambda v: np.log(np.sum(np.exp(v["W"] @ v["x"])))),
    Pasted("u^T sigmiod(W x)", "W", error='"sigmoid"'),
    Pasted("sofmax(x)", "x", error='"softmax"'),
    Pasted("u^T tahn(W x)", "W", error='"tanh"'),
    Pasted("u^T sigma(W x)", "W", error='"sigmoid"'),
    Pasted("u^T rellu(W x)", "W", error='"relu"'),
    Pasted("u^T act(W x)", "W", error='"act : function"'),
    Pasted("act : function\nu^T act(W x)", "W", NET, lambda v: v["u"] @ np.tanh(v["W"] @ v["x"]),
           functions={"act": np.tanh, "act'": lambda z: 1 - np.tanh(z) ** 2}),
    Pasted("u^T f(W x + b)", "W", LAYER, lambda v: v["u"] @ np.tanh(v["W"] @ v["x"] + v["b"]), functions=TANH),
    Pasted("u^T 𝑓(𝑊 𝑥 + 𝑏)", "W", LAYER, lambda v: v["u"] @ np.tanh(v["W"] @ v["x"] + v["b"]), functions=TANH),
    Pasted("u^T f(Wx + b)", "Wx", error='"W x"'),
    Pasted(r"u^\top \tanh(W_{hh} h_{t-1} + W_{xh} x_t)", "W_hh",
           {"u": (N,), "W_hh": (N, N), "h_tm1": (N,), "W_xh": (N, M), "x_t": (M,)},
           lambda v: v["u"] @ np.tanh(v["W_hh"] @ v["h_tm1"] + v["W_xh"] @ v["x_t"])),
    Pasted("h = tanh(W_{xh} x + W_{hh} h_{t-1})\ns = u^\\top h", "h_tm1",
           {"u": (N,), "W_hh": (N, N), "h_tm1": (N,), "W_xh": (N, M), "x": (M,)},
           lambda v: v["u"] @ np.tanh(v["W_xh"] @ v["x"] + v["W_hh"] @ v["h_tm1"])),
    Pasted(r"\begin{aligned} z &= W x + b \\ h &= \tanh(z) \\ s &= u^\top h \end{aligned}", "W", LAYER,
           lambda v: v["u"] @ np.tanh(v["W"] @ v["x"] + v["b"])),
    Pasted(r"$u^\top \tanh(W x)$", "W", NET, lambda v: v["u"] @ np.tanh(v["W"] @ v["x"])),
    Pasted("$$ \\frac{1}{2} \\| W x - y \\|^2 $$", "W", {"W": (N, M), "x": (M,), "y": (N,)},
           lambda v: 0.5 * np.sum((v["W"] @ v["x"] - v["y"]) ** 2)),
    Pasted("ℓ = ‖W x - y‖²\nℓ", "W", {"W": (N, M), "x": (M,), "y": (N,)},
           lambda v: np.sum((v["W"] @ v["x"] - v["y"]) ** 2)),
    Pasted("u^T (γ ⊙ x + β)", "γ", error='"γ : n"'),
    Pasted("γ : n; β : n\nu^T (γ ⊙ x + β)", "γ", {"u": (N,), "γ": (N,), "x": (N,), "β": (N,)},
           lambda v: v["u"] @ (v["γ"] * v["x"] + v["β"])),
    # ---------------------------------------------------------------- LaTeX's own meanings
    Pasted(r"\frac{1}{2}x^TAx - b^Tx", "x", {"x": (N,), "A": (N, N), "b": (N,)},
           lambda v: 0.5 * v["x"] @ v["A"] @ v["x"] - v["b"] @ v["x"]),
    Pasted("w^Tx", "w", {"w": (N,), "x": (N,)}, lambda v: v["w"] @ v["x"]),
    Pasted(r"e^{x^T A x}", "x", QUAD, lambda v: np.exp(v["x"] @ v["A"] @ v["x"])),
    Pasted(r"\log(1 + e^{-y\, w^T x})", "w", {"y": (), "w": (N,), "x": (N,)},
           lambda v: np.log(1 + np.exp(-v["y"] * v["w"] @ v["x"]))),
    Pasted(r"J(\theta) = \frac{1}{2}\|X\theta - y\|^2", "θ", XTY, ls),
    Pasted(r"\frac{\lambda}{2}\|\theta\|^2", "θ", {"λ": (), "θ": (N,)}, lambda v: v["λ"] / 2 * v["θ"] @ v["θ"]),
    Pasted(r"\langle x, A y \rangle", "x", {"x": (N,), "A": (N, M), "y": (M,)}, lambda v: v["x"] @ v["A"] @ v["y"]),
    Pasted("⟨X, Y⟩", "X", {"X": (N, M), "Y": (N, M)}, lambda v: np.sum(v["X"] * v["Y"])),
    Pasted(r"\log |\Sigma|", "Σ", error=r"\log\det"),
    Pasted("u^T Ax", "u", error='"A x"'),
    Pasted(r"\|y - Xw\|^2_2", "w", error='"X w"'),
    Pasted(r"\frac{1}{N}\|X w - y\|^2", "w", {"N": (), "X": (N, M), "w": (M,), "y": (N,)},
           lambda v: np.sum((v["X"] @ v["w"] - v["y"]) ** 2) / v["N"], domain={"N": "positive"}),
    Pasted(r"\frac{1}{2} \sum (y - \hat{y})^2", "ŷ", error="sum((…) .^ 2)"),
    Pasted(r"\frac{1}{2} \sum((y - \hat{y})^{\circ 2})", "ŷ", {"y": (N,), "ŷ": (N,)},
           lambda v: 0.5 * np.sum((v["y"] - v["ŷ"]) ** 2)),
    Pasted(r"\frac{1}{2\sigma^2}\|y - X\beta\|^2", "β", {"σ": (), "y": (N,), "X": (N, M), "β": (M,)},
           lambda v: np.sum((v["y"] - v["X"] @ v["β"]) ** 2) / (2 * v["σ"] ** 2)),
    Pasted(r"\frac{a^T x}{\|x\|}", "x", {"a": (N,), "x": (N,)}, lambda v: v["a"] @ v["x"] / np.linalg.norm(v["x"])),
    Pasted(r"\text{Tr}\left(X^\top X\right)", "X", {"X": (N, M)}, lambda v: np.sum(v["X"] ** 2)),
    Pasted(r"\ln \det X", "X", {"X": (N, N)}, lambda v: logdet(v["X"]), domain={"X": "spd"}),
    Pasted("(w^T x - y)^2", "w", {"w": (N,), "x": (N,), "y": ()}, lambda v: (v["w"] @ v["x"] - v["y"]) ** 2),
    Pasted(r"\alpha x^T x + \beta", "x", {"α": (), "x": (N,), "β": ()}, lambda v: v["α"] * v["x"] @ v["x"] + v["β"]),
    # ---------------------------------------------------------------- decorated names
    Pasted(r"\hat{y}^\top \hat{y}", "ŷ", {"ŷ": (N,)}, lambda v: v["ŷ"] @ v["ŷ"]),
    Pasted(r"\|\hat{y} - y\|^2", "ŷ", {"ŷ": (N,), "y": (N,)}, lambda v: np.sum((v["ŷ"] - v["y"]) ** 2)),
    Pasted(r"y^\top \log \hat{y}", "ŷ", {"y": (N,), "ŷ": (N,)}, lambda v: v["y"] @ np.log(v["ŷ"]),
           domain={"ŷ": "positive"}),
    Pasted(r"\tilde{x}^\top A \tilde{x}", "x̃", {"x̃": (N,), "A": (N, N)}, lambda v: v["x̃"] @ v["A"] @ v["x̃"]),
    Pasted(r"\bar{x}^\top \bar{x}", "x̄", {"x̄": (N,)}, lambda v: v["x̄"] @ v["x̄"]),
    # ---------------------------------------------------------------- Jacobians ask for what they get
    Pasted(r"W_{hh} h_{t-1}", "h_tm1", {"W_hh": (N, M), "h_tm1": (M,)}, lambda v: v["W_hh"] @ v["h_tm1"],
           command="derive"),
    Pasted(r"\tanh(W x)", "x", {"W": (N, M), "x": (M,)}, lambda v: np.tanh(v["W"] @ v["x"]), command="derive"),
    Pasted(r"\sigma(W \mathbf{x})", "x", {"W": (N, M), "x": (M,)}, lambda v: sig(v["W"] @ v["x"]), command="derive"),
    Pasted("tanh(W x)", "x", error="not a scalar"),  # grad of a vector function: the user is told
    # ---------------------------------------------------------------- names that are refused
    Pasted("Αx", "x", error='Latin letter "A"'),
    Pasted("x\u037ey", "x", error='";"'),
    Pasted("I : n\nx^T I x", "x", error="identity"),
    Pasted("ones : n\nones^T x", "x", error="function name"),
    Pasted("exp : n x n; x^T exp x", "x", error="function name"),
    Pasted("σ(x) + σ^T x", "x", error="sigmoid"),
    Pasted(r"\log x^2", "x", error="log(x^"),
]


def _ids(case: Pasted) -> str:
    return case.source.replace("\n", "; ")[:60]


def _value(shape: tuple, rng, domain: str):
    if domain == "positive":
        return rng.uniform(0.5, 2.0, size=shape) if shape else float(rng.uniform(0.5, 2.0))
    value = rng.standard_normal(shape) if shape else float(rng.standard_normal())
    if domain == "spd":
        return value @ value.T + shape[0] * np.eye(shape[0])
    if len(shape) == 2 and shape[0] == shape[1]:
        return value + shape[0] * np.eye(shape[0])
    return value


def test_the_table_is_large():
    assert len(CASES) >= 80
    assert sum(c.error is None for c in CASES) >= 60


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_pasted_input_gives_the_intended_derivative_or_names_what_to_declare(case):
    ask = matcalc.grad if case.command == "grad" else matcalc.derive
    if case.error is not None:
        with pytest.raises(MatcalcError) as info:
            ask(case.source, case.wrt)
        assert case.error in str(info.value), str(info.value)
        return
    program = read(case.source, prefer_scalar=case.command == "grad", functions=set(case.functions))
    for name, shape in case.shapes.items():  # the reading matcalc took is the intended one
        assert name in program.shapes, (name, program.shapes)
        assert len(program.shapes[name]) == len(shape), (name, program.shapes[name], shape)
    d = ask(program, case.wrt)
    rng = np.random.default_rng(11)
    env = {n: _value(s, rng, case.domain.get(n, "any")) for n, s in case.shapes.items()}
    env.update(case.values)
    env.update(case.functions)
    got_value = d.evaluate(env)
    eps = 1e-6
    for _ in range(2):
        direction = _value(case.shapes[case.wrt], rng, "any")
        if np.ndim(direction) == 2 and case.domain.get(case.wrt) == "spd":
            direction = (direction + direction.T) / 2
        plus = case.forward({**env, case.wrt: env[case.wrt] + eps * direction})
        minus = case.forward({**env, case.wrt: env[case.wrt] - eps * direction})
        expected = (np.asarray(plus, dtype=float) - np.asarray(minus, dtype=float)) / (2 * eps)
        got = apply_derivative(d, got_value, direction)
        assert np.allclose(got, expected, rtol=1e-4, atol=1e-6), (str(d), got, expected)


@pytest.mark.parametrize("name", ["ŷ", "x̂", "θ̂", "x̄", "x̃", "W_hh", "h_tm1", "h_tp1", "W_a_b", "Uneg", "xδ",
                                  "δ_2", "Σ", "W_1"])
def test_the_latex_of_a_name_reads_back_as_the_name(name):
    from matcalc.core.nodes import Symbol
    from matcalc.language.latex import latex_name
    assert matcalc.parse(latex_name(name)).expr == Symbol(name)


def test_explain_types_says_what_was_inferred_and_why():
    lines = matcalc.explain_types("-(y^T log(σ(X θ)) + (1 - y)^T log(1 - σ(X θ)))")
    assert any(line.startswith("θ : ") and "vector" in line for line in lines)
    program = read("-(y^T log(σ(X θ)) + (1 - y)^T log(1 - σ(X θ)))", prefer_scalar=True)
    assert len(program.shapes["θ"]) == 1 and "θ" in program.notes


def test_cli_explain_types_and_json_types(capsys):
    import json

    from matcalc.cli import main
    assert main(["grad", "max(0, 1 - y w^T x)", "--wrt", "w", "--explain-types"]) == 0
    captured = capsys.readouterr()
    assert "y : scalar" in captured.err
    assert main(["grad", "λ ‖w‖^2", "--wrt", "w", "--format", "json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert any(t.startswith("λ : scalar") for t in entry["types"])
    assert main(["grad", "tanh(W x)", "--wrt", "x"]) == 2
    assert "not a scalar" in capsys.readouterr().err


def test_env_names_are_read_as_the_program_reads_them():
    assert matcalc.evaluate("𝐱ᵀ𝐱", {"𝐱": np.array([1.0, 2.0])}) == 5.0
    assert matcalc.evaluate(r"\theta^T x", {r"\theta": np.array([1.0, 2.0]), "x": np.array([3.0, 4.0])}) == 11.0
    assert str(matcalc.grad(r"\|X\theta - y\|^2", r"\theta")) == "2 X^T (X θ - y)"
