"""The gallery: the cheatsheet's promised Appendix B, classic gradients from CS229, CS224N, CS231n and CS221.

One source of truth for ``matcalc examples`` and ``notebooks/gallery.ipynb``. Each example
is a program, the variables it is differentiated with respect to, and for each the answer
as the course notes write it, typed in by hand (never copied from matcalc's output), in the
language, using the program's placeholders where the notes name them. Tests check every
derivative with central differences and that it equals the textbook answer at random points.

Where a textbook answer assumes something of the data (a one-hot label y makes
``sum(y) = 1``, a covariance Σ is symmetric), the example says so in ``onehot`` / ``domain``
and :func:`point` draws values that satisfy it.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from ..core.lazy import np

from ..calculus.numeric import random_env
from ..core.errors import MatcalcError
from ..core.evaluate import evaluate_expr
from ..core.program import Program
from ..language.typecheck import read
from .models import MODELS

CS229_NOTES = "Stanford CS229 lecture notes (Ng, Ma), https://cs229.stanford.edu/main_notes.pdf"
CS224N_A2 = ("Stanford CS224N, Assignment 2 (word2vec), written part, "
             "https://web.stanford.edu/class/cs224n/")
CS224N_BACKPROP = ("Stanford CS224N, lecture 'Backprop and Neural Networks' (named-entity window "
                   "classifier), https://web.stanford.edu/class/cs224n/")
CS231N_LINEAR = "Stanford CS231n notes, Linear classification, https://cs231n.github.io/linear-classify/"
CS231N_CASE = ("Stanford CS231n notes, Neural Networks Case Study, "
               "https://cs231n.github.io/neural-networks-case-study/")
CS231N_BACKPROP = ("Stanford CS231n, 'Derivatives, Backpropagation, and Vectorization' (Johnson), "
                   "http://cs231n.stanford.edu/handouts/derivatives.pdf")
CS221_LOSS = "Stanford CS221, lecture 'Machine learning: loss minimization', https://stanford-cs221.github.io/"


@dataclass(frozen=True)
class Example:
    """A classic gradient: the program, and the textbook answer for each variable."""

    name: str
    course: str
    title: str
    description: str  # one line
    source: str
    answers: dict[str, str]  # variable -> the answer as the notes write it, in the language
    reference: str
    domain: dict[str, str] = field(default_factory=dict)  # variable -> a domain of verify.random_env
    onehot: tuple[str, ...] = ()  # label vectors the textbook answer takes to be one-hot
    onehot_rows: tuple[str, ...] = ()  # label matrices one-hot in each row (a batch of labels)

    @property
    def wrt(self) -> list[str]:
        return list(self.answers)

    def program(self) -> Program:
        return read(self.source)

    def answer_program(self, wrt: str) -> Program:
        """The textbook answer typed in the context of the program (its declarations and placeholders)."""
        text = f"{self.source}\n{self.answers[wrt]}"
        return read(text)


EXAMPLES: tuple[Example, ...] = (
    # ---------------------------------------------------------------- CS229
    Example(
        "least-squares", "CS229", "Least squares",
        "the least-squares cost of linear regression on a design matrix X (one example per row)",
        "θ : d\nJ = 1/2 * ‖X θ - y‖^2",
        {"θ": "X^T (X θ - y)"},
        CS229_NOTES + ", §1.2 (the normal equations)"),
    Example(
        "ridge", "CS229", "Ridge regression",
        "least squares with an L2 penalty λ/2 ‖θ‖²",
        "θ : d\nJ = 1/2 * ‖X θ - y‖^2 + λ/2 * ‖θ‖^2",
        {"θ": "X^T (X θ - y) + λ θ"},
        CS229_NOTES + ", §1.2 and problem set 1 (regularized normal equations)"),
    Example(
        "weighted-least-squares", "CS229", "Locally weighted linear regression",
        "least squares with a weight w_i on each example",
        "θ : d\nJ = 1/2 (X θ - y)^T diag(w) (X θ - y)",
        {"θ": "X^T diag(w) (X θ - y)"},
        CS229_NOTES + ", §1.4, and problem set 1"),
    Example(
        "logistic-regression", "CS229", "Logistic regression, one example",
        "the log-likelihood of one example (x, y), y in {0, 1}, with h = σ(θᵀx)",
        "θ : d\ny : scalar\nh = σ(θ^T x)\nl = y log(h) + (1 - y) log(1 - h)",
        {"θ": "(y - h) x"},
        CS229_NOTES + ", §2.1: ∂ℓ/∂θ_j = (y - h_θ(x)) x_j"),
    Example(
        "logistic-regression-batch", "CS229", "Logistic regression, a whole data set",
        "the log-likelihood of the labels y of the rows of X",
        "θ : d\nl = y^T log(σ(X θ)) + (1 - y)^T log(1 - σ(X θ))",
        {"θ": "X^T (y - σ(X θ))"},
        CS229_NOTES + ", §2.1 (the sum over examples, vectorized)"),
    Example(
        "softmax-regression", "CS229", "Softmax regression",
        "the log-likelihood of a one-hot label y under softmax(Θ x), k classes",
        "Θ : k x d\nl = y^T logsoftmax(Θ x)",
        {"Θ": "(y - softmax(Θ x)) x^T"},
        CS229_NOTES + ", §2.3 (multi-class classification)",
        onehot=("y",)),
    Example(
        "gda-mean", "CS229", "GDA: the mean",
        "the log-density of x under N(μ, Σ), up to a constant, as a function of μ",
        "μ : n\nΣ : n x n spd\nl = -1/2 (x - μ)^T Σ^{-1} (x - μ) - 1/2 logdet(Σ)",
        {"μ": "Σ^{-1} (x - μ)"},
        CS229_NOTES + ", §4.1 (Gaussian discriminant analysis)",
        domain={"Σ": "spd"}),
    Example(
        "gda-covariance", "CS229", "GDA: the covariance",
        "the same log-density as a function of the (symmetric) covariance Σ",
        "μ : n\nΣ : n x n spd\nl = -1/2 (x - μ)^T Σ^{-1} (x - μ) - 1/2 logdet(Σ)",
        {"Σ": "1/2 (Σ^{-1} (x - μ) (x - μ)^T Σ^{-1} - Σ^{-1})"},
        CS229_NOTES + ", §4.1; The Matrix Cookbook (61) and (57)",
        domain={"Σ": "spd"}),
    Example(
        "gda-mean-batch", "CS229", "GDA: the mean over a data set",
        "the Gaussian log-likelihood of the columns of X; setting the gradient to 0 gives the sample mean",
        "μ : n\nΣ : n x n spd\nX : n x m\nl = -1/2 tr((X - μ ones(m)^T)^T Σ^{-1} (X - μ ones(m)^T))",
        {"μ": "Σ^{-1} (X - μ ones(m)^T) ones(m)"},
        CS229_NOTES + ", §4.1 (maximum-likelihood estimates of GDA)",
        domain={"Σ": "spd"}),
    # ---------------------------------------------------------------- CS224N
    Example(
        "word2vec-naive-softmax", "CS224N", "word2vec: naive-softmax loss",
        "J = -log P(o | c) with ŷ = softmax(Uᵀ v_c), the outside vectors u_w the columns of U, y one-hot at o",
        "J = -y^T logsoftmax(U^T v_c)",
        {"v_c": "U (softmax(U^T v_c) - y)",
         "U": "v_c (softmax(U^T v_c) - y)^T"},
        CS224N_A2 + ": ∂J/∂v_c = U(ŷ - y), ∂J/∂U = v_c (ŷ - y)ᵀ",
        onehot=("y",)),
    Example(
        "word2vec-negative-sampling", "CS224N", "word2vec: negative sampling",
        "J = -log σ(u_oᵀv_c) - Σ_k log σ(-u_kᵀv_c), the K negative samples u_k the columns of U_neg",
        "J = -log(σ(u_o^T v_c)) - sum(log(σ(-U_neg^T v_c)))",
        {"v_c": "-(1 - σ(u_o^T v_c)) u_o + U_neg (1 - σ(-U_neg^T v_c))",
         "u_o": "-(1 - σ(u_o^T v_c)) v_c",
         "U_neg": "v_c (1 - σ(-U_neg^T v_c))^T"},
        CS224N_A2 + ": ∂J/∂u_k = (1 - σ(-u_kᵀv_c)) v_c for each negative sample"),
    Example(
        "window-score", "CS224N", "Window classifier: the score",
        "s = uᵀ f(W x + b) for the concatenated word vectors x of a window (the cheatsheet's Examples 0.3-0.4)",
        "z = W x + b\nh = f(z)\ns = u^T h",
        {"x": "W^T (u ⊙ f'(z))",
         "W": "(u ⊙ f'(z)) x^T",
         "b": "u ⊙ f'(z)",
         "u": "h"},
        CS224N_BACKPROP + ": δ = u ⊙ f'(z), ∂s/∂W = δ xᵀ, ∂s/∂x = Wᵀ δ"),
    Example(
        "window-softmax", "CS224N", "Window classifier with a softmax layer",
        "a tanh hidden layer on the window x and a softmax over the classes, one-hot label y",
        "h = tanh(W x + b)\nJ = -y^T logsoftmax(U h)",
        {"x": "W^T (U^T (softmax(U h) - y) ⊙ (1 - h ⊙ h))",
         "U": "(softmax(U h) - y) h^T"},
        CS224N_BACKPROP + " (the softmax version of the named-entity window classifier)",
        onehot=("y",)),
    Example(
        "window-max-margin", "CS224N", "Window classifier: max-margin loss",
        "J = max(0, 1 - s + s_c): the true window's score s must beat a corrupt window's s_c by 1",
        "s = u^T f(W x + b)\ns_c = u^T f(W x_c + b)\nJ = max(0, 1 - s + s_c)",
        {"u": "step(1 - s + s_c) (f(W x_c + b) - f(W x + b))",
         "W": "step(1 - s + s_c) ((u ⊙ f'(W x_c + b)) x_c^T - (u ⊙ f'(W x + b)) x^T)"},
        CS224N_BACKPROP + " (the max-margin objective of Collobert et al. 2011)"),
    # ---------------------------------------------------------------- CS231n
    Example(
        "two-layer-softmax", "CS231n", "Two-layer ReLU network with a softmax loss",
        "all four parameter gradients of s = W2 relu(W1 x + b1) + b2 under cross-entropy with a one-hot y",
        "z1 = W1 x + b1\nh = relu(z1)\ns = W2 h + b2\nL = -y^T logsoftmax(s)",
        {"W1": "(W2^T (softmax(s) - y) ⊙ step(z1)) x^T",
         "b1": "W2^T (softmax(s) - y) ⊙ step(z1)",
         "W2": "(softmax(s) - y) h^T",
         "b2": "softmax(s) - y"},
        CS231N_CASE + ": dscores = probs - y, dW2 = dscores hᵀ, dhidden = W2ᵀ dscores with dhidden[h <= 0] = 0",
        onehot=("y",)),
    Example(
        "multiclass-svm", "CS231n", "Multiclass SVM loss",
        "L = Σ_j max(0, s_j - s_y + 1) - 1 (the j = y term is 1), scores s = W x, y one-hot at the true class",
        "W : c x d\ns = W x\nL = sum(max(0, s - (y^T s) ones(c) + 1)) - 1",
        {"W": "(step(s - (y^T s) ones(c) + 1) - sum(step(s - (y^T s) ones(c) + 1)) y) x^T"},
        CS231N_LINEAR + " (the gradient of the SVM loss, assignment 1)"),
    Example(
        "batch-linear-squared", "CS231n", "A linear layer on a batch, squared loss",
        "L = ½‖W X - Y‖²_F for a batch X with one example per column",
        "L = 1/2 * ‖W X - Y‖^2",
        {"W": "(W X - Y) X^T",
         "X": "W^T (W X - Y)"},
        CS231N_BACKPROP + " (the gradient of a matrix product: dW = dY Xᵀ, dX = Wᵀ dY)"),
    Example(
        "batch-softmax", "CS231n", "Softmax classifier on a batch",
        "cross-entropy summed over the columns of S = W X + b 1ᵀ, Y one-hot per column: L = -tr(YᵀS) + Σ_i log Σ_c exp(S_ci)",
        "W : C x D\nX : D x N\nS = W X + b ones(N)^T\nL = -tr(Y^T S) + sum(log(ones(C)^T exp(S)))",
        {"W": "(exp(S) ./ (ones(C) ones(C)^T exp(S)) - Y) X^T",
         "b": "(exp(S) ./ (ones(C) ones(C)^T exp(S)) - Y) ones(N)"},
        CS231N_LINEAR + " (softmax classifier; the column-wise probabilities P = exp(S) ./ 1 1ᵀ exp(S))"),
    Example(
        "two-layer-batch", "CS231n", "Two-layer ReLU network on a batch",
        "a batch X (one example per column) through relu and a linear layer, squared loss against targets Y",
        "X : D x N\nZ1 = W1 X + b1 ones(N)^T\nH = relu(Z1)\nS = W2 H + b2 ones(N)^T\nL = 1/2 * ‖S - Y‖^2",
        {"W1": "(W2^T (S - Y) ⊙ step(Z1)) X^T",
         "b1": "(W2^T (S - Y) ⊙ step(Z1)) ones(N)",
         "W2": "(S - Y) H^T",
         "b2": "(S - Y) ones(N)"},
        CS231N_CASE + " (the batch version: db = dS 1, the sum over examples)"),
    # ---------------------------------------------------------------- CS221
    Example(
        "hinge-loss", "CS221", "Hinge loss",
        "Loss = max(1 - (w·φ(x)) y, 0) of a linear classifier with features φ and label y = ±1",
        "φ : d\ny : scalar\nLoss = max(1 - w^T φ y, 0)",
        {"w": "-step(1 - w^T φ y) φ y"},
        CS221_LOSS + ": ∇ = -φ(x) y if the margin is below 1, else 0"),
    Example(
        "logistic-loss", "CS221", "Logistic loss",
        "Loss = log(1 + exp(-(w·φ(x)) y))",
        "φ : d\ny : scalar\nLoss = log(1 + exp(-(w^T φ) y))",
        {"w": "-σ(-(w^T φ) y) φ y"},
        CS221_LOSS),
    Example(
        "squared-loss", "CS221", "Squared loss",
        "Loss = (w·φ(x) - y)² of linear regression; the residual times the features",
        "φ : d\ny : scalar\nLoss = (w^T φ - y)^2",
        {"w": "2 (w^T φ - y) φ"},
        CS221_LOSS + ": ∇ = 2 (w·φ(x) - y) φ(x)"),
)


EXAMPLES += tuple(Example(**m) for m in MODELS)  # the models of real networks (views/models.py)


def names() -> list[str]:
    return [e.name for e in EXAMPLES]


def example(name: str) -> Example:
    """The example called ``name``; a MatcalcError that suggests names otherwise."""
    for e in EXAMPLES:
        if e.name == name:
            return e
    close = difflib.get_close_matches(name, names(), n=3)
    hint = f"did you mean {' or '.join(close)}?" if close else "matcalc examples lists them"
    raise MatcalcError(f'no example called "{name}"', hint=hint)


def point(ex: Example, seed: int = 0) -> dict:
    """Random values for every input of the example, satisfying its assumptions."""
    program = ex.program()
    env = random_env(program, seed, domain=ex.domain)
    rng = np.random.default_rng(seed + 7)
    for name in ex.onehot:
        y = np.zeros_like(np.asarray(env[name], dtype=float))
        y[int(rng.integers(len(y)))] = 1.0
        env[name] = y
    for name in ex.onehot_rows:
        labels = np.zeros_like(np.asarray(env[name], dtype=float))
        labels[np.arange(len(labels)), rng.integers(labels.shape[1], size=len(labels))] = 1.0
        env[name] = labels
    return env


def compare(ex: Example, wrt: str, derived, env: dict) -> tuple[np.ndarray, np.ndarray]:
    """(matcalc's derivative, the textbook answer), both evaluated at env."""
    answer = ex.answer_program(wrt)
    hand = evaluate_expr(answer.expr, answer.shapes, env, answer.definitions, source=answer.source)
    return np.asarray(derived.evaluate(env), dtype=float), np.asarray(hand, dtype=float)
