"""Gradient flow through time, computed by hand: how ‖∂L/∂h_t‖ shrinks or grows as it travels back.

A random recurrent network (vanilla RNN with tanh, ReLU or no nonlinearity; LSTM; GRU) reads T random
inputs. Its recurrent matrix W_hh (each gate's block, for the LSTM and GRU) is drawn Gaussian,
orthogonal or as the identity and then rescaled so its spectral radius is exactly ρ. The loss is a fixed
random projection of the last hidden state (or the sum over all steps), and the backward pass is written
out step by step in float64 NumPy, the lecture's recursion:

    vanilla:  ∂L/∂h_{t-1} = W_hhᵀ (φ'(a_t) ⊙ ∂L/∂h_t)            (one matrix multiply per step)
    LSTM:     ∂L/∂c_{t-1} = f_t ⊙ ∂L/∂c_t + (terms through h)     (the cell path: elementwise, no W)

`mechanism` returns the per-step Jacobian factors and their running products, the lecture's explanation.
PyTorch's gate orders are used (LSTM i, f, g, o; GRU r, z, n) so tests can check against autograd.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CELLS = ("tanh", "relu", "linear", "lstm", "gru")
INITS = ("gaussian", "orthogonal", "identity")
GATES = {"lstm": 4, "gru": 3}
INPUT_SIZE = 8


@dataclass(frozen=True)
class FlowConfig:
    """One gradient-flow experiment."""

    cell: str = "tanh"
    hidden: int = 64
    steps: int = 200  # T
    rho: float = 1.0  # spectral radius W_hh is rescaled to (None-like 0 is refused)
    init: str = "orthogonal"
    forget_bias: float = 1.0  # LSTM only
    input_scale: float = 1.0  # multiplies W_xh (and the LSTM/GRU input weights)
    loss: str = "last"  # "last": L = u·h_T; "sum": L = Σ_t u·h_t
    seed: int = 0

    def __post_init__(self) -> None:
        if self.cell not in CELLS or self.init not in INITS or self.loss not in ("last", "sum"):
            raise ValueError(f"cell in {CELLS}, init in {INITS}, loss 'last' or 'sum'")
        if not (1 <= self.hidden <= 1024 and 1 <= self.steps <= 5000 and 0 < self.rho <= 100):
            raise ValueError("hidden 1-1024, steps 1-5000, 0 < rho <= 100")


def recurrent_matrix(init: str, hidden: int, rho: float, rng: np.random.Generator) -> np.ndarray:
    """An H × H matrix of the given kind, rescaled so its largest |eigenvalue| is exactly `rho`."""
    if init == "identity":
        W = np.eye(hidden)
    elif init == "orthogonal":
        q, r = np.linalg.qr(rng.normal(size=(hidden, hidden)))
        W = q * np.sign(np.diag(r))  # a uniformly random orthogonal matrix
    else:
        W = rng.normal(scale=1 / np.sqrt(hidden), size=(hidden, hidden))
    return W * (rho / np.abs(np.linalg.eigvals(W)).max())


@dataclass(frozen=True)
class Weights:
    """The network's weights; gate blocks stacked along dim 0 in PyTorch's order."""

    W_ih: np.ndarray  # (G*H, D)
    W_hh: np.ndarray  # (G*H, H)
    b: np.ndarray  # (G*H,) input and recurrent biases together (the GRU keeps b_hn apart)
    b_hn: np.ndarray  # (H,) GRU only: the recurrent bias of the candidate, inside r ⊙ (...)
    u: np.ndarray  # (H,) the loss direction, unit length
    x: np.ndarray  # (T, D) the inputs


def make_weights(cfg: FlowConfig) -> Weights:
    """Draw the inputs and weights of `cfg` (deterministic by its seed)."""
    G, H = GATES.get(cfg.cell, 1), cfg.hidden
    shared = np.random.default_rng([cfg.seed, 0])  # the same inputs and loss direction for every cell
    x, u = shared.normal(size=(cfg.steps, INPUT_SIZE)), shared.normal(size=H)
    rng = np.random.default_rng([cfg.seed, 1])
    W_hh = np.concatenate([recurrent_matrix(cfg.init, H, cfg.rho, rng) for _ in range(G)])  # (G*H, H)
    W_ih = rng.normal(scale=cfg.input_scale / np.sqrt(INPUT_SIZE), size=(G * H, INPUT_SIZE))
    b = np.zeros(G * H)
    if cfg.cell == "lstm":
        b[H: 2 * H] = cfg.forget_bias
    return Weights(W_ih, W_hh, b, np.zeros(H), u / np.linalg.norm(u), x)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(0.5 * a))  # no overflow warnings for large |a|


@dataclass(frozen=True)
class Flow:
    """What one experiment measured (t = 1 .. T)."""

    config: FlowConfig
    h: np.ndarray  # (T, H) hidden states
    dh: np.ndarray  # (T, H) ∂L/∂h_t, total derivative
    dc: np.ndarray | None  # (T, H) ∂L/∂c_t (LSTM)
    forget: np.ndarray | None  # (T, H) forget gates f_t (LSTM)
    deriv: np.ndarray | None  # (T, H) φ'(a_t) of a vanilla RNN

    @property
    def norms(self) -> np.ndarray:
        """‖∂L/∂h_t‖ for t = 1 .. T, computed as m·‖x/m‖ (m = max |x|) so that entries up to float64's limit do
        not overflow when squared; inf only where the gradient itself overflowed."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            m = np.abs(self.dh).max(axis=1, keepdims=True)  # (T, 1)
            scaled = np.where(m > 0, self.dh / np.where(m > 0, m, 1), 0)
            return m[:, 0] * np.linalg.norm(scaled, axis=1)

    @property
    def reach(self) -> str:
        """‖∂L/∂h_1‖ / ‖∂L/∂h_T‖, how much of the gradient at the last step reaches the first, as shown ("overflow"
        past float64)."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            ratio = self.norms[0] / self.norms[-1]
        return f"{ratio:.1e}" if np.isfinite(ratio) else "overflow"

    @property
    def finite(self) -> bool:
        """False when the forward or backward pass overflowed float64 (inf or NaN)."""
        return bool(np.isfinite(self.h).all() and np.isfinite(self.dh).all())

    @property
    def overflows_float32(self) -> bool:
        """Whether a state or gradient passed float32's largest number (3.4e38): a float32 training run on this
        network would get inf, then NaN."""
        big = float(np.finfo(np.float32).max)
        with np.errstate(invalid="ignore"):
            return not self.finite or bool(np.abs(self.h).max() > big or self.norms.max() > big)


def run_flow(cfg: FlowConfig, weights: Weights | None = None) -> Flow:
    """Forward over T steps from h_0 = 0, then the hand-written backward pass."""
    w = weights or make_weights(cfg)
    T, H = cfg.steps, cfg.hidden
    pre_x = w.x @ w.W_ih.T + w.b  # (T, G*H): the input half of every pre-activation
    h = np.zeros((T + 1, H))  # h[0] = h_0
    c = np.zeros((T + 1, H))
    gates = np.zeros((T, GATES.get(cfg.cell, 1) * H))  # activated gates, per step
    hn = np.zeros((T, H))  # GRU: W_hn h + b_hn
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(T):
            if cfg.cell in ("tanh", "relu", "linear"):
                a = pre_x[t] + w.W_hh @ h[t]
                gates[t] = a
                h[t + 1] = np.tanh(a) if cfg.cell == "tanh" else np.maximum(a, 0) if cfg.cell == "relu" else a
            elif cfg.cell == "lstm":
                a = pre_x[t] + w.W_hh @ h[t]
                i, f, g, o = _sigmoid(a[:H]), _sigmoid(a[H:2 * H]), np.tanh(a[2 * H:3 * H]), _sigmoid(a[3 * H:])
                gates[t] = np.concatenate([i, f, g, o])
                c[t + 1] = f * c[t] + i * g
                h[t + 1] = o * np.tanh(c[t + 1])
            else:  # gru
                rec = w.W_hh @ h[t]
                r = _sigmoid(pre_x[t, :H] + rec[:H])
                z = _sigmoid(pre_x[t, H:2 * H] + rec[H:2 * H])
                hn[t] = rec[2 * H:] + w.b_hn
                n = np.tanh(pre_x[t, 2 * H:] + r * hn[t])
                gates[t] = np.concatenate([r, z, n])
                h[t + 1] = (1 - z) * n + z * h[t]
        dh, dc, deriv = _backward(cfg, w, h, c, gates, hn)
    forget = gates[:, H:2 * H] if cfg.cell == "lstm" else None
    return Flow(cfg, h[1:], dh, dc, forget, deriv)


def _backward(cfg: FlowConfig, w: Weights, h: np.ndarray, c: np.ndarray, gates: np.ndarray,
              hn: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """∂L/∂h_t (and ∂L/∂c_t for the LSTM) for every t, by the chain rule one step at a time."""
    T, H = cfg.steps, cfg.hidden
    dh, dc = np.zeros((T, H)), np.zeros((T, H))
    deriv = None
    if cfg.cell in ("tanh", "relu", "linear"):
        a = gates
        deriv = (1 - np.tanh(a) ** 2 if cfg.cell == "tanh" else (a > 0).astype(float) if cfg.cell == "relu"
                 else np.ones_like(a))
    carry_h, carry_c = np.zeros(H), np.zeros(H)  # gradient arriving from step t+1
    for t in range(T - 1, -1, -1):
        dh[t] = carry_h + (w.u if cfg.loss == "sum" or t == T - 1 else 0)
        if cfg.cell in ("tanh", "relu", "linear"):
            carry_h = w.W_hh.T @ (deriv[t] * dh[t])
        elif cfg.cell == "lstm":
            i, f, g, o = (gates[t, k * H:(k + 1) * H] for k in range(4))
            tc = np.tanh(c[t + 1])
            dc[t] = carry_c + dh[t] * o * (1 - tc ** 2)
            da = np.concatenate([dc[t] * g * i * (1 - i), dc[t] * c[t] * f * (1 - f),
                                 dc[t] * i * (1 - g ** 2), dh[t] * tc * o * (1 - o)])
            carry_h, carry_c = w.W_hh.T @ da, dc[t] * f
        else:
            r, z, n = (gates[t, k * H:(k + 1) * H] for k in range(3))
            da_n = dh[t] * (1 - z) * (1 - n ** 2)
            da_r = da_n * hn[t] * r * (1 - r)
            da_z = dh[t] * (h[t] - n) * z * (1 - z)
            W_r, W_z, W_n = w.W_hh[:H], w.W_hh[H:2 * H], w.W_hh[2 * H:]
            carry_h = dh[t] * z + W_n.T @ (da_n * r) + W_r.T @ da_r + W_z.T @ da_z
    return dh, (dc if cfg.cell == "lstm" else None), deriv


@dataclass(frozen=True)
class Mechanism:
    """Why the norms move: per-step factors and their running products back from T (index k = T − t)."""

    step_factor: np.ndarray  # (T,) vanilla: ‖diag(φ'(a_t)) W_hh‖₂; LSTM: the mean forget gate f_t
    product_max: np.ndarray  # (T,) vanilla: largest singular value of ∂h_T/∂h_t; LSTM: max over units of ∏ f_k
    product_min: np.ndarray  # (T,) vanilla: smallest singular value; LSTM: min over units
    product_mean: np.ndarray | None  # (T,) LSTM: mean over units of ∏_{k=t+1}^{T} f_k
    eigenvalues: np.ndarray  # (H,) complex: of W_hh (the first gate block for the LSTM / GRU)


def mechanism(flow: Flow, weights: Weights | None = None) -> Mechanism:
    """The lecture's explanation of `flow`: a product of Jacobians (vanilla) or of forget gates (LSTM cell path)."""
    cfg = flow.config
    w = weights or make_weights(cfg)
    H, T = cfg.hidden, cfg.steps
    eig = np.linalg.eigvals(w.W_hh[:H])
    if cfg.cell == "lstm":
        running = np.cumprod(np.vstack([np.ones(H), flow.forget[:0:-1]]), axis=0)  # row k: ∏ f over the last k steps
        return Mechanism(flow.forget.mean(1)[::-1].copy(), running.max(1), running.min(1), running.mean(1), eig)
    if flow.deriv is None:
        raise ValueError("the mechanism view covers the vanilla RNN and the LSTM's cell path")
    J = flow.deriv[::-1, :, None] * w.W_hh  # (T, H, H): row k is ∂h_t/∂h_{t-1} = diag(φ'(a_t)) W_hh for t = T - k
    products = np.empty((T, H, H))  # row k: ∂h_T/∂h_{T-k}, the product of the k Jacobians after step T - k
    products[0] = np.eye(H)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, T):
            products[k] = products[k - 1] @ J[k - 1]
        ok = np.isfinite(products).all(axis=(1, 2))
        s = np.full((T, H), np.inf)
        s[ok] = np.linalg.svd(products[ok], compute_uv=False)  # one batched call: (T, H), largest first
        factor = np.linalg.norm(J, 2, axis=(1, 2)) if np.isfinite(J).all() else np.full(T, np.inf)
    top, bottom = s[:, 0], s[:, -1]
    return Mechanism(factor, top, bottom, None, eig)


def eigenvalues(cfg: FlowConfig) -> np.ndarray:
    """Eigenvalues of the experiment's W_hh (its first gate block, drawn first and so the same for every cell)."""
    return np.linalg.eigvals(make_weights(cfg).W_hh[: cfg.hidden])
