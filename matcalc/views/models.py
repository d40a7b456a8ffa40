# ruff: noqa: C408  (keyword dicts read like the Example fields they fill)
"""The gallery's models: the layers and losses of real networks, on batches (issue 12).

Plain data, read by :mod:`matcalc.views.gallery` (which makes them examples like the others):
each is a program, and for each variable the answer as the course or the paper writes it,
typed in by hand in the language (never copied from matcalc's output). A batch has one
example per row (``X : N x D``, CS231n's convention), a bias is added to each row as ``b^T``,
and an upstream gradient (``dout``) is a matrix G with ``L = tr(G^T out)``, so ∂L/∂out = G.
"""
from __future__ import annotations

CS231N_A2 = ("Stanford CS231n, assignment 2 (layers.py: affine_backward, batchnorm_backward_alt, "
             "layernorm_backward), https://cs231n.github.io/assignments2024/assignment2/")
CS231N_A1 = ("Stanford CS231n, assignment 1 (softmax_loss_vectorized, svm_loss_vectorized), "
             "https://cs231n.github.io/assignments2024/assignment1/")
BATCHNORM = "Ioffe & Szegedy 2015, Batch Normalization, arXiv:1502.03167, §3 (the backward pass)"
LAYERNORM = "Ba, Kiros & Hinton 2016, Layer Normalization, arXiv:1607.06450"
RMSNORM = "Zhang & Sennrich 2019, Root Mean Square Layer Normalization, arXiv:1910.07467, §3 and appendix"
ATTENTION = ("Vaswani et al. 2017, Attention Is All You Need, eq. (1); the backward pass as in Dao et al. "
             "2022, FlashAttention, arXiv:2205.14135, Algorithm 2 / appendix B.2: dV = Pᵀ dO, dP = dO Vᵀ, "
             "dS = P ⊙ (dP - rowsum(P ⊙ dP)), dQ = dS K, dK = dSᵀ Q (the 1/√d scale)")
RESNET = "He et al. 2016, Identity Mappings in Deep Residual Networks, arXiv:1603.05027, eq. (5)"
GRU = "Cho et al. 2014, arXiv:1406.1078, §2.3 (the gated recurrent unit)"
LSTM = "Hochreiter & Schmidhuber 1997; the gates as in Graves 2013, arXiv:1308.0850, eqs. (7)-(11) without peepholes"
VAE = "Kingma & Welling 2014, Auto-Encoding Variational Bayes, arXiv:1312.6114, appendix B"
INFONCE = ("van den Oord, Li & Vinyals 2018, Representation Learning with Contrastive Predictive Coding, "
           "arXiv:1807.03748, eq. (4); the in-batch form of SimCLR/CLIP (positives on the diagonal)")

