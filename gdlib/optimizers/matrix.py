r"""Optimizers for matrix parameters: Shampoo, SOAP, Muon (Adafactor: :mod:`.adafactor`).

Notation (the book's notation page): step t reads θ_{t-1}, uses g_t = ∇J(θ_{t-1}) and
writes θ_t; η learning rate, γ momentum coefficient, β1 and β2 decay rates, ε smoothing
term, m_t and v_t moment estimates. A matrix block of θ is written W (d_in × d_out, the layout of
:class:`gdlib.MLP`: W maps d_in inputs to d_out outputs) and its gradient G_t. Shampoo's
statistics are written 𝓛_t, 𝓡_t (the papers' L_t, R_t; the book keeps L for the Lipschitz
constant and R for a rotation).

**Shapes.** These methods precondition a matrix from the left and from the right, so they
must know where the matrices of θ are. The constructor takes ``shapes``:

* ``shapes=None`` (the default): θ itself is the one block, with its own shape. A 2-D θ is
  one matrix; a 1-D θ is one vector block.
* a list of shapes, e.g. ``gdlib.MLP(...).param_shapes`` = ``[(m1, n1), (n1,), ...]``: θ is
  flat and :func:`gdlib.base.blocks` cuts it into these tensors, in order.

The matrix rule applies to every block with two or more axes (a block of more axes is read
as the matrix ``shape[0] × rest``); a vector block (a bias) gets the rule named in the
class's ``vector_rule``, the one its paper or its reference implementation uses. The state
lives in flat arrays with the book's names (those of per-block matrices are concatenated),
so ``step`` stays all or nothing exactly as for every other optimizer.
"""

from __future__ import annotations

import math

import numpy as np

from ..base import (
    NonFiniteError,
    Optimizer,
    blocks,
    check_int,
    check_shapes,
    decay,
    divide,
    nonnegative,
    positive,
)

__all__ = ["Shampoo", "SOAP", "Muon", "newton_schulz", "NS_COEFFS"]

#: Jordan's quintic Newton–Schulz coefficients (a, b, c): p(σ) = aσ + bσ³ + cσ⁵.
NS_COEFFS = (3.4445, -4.7750, 2.0315)


class _Int:
    """An integer setting ≥ ``low``, checked whenever it is set (ValueError naming it)."""

    def __init__(self, low):
        self.low = low

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, objtype=None):
        return self if obj is None else obj.__dict__[self.name]

    def __set__(self, obj, value):
        obj.__dict__[self.name] = check_int(self.name, value, self.low)


class _Choice:
    """A setting restricted to a few values (True/False, or names)."""

    def __init__(self, *options):
        self.options = options

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, objtype=None):
        return self if obj is None else obj.__dict__[self.name]

    def __set__(self, obj, value):
        if not any(
            value is o or (type(value) is type(o) and value == o) for o in self.options
        ):
            raise ValueError(
                f"{self.name} must be one of {self.options}, got {value!r}"
            )
        obj.__dict__[self.name] = value


def _rms(x):
    """RMS(x) = √(mean x²), computed without overflow or underflow of x²."""
    s = float(np.max(np.abs(x))) if x.size else 0.0
    return 0.0 if s == 0.0 else s * math.sqrt(float(np.mean(np.square(x / s))))


def _as_matrix(x):
    """A block as the matrix the rules act on (None for a vector block)."""
    return x.reshape(x.shape[0], -1) if x.ndim >= 2 else None


def inverse_root(S, p, eps):
    r"""(S + εI)^{-1/p} of a symmetric positive-semidefinite S, by its eigendecomposition.

    Eigenvalues at the level of round-off (below n·u·λ_max) count as 0, and with ε = 0 a
    zero eigenvalue gets 0 (the pseudo-inverse root), so a direction that has seen no
    gradient does not move. A 1-D ``S`` stands for the diagonal matrix diag(S).
    """
    S = np.asarray(S, dtype=np.float64)
    if not np.isfinite(S).all():
        raise NonFiniteError(
            "a preconditioner statistic overflowed to inf/NaN from finite inputs; "
            "the step was undone",
            "update",
            -1,
            int(S.size - np.count_nonzero(np.isfinite(S))),
        )
    if S.ndim == 1:
        return divide(1.0, (np.maximum(S, 0.0) + eps) ** (1.0 / p))
    w, Q = np.linalg.eigh((S + S.T) / 2)
    tol = max(float(w.max()), 0.0) * S.shape[0] * np.finfo(np.float64).eps
    w = np.where(w > tol, w, 0.0) + eps
    return (Q * divide(1.0, w ** (1.0 / p))) @ Q.T


def _left(P, G):
    """P G for a matrix P, diag(P) G for a vector P, G for None."""
    return G if P is None else (P @ G if P.ndim == 2 else P[:, None] * G)


def _right(G, P):
    """G P for a matrix P, G diag(P) for a vector P, G for None."""
    return G if P is None else (G @ P if P.ndim == 2 else G * P[None, :])


def newton_schulz(X, steps=5, coeffs=NS_COEFFS, eps=1e-8):
    r"""The Newton–Schulz orthogonalisation of Muon (Jordan et al., 2024).

    .. math::
        X_0 = \frac{X}{\lVert X \rVert_F + \epsilon}, \qquad
        X_{k} = a_{\mathrm{NS}} X_{k-1} + b_{\mathrm{NS}} (X_{k-1} X_{k-1}^\top) X_{k-1}
        + c_{\mathrm{NS}} (X_{k-1} X_{k-1}^\top)^2 X_{k-1}

    ``steps`` times. On the SVD X = U S Vᵀ each step maps every singular value x to
    f_NS(x) = a_NS x + b_NS x³ + c_NS x⁵ and keeps U and V, so the result is
    U f_NS^{∘k}(S/‖X‖_F) Vᵀ: with Jordan's (a_NS, b_NS, c_NS) = (3.4445, −4.7750, 2.0315) and 5 steps every singular value not
    too small lands in about [0.7, 1.2], close to the polar factor U Vᵀ (not equal to it).
    A tall X is transposed first (the result is the same, the products are smaller).
    """
    X = np.asarray(X, dtype=np.float64)
    a, b, c = coeffs
    tall = X.shape[0] > X.shape[1]
    X = divide(X.T if tall else X, np.linalg.norm(X) + eps)  # X_0, ‖X_0‖_2 ≤ 1
    for _ in range(steps):
        A = X @ X.T
        X = a * X + (b * A + c * A @ A) @ X
    return X.T if tall else X


class _Blocked(Optimizer):
    """θ as a list of blocks (see the module docstring) and state packed per block."""

    elementwise = False  # the rules couple the coordinates of a matrix
    squares_gradient = True
    #: per state name: what each block needs, ``fn(block_shape) -> shape or None``.
    packed: dict = {}

    def __init__(self, shapes=None):
        self.shapes = None if shapes is None else check_shapes(shapes)
        super().__init__()

    def reset(self):
        super().reset()
        self._layout = None

    def _split(self, x):
        """The blocks of θ (or of an array shaped like θ); a 0-d θ is a vector of one."""
        if self.shapes is None:
            return [x.reshape(1) if x.ndim == 0 else x]
        return blocks(x, self.shapes)

    def init_state(self, theta):
        if self.shapes is not None:
            check_shapes(self.shapes, theta.size)
            if not theta.flags.c_contiguous:
                raise ValueError("theta must be C-contiguous when shapes are given")
        shapes = [b.shape for b in self._split(np.empty(theta.shape, np.int8))]
        self._layout = {}
        for name in self.state_names:
            if name not in self.packed:  # shaped like θ
                setattr(self, name, np.zeros(theta.shape, theta.dtype))
                continue
            parts, offset = [], 0
            for shape in shapes:
                want = self.packed[name](self, shape)
                size = 0 if want is None else math.prod(want)
                parts.append((offset, want))
                offset += size
            self._layout[name] = parts
            setattr(self, name, np.zeros(offset, theta.dtype))

    def _packed(self, name, i):
        """Block i's part of the packed state ``name`` (a view), or None if it has none."""
        offset, shape = self._layout[name][i]
        if shape is None:
            return None
        a = getattr(self, name)
        return a[offset : offset + math.prod(shape)].reshape(shape)

    def _pairs(self, theta, g):
        """(index, θ block, matrix or None, gradient block as a float64 array)."""
        for i, (th, gb) in enumerate(
            zip(self._split(theta), self._split(np.ascontiguousarray(g)))
        ):
            yield i, th, _as_matrix(gb), np.asarray(gb, dtype=np.float64)