MODELS: tuple[dict, ...] = (
    dict(
        name="affine-layer", course="CS231n", title="Affine layer on a batch",
        description="out = X W + bᵀ (the row bᵀ added to each row of X W), upstream gradient G = dout",
        source="X : N x D\nW : D x M\nb : M\nG : N x M\nout = X W + b^T\nL = tr(G^T out)",
        answers={"X": "G W^T", "W": "X^T G", "b": "G^T ones(N)"},
        reference=CS231N_A2 + ": dx = dout wᵀ, dw = xᵀ dout, db = dout.sum(axis=0)"),
    dict(
        name="batch-softmax-loss", course="CS231n", title="Softmax loss on a data matrix",
        description="the mean cross-entropy of the rows of S = X W (Y one-hot per row), plus λ ‖W‖²",
        source="X : N x D\nW : D x C\nY : N x C\nS = X W\nL = -sum(Y ⊙ logsoftmax(S)) / N + λ * ‖W‖^2",
        answers={"W": "X^T (softmax(S) - Y) / N + 2 λ W"},
        reference=CS231N_A1 + ": dscores = probs with probs[range(N), y] -= 1, dW = Xᵀ dscores / N + 2 reg W",
        domain={"λ": "positive"}, onehot_rows=("Y",)),
    dict(
        name="batch-svm-loss", course="CS231n", title="Multiclass SVM loss on a data matrix",
        description="L = (1/N) Σ_i Σ_{j≠y_i} max(0, s_ij - s_iy + 1) with the true scores s_y = (S ⊙ Y) 1",
        source="X : N x D\nW : D x C\nY : N x C\nS = X W\nM = S - (S ⊙ Y) ones(C) + 1\n"
               "L = (sum(max(M, 0)) - N) / N",
        answers={"W": "X^T (step(M) - Y ⊙ (step(M) ones(C))) / N"},
        reference=CS231N_A1 + ": binary = margins > 0, binary[range(N), y] = -binary.sum(axis=1), "
                              "dW = Xᵀ binary / N (here step(M) is 1 on the true class, so binary = "
                              "step(M) - Y ⊙ (step(M) 1))",
        onehot_rows=("Y",)),
    dict(
        name="batch-norm", course="CS231n", title="Batch normalization",
        description="each column of X normalized over the batch (the row μ of means, v of variances), "
                    "then scaled by γ and shifted by β",
        source="X : N x D\nγ : D\nβ : D\nG : N x D\nμ = ones(N)^T X / N\nXc = X - μ\n"
               "v = ones(N)^T (Xc ⊙ Xc) / N\nXh = Xc ./ sqrt(v + ε)\nout = γ^T ⊙ Xh + β^T\nL = tr(G^T out)",
        answers={"X": "(N (G ⊙ γ^T) - ones(N)^T (G ⊙ γ^T) - Xh ⊙ (ones(N)^T (G ⊙ γ^T ⊙ Xh))) ./ (N sqrt(v + ε))",
                 "γ": "(G ⊙ Xh)^T ones(N)",
                 "β": "G^T ones(N)"},
        reference=CS231N_A2 + " (batchnorm_backward_alt: dx = (N dxhat - dxhat.sum(0) - xhat (dxhat xhat)"
                              ".sum(0)) / (N √(var + eps)), dxhat = dout γ); " + BATCHNORM,
        domain={"ε": "positive"}),
    dict(
        name="layer-norm", course="CS231n", title="Layer normalization",
        description="each row of X normalized over its features (the column μ of means, v of variances), "
                    "then scaled by γ and shifted by β",
        source="X : N x D\nγ : D\nβ : D\nG : N x D\nε : scalar\nμ = X ones(D) / D\nXc = X - μ\n"
               "v = (Xc ⊙ Xc) ones(D) / D\nXh = Xc ./ sqrt(v + ε)\nout = γ^T ⊙ Xh + β^T\nL = tr(G^T out)",
        answers={"X": "(D (G ⊙ γ^T) - (G ⊙ γ^T) ones(D) - Xh ⊙ ((G ⊙ γ^T ⊙ Xh) ones(D))) ./ (D sqrt(v + ε))",
                 "γ": "(G ⊙ Xh)^T ones(N)",
                 "β": "G^T ones(N)"},
        reference=CS231N_A2 + " (layernorm_backward: the batch norm formula along the other axis); " + LAYERNORM,
        domain={"ε": "positive"}),
    dict(
        name="rmsnorm", course="Papers", title="RMSNorm",
        description="y = g ⊙ x / RMS(x), RMS(x) = √(xᵀx / d + ε), with upstream gradient u",
        source="x : d\ng : d\nu : d\nr = sqrt(x^T x / d + ε)\ny = g ⊙ x / r\nL = u^T y",
        answers={"x": "(g ⊙ u) / r - x (x^T (g ⊙ u)) / (d r^3)",
                 "g": "u ⊙ x / r"},
        reference=RMSNORM + ": ∂y/∂x = (I - x xᵀ / (d RMS²)) diag(g) / RMS",
        domain={"ε": "positive"}),
    dict(
        name="attention", course="Papers", title="Single-head attention",
        description="O = softmax(Q Kᵀ / √d) V, the softmax along each row, upstream gradient G = dO",
        source="Q : n x d\nK : k x d\nV : k x v\nG : n x v\nP = softmax(Q K^T / sqrt(d))\nO = P V\n"
               "L = tr(G^T O)",
        answers={"V": "P^T G",
                 "Q": "(P ⊙ (G V^T - (P ⊙ (G V^T)) ones(k))) K / sqrt(d)",
                 "K": "(P ⊙ (G V^T - (P ⊙ (G V^T)) ones(k)))^T Q / sqrt(d)"},
        reference=ATTENTION),
    dict(
        name="residual-block", course="Papers", title="Residual block",
        description="y = x + W2 relu(W1 x + b1): the identity path carries the gradient u through unchanged",
        source="z1 = W1 x + b1\ny = x + W2 relu(z1)\nL = u^T y",
        answers={"x": "u + W1^T (step(z1) ⊙ W2^T u)",
                 "W1": "(step(z1) ⊙ W2^T u) x^T",
                 "W2": "u relu(z1)^T"},
        reference=RESNET + ": ∂L/∂x_l = ∂L/∂x_L (1 + ∂F/∂x_l)"),
    dict(
        name="gru-cell", course="Papers", title="GRU cell",
        description="update gate z, reset gate r, candidate c, new state (1 - z) ⊙ h + z ⊙ c; upstream u",
        source="z = σ(Wz x + Uz h)\nr = σ(Wr x + Ur h)\nc = tanh(Wc x + Uc (r ⊙ h))\n"
               "hn = (1 - z) ⊙ h + z ⊙ c\nL = u^T hn",
        answers={"Wz": "(u ⊙ (c - h) ⊙ z ⊙ (1 - z)) x^T",
                 "Wc": "(u ⊙ z ⊙ (1 - c ⊙ c)) x^T",
                 "Wr": "((Uc^T (u ⊙ z ⊙ (1 - c ⊙ c))) ⊙ h ⊙ r ⊙ (1 - r)) x^T",
                 "h": "u ⊙ (1 - z) + Uz^T (u ⊙ (c - h) ⊙ z ⊙ (1 - z)) + r ⊙ (Uc^T (u ⊙ z ⊙ (1 - c ⊙ c)))"
                      " + Ur^T ((Uc^T (u ⊙ z ⊙ (1 - c ⊙ c))) ⊙ h ⊙ r ⊙ (1 - r))"},
        reference=GRU),
    dict(
        name="lstm-cell", course="Papers", title="LSTM cell",
        description="input, forget and output gates i, f, o, candidate g; cn = f ⊙ c + i ⊙ g, "
                    "hn = o ⊙ tanh(cn); upstream u on hn",
        source="ig = σ(Wi x + Ui h + bi)\nfg = σ(Wf x + Uf h + bf)\nog = σ(Wo x + Uo h + bo)\n"
               "gg = tanh(Wg x + Ug h + bg)\ncn = fg ⊙ c + ig ⊙ gg\nhn = og ⊙ tanh(cn)\nL = u^T hn",
        answers={"Wo": "(u ⊙ tanh(cn) ⊙ og ⊙ (1 - og)) x^T",
                 "Wf": "(u ⊙ og ⊙ (1 - tanh(cn) ⊙ tanh(cn)) ⊙ c ⊙ fg ⊙ (1 - fg)) x^T",
                 "Wi": "(u ⊙ og ⊙ (1 - tanh(cn) ⊙ tanh(cn)) ⊙ gg ⊙ ig ⊙ (1 - ig)) x^T",
                 "Wg": "(u ⊙ og ⊙ (1 - tanh(cn) ⊙ tanh(cn)) ⊙ ig ⊙ (1 - gg ⊙ gg)) x^T",
                 "c": "u ⊙ og ⊙ (1 - tanh(cn) ⊙ tanh(cn)) ⊙ fg"},
        reference=LSTM),
    dict(
        name="vae-kl", course="Papers", title="VAE: the KL term",
        description="KL(N(mu, diag(exp(lv))) ‖ N(0, I)) = -½ Σ (1 + lv - mu² - exp(lv)), lv the log-variance",
        source="mu : d\nlv : d\nKL = -1/2 * sum(1 + lv - mu .^ 2 - exp(lv))",
        answers={"mu": "mu", "lv": "(exp(lv) - 1) / 2"},
        reference=VAE + ": -D_KL = ½ Σ_j (1 + log σ_j² - μ_j² - σ_j²)"),
    dict(
        name="infonce", course="Papers", title="InfoNCE (in-batch contrastive loss)",
        description="S = Z1 Z2ᵀ / τ, the positives on the diagonal: L = -(1/N) Σ_i log softmax(S_i)_i",
        source="Z1 : N x d\nZ2 : N x d\nS = Z1 Z2^T / τ\nL = -tr(logsoftmax(S)) / N",
        answers={"Z1": "(softmax(S) - I) Z2 / (N τ)",
                 "Z2": "(softmax(S) - I)^T Z1 / (N τ)"},
        reference=INFONCE + ": ∂L/∂S = (softmax(S) - I) / N",
        domain={"τ": "positive"}),
)
"""The models, as keyword arguments of :class:`matcalc.views.gallery.Example`."""