def _factor(self, side):
    """Shampoo's factor for a side of length n: full n × n up to max_dim, else its diagonal."""
    return (side, side) if side <= self.max_dim else (side,)


class Shampoo(_Blocked):
    r"""Shampoo (Gupta, Koren & Singer, 2018), Algorithm 1: a Kronecker-factored preconditioner.

    For a matrix block W (d_in × d_out) with gradient G_t:

    .. math::
        \mathcal{L}_t = \mathcal{L}_{t-1} + G_t G_t^\top, \qquad
        \mathcal{R}_t = \mathcal{R}_{t-1} + G_t^\top G_t,

        W_t = W_{t-1} - \eta\, (\mathcal{L}_t + \epsilon I)^{-1/4}\, G_t\,
            (\mathcal{R}_t + \epsilon I)^{-1/4}

    with 𝓛_0 = 𝓡_0 = 0 (the paper's L_t, R_t start from εI: the same thing). The
    roots come from ``numpy.linalg.eigh``; ε = 0 uses the pseudo-inverse root. Since
    (𝓛^{-1/4} ⊗ 𝓡^{-1/4}) vec(G) is the product above, Shampoo preconditions vec(W) with the
    Kronecker product of the two factors, a d_in·d_out × d_in·d_out matrix it never forms.

    ``vector_rule``: a vector block g of length n is the paper's order-1 tensor (Algorithm 2
    with k = 1), full-matrix Adagrad: H_t = H_{t-1} + g_t g_tᵀ, θ_t = θ_{t-1} −
    η (H_t + εI)^{-1/2} g_t. A side longer than ``max_dim`` keeps only the diagonal of its
    statistic (a diagonal, Adagrad-like factor; eigh of a d × d matrix costs O(d³)).

    References
    ----------
    Gupta, V., Koren, T. & Singer, Y. (2018). Shampoo: Preconditioned stochastic tensor
    optimization. ICML 2018, PMLR 80, 1842–1850.
    """

    eta = positive()
    eps = nonnegative()
    max_dim = _Int(1)
    state_names = ("L", "R")
    vector_rule = "full-matrix Adagrad (Shampoo for an order-1 tensor)"
    packed = {
        "L": lambda self, s: _factor(self, s[0] if len(s) >= 2 else s[0]),
        "R": lambda self, s: _factor(self, math.prod(s[1:])) if len(s) >= 2 else None,
    }

    def __init__(self, eta=0.01, eps=1e-8, shapes=None, max_dim=2048):
        self.eta, self.eps, self.max_dim = eta, eps, max_dim
        super().__init__(shapes)

    def update(self, theta, g):
        for i, th, G, gb in self._pairs(theta, g):
            L, R = self._packed("L", i), self._packed("R", i)
            if (
                G is None
            ):  # vector block: H_t = H_{t-1} + g gᵀ, step (H_t + εI)^{-1/2} g
                L += np.outer(gb, gb) if L.ndim == 2 else gb * gb
                step = _left(inverse_root(L, 2, self.eps), gb[:, None])
            else:
                L += G @ G.T if L.ndim == 2 else np.sum(G * G, axis=1)  # L_t
                R += G.T @ G if R.ndim == 2 else np.sum(G * G, axis=0)  # R_t
                Lr, Rr = inverse_root(L, 4, self.eps), inverse_root(R, 4, self.eps)
                step = _right(_left(Lr, G), Rr)  # L_t^{-1/4} G_t R_t^{-1/4}
            th -= (self.eta * step).reshape(th.shape).astype(th.dtype)


def _eigenbasis(S):
    """The eigenvectors of a symmetric statistic (columns), or an error if it overflowed."""
    S = np.asarray(S, dtype=np.float64)
    if not np.isfinite(S).all():
        raise NonFiniteError(
            "SOAP's statistic overflowed to inf/NaN from finite inputs; the step was undone",
            "update",
            -1,
            int(S.size - np.count_nonzero(np.isfinite(S))),
        )
    return np.linalg.eigh((S + S.T) / 2)[1]


def _T(Q):
    return None if Q is None else Q.T


def _square(self, side):
    return (side, side) if side <= self.max_dim else None


class SOAP(_Blocked):
    r"""SOAP (Vyas et al., 2025): Adam run in the eigenbasis of Shampoo's preconditioner.

    For a matrix block W with gradient G_t, with Q_L, Q_R the eigenvectors of the
    statistics L, R of the earlier steps:

    .. math::
        G'_t = Q_{\mathcal{L}}^\top G_t Q_{\mathcal{R}}, \qquad
        m_t = \beta_1 m_{t-1} + (1-\beta_1) G_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) G'^{\,2}_t,

        W_t = W_{t-1} - \eta\, Q_{\mathcal{L}} \frac{Q_{\mathcal{L}}^\top \hat m_t Q_{\mathcal{R}}}
        {\sqrt{\hat v_t} + \epsilon} Q_{\mathcal{R}}^\top - \lambda_{\mathrm{wd}} W_{t-1},

        \mathcal{L}_t = \beta_2 \mathcal{L}_{t-1} + (1-\beta_2) G_t G_t^\top, \quad
        \mathcal{R}_t = \beta_2 \mathcal{R}_{t-1} + (1-\beta_2) G_t^\top G_t,

    with m̂_t, v̂_t bias-corrected as in :class:`Adam`; m_t lives in the original
    coordinates, v_t in the rotated ones, and v_t is kept across a change of basis
    (Algorithm 3 of the paper). As in the reference code, a matrix block never uses the
    current gradient in its basis: step 1 only accumulates 𝓛_1, 𝓡_1 and computes the first
    Q_𝓛, Q_𝓡 (state ``QL``, ``QR``) (``numpy.linalg.eigh``), without moving W; the Adam steps k = t − 1 = 1, 2, ...
    follow (m̂, v̂ corrected with β^k), and the basis is recomputed every f = ``frequency``
    of them (when k is a multiple of f), by ``eigh`` (the reference code uses one power
    iteration with a QR decomposition, a cheaper approximation of the same eigenvectors).
    The reference code's ``weight_decay`` is λ_wd/η and it puts ε outside the bias
    correction (√v_k + ε, then the factor √(1 − β2^k)/(1 − β1^k)); here ε is added to √v̂_k
    as in :class:`Adam`. A side longer than ``max_dim`` keeps the identity basis (reference
    default 10 000; 2048 here, eigh costs O(d³)). ``vector_rule``: Adam for vector blocks
    (the reference code's default, ``precondition_1d=False``), from step 1 (the reference
    code skips step 1 for every parameter; a vector has no basis to wait for).

    References
    ----------
    Vyas, N., Morwani, D., Zhao, R., Kwun, M., Shapira, I., Brandfonbrener, D., Janson, L.
    & Kakade, S. (2025). SOAP: Improving and stabilizing Shampoo using Adam. ICLR 2025.
    Gupta, V., Koren, T. & Singer, Y. (2018). Shampoo: Preconditioned stochastic tensor
    optimization. ICML 2018.
    """

    eta = positive()
    beta1 = decay()
    beta2 = decay()
    eps = nonnegative()
    weight_decay = nonnegative()
    frequency = _Int(1)
    max_dim = _Int(1)
    state_names = ("m", "v", "L", "R", "QL", "QR")
    unbounded_state = ("L", "R")
    vector_rule = "Adam"
    packed = {
        "L": lambda self, s: _square(self, s[0]) if len(s) >= 2 else None,
        "R": lambda self, s: _square(self, math.prod(s[1:])) if len(s) >= 2 else None,
    }
    packed["QL"], packed["QR"] = packed["L"], packed["R"]

    def __init__(
        self,
        eta=3e-3,
        beta1=0.95,
        beta2=0.95,
        eps=1e-8,
        weight_decay=0.0,
        frequency=10,
        shapes=None,
        max_dim=2048,
    ):
        self.eta, self.beta1, self.beta2, self.eps = eta, beta1, beta2, eps
        self.weight_decay, self.frequency, self.max_dim = (
            weight_decay,
            frequency,
            max_dim,
        )
        super().__init__(shapes)

    def init_state(self, theta):
        super().init_state(theta)
        for name in ("QL", "QR"):
            for i in range(len(self._layout[name])):
                Q = self._packed(name, i)
                if Q is not None:
                    Q[...] = np.eye(Q.shape[0])  # Q_L = Q_R = I before the first basis

    def update(self, theta, g):
        b1, b2 = self.beta1, self.beta2
        for i, th, G, gb in self._pairs(theta, g):
            m, v = self._split(self.m)[i], self._split(self.v)[i]
            QL, QR = self._packed("QL", i), self._packed("QR", i)
            # a matrix block waits one step for its basis: its Adam step count is k = t - 1
            k = self.t if G is None else self.t - 1
            X = gb if G is None else G
            if k >= 1:
                rotate = (
                    (lambda X: X)
                    if G is None
                    else (lambda X: _right(_left(_T(QL), X), QR))
                )
                back = (
                    (lambda X: X)
                    if G is None
                    else (lambda X: _right(_left(QL, X), _T(QR)))
                )
                m *= b1
                m += (1 - b1) * gb  # m_t (original coordinates)
                Gp = rotate(X)  # G'_t
                v *= b2
                v += (1 - b2) * (Gp * Gp).reshape(v.shape)  # v_t (rotated coordinates)
                m_hat = m.reshape(X.shape) / (1 - b1**k)
                v_hat = v.reshape(X.shape) / (1 - b2**k)
                N = back(divide(rotate(m_hat), np.sqrt(v_hat) + self.eps))
                step = self.eta * N + self.weight_decay * th.reshape(X.shape)
                th -= step.reshape(th.shape).astype(th.dtype)
            if G is None:
                continue
            for S, Q, Y in (
                (self._packed("L", i), QL, G),
                (self._packed("R", i), QR, G.T),
            ):
                if S is not None:
                    S *= b2
                    S += (1 - b2) * (Y @ Y.T)  # L_t, R_t
                    if k % self.frequency == 0:  # k = 0: the first basis
                        Q[...] = _eigenbasis(S)


class Muon(_Blocked):
    r"""Muon (Jordan et al., 2024): momentum, then Newton–Schulz orthogonalisation.

    For a matrix block W (d_in × d_out) with gradient G_t:

    .. math::
        m_t = \gamma m_{t-1} + (1-\gamma) G_t, \qquad
        m^{\mathrm{nes}}_t = (1-\gamma) G_t + \gamma m_t
        \ \text{(Nesterov; } m^{\mathrm{nes}}_t = m_t \text{ without)},

        W_t = W_{t-1} - \eta\, c_{\mathrm{shape}}\, \mathrm{NS}_5(m^{\mathrm{nes}}_t)
        - \lambda_{\mathrm{wd}} W_{t-1}

    where NS_5 is :func:`newton_schulz` (5 quintic steps, coefficients (3.4445, −4.7750,
    2.0315)), an approximation of the polar factor U Vᵀ of m^nes_t = U S Vᵀ. Bernstein &
    Newhouse (2024) read −U Vᵀ as the steepest-descent direction under the spectral norm.
    NS is scale invariant, so γ m_{t-1} + G_t (Jordan's blog) gives the same step.

    ``scale`` chooses c_shape: ``"shape"`` (default) √max(1, d_out/d_in) =
    √max(1, fan_out/fan_in), the convention of Jordan's code, ``torch.optim.Muon`` (its
    weight is d_out × d_in, so it writes √max(1, A/B)) and ``optax.contrib.muon``;
    ``"rms"`` 0.2·√max(d_in, d_out) (Liu et al.,
    2025; torch's ``adjust_lr_fn="match_rms_adamw"``, optax's ``consistent_rms=0.2``);
    ``"none"`` c_shape = 1. ``bias_correction=True`` divides m_t by 1 − γ^{t+1} and G_t by 1 − γ^t
    in m^nes_t, optax's convention. The decay λ_wd W is not multiplied by η (as in
    :class:`AdamW`): torch's and optax's ``weight_decay`` is λ_wd/η.

    ``vector_rule``: Adam (``eta_vector``, ``beta1``, ``beta2``, ``eps``, no weight decay)
    for vector blocks, as in Jordan's code (AdamW) and optax (its ``adam`` branch);
    ``torch.optim.Muon`` refuses vectors.

    References
    ----------
    Jordan, K., Jin, Y., Boza, V., You, J., Cesista, F., Newhouse, L. & Bernstein, J. (2024).
    Muon: An optimizer for hidden layers in neural networks. Blog post,
    https://kellerjordan.github.io/posts/muon/.
    Bernstein, J. & Newhouse, L. (2024). Old optimizer, new norm: An anthology.
    arXiv:2409.20325.
    Higham, N. J. (2008). Functions of Matrices: Theory and Computation, chapter 8
    (Newton–Schulz iteration for the polar decomposition). SIAM.
    """

    eta = positive()
    gamma = decay()
    eps = nonnegative()
    weight_decay = nonnegative()
    eta_vector = positive()
    beta1 = decay()
    beta2 = decay()
    ns_steps = _Int(0)
    nesterov = _Choice(True, False)
    bias_correction = _Choice(False, True)
    scale = _Choice("shape", "rms", "none")
    state_names = ("m", "v")
    unbounded_state = ()
    vector_rule = "Adam"

    def __init__(
        self,
        eta=0.02,
        gamma=0.95,
        eps=1e-8,
        weight_decay=0.0,
        eta_vector=1e-3,
        beta1=0.9,
        beta2=0.999,
        shapes=None,
        ns_steps=5,
        nesterov=True,
        bias_correction=False,
        scale="shape",
    ):
        self.eta, self.gamma, self.eps, self.weight_decay = (
            eta,
            gamma,
            eps,
            weight_decay,
        )
        self.eta_vector, self.beta1, self.beta2 = eta_vector, beta1, beta2
        self.ns_steps, self.nesterov = ns_steps, nesterov
        self.bias_correction, self.scale = bias_correction, scale
        super().__init__(shapes)

    def update(self, theta, g):
        gm, t = self.gamma, self.t
        for i, th, G, gb in self._pairs(theta, g):
            m, v = self._split(self.m)[i], self._split(self.v)[i]
            m *= gm if G is not None else self.beta1
            if G is None:  # vector block: Adam
                m += (1 - self.beta1) * gb
                v *= self.beta2
                v += (1 - self.beta2) * gb * gb
                m_hat, v_hat = m / (1 - self.beta1**t), v / (1 - self.beta2**t)
                th -= self.eta_vector * divide(m_hat, np.sqrt(v_hat) + self.eps)
                continue
            m += (1 - gm) * gb  # m_t
            mt = m.reshape(G.shape)
            c1, c0 = (1 - gm ** (t + 1), 1 - gm**t) if self.bias_correction else (1, 1)
            M = (1 - gm) * G / c0 + gm * mt / c1 if self.nesterov else mt / c0
            O = newton_schulz(M, self.ns_steps, NS_COEFFS, self.eps)
            rows, cols = G.shape
            s = {
                "shape": math.sqrt(max(1.0, cols / rows)),
                "rms": 0.2 * math.sqrt(max(rows, cols)),
                "none": 1.0,
            }[self.scale]
            step = self.eta * s * O + self.weight_decay * th.reshape(G.shape)
            th -= step.reshape(th.shape).astype(th.dtype)
