"""Gradient flow: the hand-written backward pass against autograd, and the lecture's claims about it."""
from dataclasses import replace

import numpy as np
import pytest
import torch

from core.gradients.flow import FlowConfig, make_weights, mechanism, recurrent_matrix, run_flow


def cell_path_product(forget: np.ndarray, t: int) -> np.ndarray:
    """∂c_T/∂c_t along the cell path alone: ∏_{k=t+1}^{T} f_k, elementwise (H,); t counts from 1 (the reference)."""
    return np.prod(forget[t:], axis=0)


def autograd_dh(cfg: FlowConfig, w) -> tuple[np.ndarray, np.ndarray | None]:
    """∂L/∂h_t (and ∂L/∂c_t) by torch autograd on an independent forward pass of the same network."""
    H = cfg.hidden
    W_ih, W_hh, b, b_hn, u, x = (torch.tensor(a) for a in (w.W_ih, w.W_hh, w.b, w.b_hn, w.u, w.x))
    h = torch.zeros(H, dtype=torch.float64, requires_grad=True)
    c = torch.zeros(H, dtype=torch.float64, requires_grad=True)
    hs, cs, loss = [], [], 0
    if cfg.cell == "gru":
        cell = torch.nn.GRUCell(x.shape[1], H).double()
        with torch.no_grad():
            cell.weight_ih.copy_(W_ih), cell.weight_hh.copy_(W_hh), cell.bias_ih.copy_(b)
            cell.bias_hh.zero_()
            if cfg.cell == "gru":
                cell.bias_hh[2 * H:] = b_hn
    for t in range(cfg.steps):
        if cfg.cell == "lstm":  # written out, so h_t = o·tanh(c_t) really reads the tensor c_t
            i, f, g, o = (W_ih @ x[t] + b + W_hh @ h).chunk(4)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            c.retain_grad()
            h = torch.sigmoid(o) * torch.tanh(c)
            cs.append(c)
        elif cfg.cell == "gru":
            h = cell(x[t][None], h[None])[0]
        else:
            a = W_ih @ x[t] + b + W_hh @ h
            h = torch.tanh(a) if cfg.cell == "tanh" else torch.relu(a) if cfg.cell == "relu" else a
        h.retain_grad()
        hs.append(h)
        if cfg.loss == "sum" or t == cfg.steps - 1:
            loss = loss + u @ h
    loss.backward()
    dh = torch.stack([v.grad for v in hs]).numpy()
    return dh, (torch.stack([v.grad for v in cs]).numpy() if cs else None)


@pytest.mark.parametrize("cell", ["tanh", "relu", "linear", "lstm", "gru"])
@pytest.mark.parametrize("loss", ["last", "sum"])
def test_hand_written_backward_equals_autograd(cell, loss):
    cfg = FlowConfig(cell=cell, hidden=6, steps=12, rho=1.1, init="gaussian", loss=loss, seed=3)
    rng = np.random.default_rng(7)  # non-zero biases, so every bias path (the GRU's b_hn inside r ⊙ (...)) is used
    w = replace(make_weights(cfg), b=rng.normal(size=make_weights(cfg).b.shape), b_hn=rng.normal(size=6))
    flow = run_flow(cfg, w)
    dh, dc = autograd_dh(cfg, w)
    assert np.allclose(flow.dh, dh, rtol=1e-9, atol=1e-12)
    if cell == "lstm":
        assert np.allclose(flow.dc, dc, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("init", ["gaussian", "orthogonal", "identity"])
def test_recurrent_matrix_has_exactly_the_asked_spectral_radius(init):
    W = recurrent_matrix(init, 32, 0.7, np.random.default_rng(0))
    assert np.abs(np.linalg.eigvals(W)).max() == pytest.approx(0.7, rel=1e-10)


@pytest.mark.parametrize("rho", [0.8, 1.0, 1.25])
def test_linear_rnn_with_scaled_orthogonal_weights_scales_the_norm_by_rho_per_step(rho):
    cfg = FlowConfig(cell="linear", hidden=16, steps=60, rho=rho, init="orthogonal")
    norms = run_flow(cfg).norms
    T = cfg.steps
    expected = rho ** (T - np.arange(1, T + 1)) * norms[-1]
    assert np.all(np.abs(norms - expected) / expected < 1e-4)


def test_norms_fall_geometrically_below_one_and_grow_above():
    small = run_flow(FlowConfig(cell="linear", rho=0.9, steps=100)).norms
    large = run_flow(FlowConfig(cell="linear", rho=1.1, steps=100)).norms
    assert np.all(np.diff(small) > 0) and small[0] < 1e-4 * small[-1]  # rising towards T = falling going back
    assert np.all(np.diff(large) < 0) and large[0] > 1e4 * large[-1]


def test_lstm_cell_path_keeps_the_gradient_where_the_tanh_rnn_loses_it():
    T = 200
    lstm = run_flow(FlowConfig(cell="lstm", steps=T, rho=0.1, input_scale=0.1, forget_bias=5.0))
    dc = np.linalg.norm(lstm.dc, axis=1)
    assert dc[T - 101] > 0.01 * dc[T - 1]  # t = T - 100
    rnn = run_flow(FlowConfig(cell="tanh", steps=T, rho=0.9))
    assert rnn.norms[T - 101] < 1e-4 * rnn.norms[T - 1]


def test_the_cell_path_factor_equals_the_product_of_forget_gates_computed_independently():
    cfg = FlowConfig(cell="lstm", hidden=5, steps=30, rho=0.9, forget_bias=2.0, seed=4)
    w = make_weights(cfg)
    cell = torch.nn.LSTMCell(w.x.shape[1], cfg.hidden).double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor(w.W_ih)), cell.weight_hh.copy_(torch.tensor(w.W_hh))
        cell.bias_ih.copy_(torch.tensor(w.b)), cell.bias_hh.zero_()
    h = c = torch.zeros(1, cfg.hidden, dtype=torch.float64)
    forget = []
    with torch.no_grad():
        for t in range(cfg.steps):  # the forget gate from the cell's own weights: σ(W_if x + W_hf h + b_f)
            H = cfg.hidden
            forget.append(torch.sigmoid(cell.weight_ih[H:2 * H] @ torch.tensor(w.x[t]) + cell.bias_ih[H:2 * H]
                                        + cell.weight_hh[H:2 * H] @ h[0]).numpy())
            h, c = cell(torch.tensor(w.x[t])[None], (h, c))
    forget = np.array(forget)
    flow = run_flow(cfg)
    shown = mechanism(flow)
    for k in (1, 7, 29):
        expected = np.prod(forget[cfg.steps - k:], axis=0)
        assert np.allclose(cell_path_product(flow.forget, cfg.steps - k), expected, rtol=1e-10)
        assert shown.product_mean[k] == pytest.approx(expected.mean(), rel=1e-10)
        assert shown.product_max[k] == pytest.approx(expected.max(), rel=1e-10)


def test_vanilla_mechanism_product_bounds_the_norm_ratio():
    cfg = FlowConfig(cell="tanh", hidden=16, steps=40, rho=1.2, init="gaussian", seed=1)
    flow = run_flow(cfg)
    m = mechanism(flow)
    ratio = flow.norms[::-1] / flow.norms[-1]  # ‖∂L/∂h_{T-k}‖ / ‖∂L/∂h_T‖ = ‖(∂h_T/∂h_{T-k})ᵀ u‖
    assert np.all(ratio <= m.product_max * (1 + 1e-9)) and np.all(ratio >= m.product_min * (1 - 1e-9))
    assert m.eigenvalues.shape == (16,) and np.abs(m.eigenvalues).max() == pytest.approx(1.2)


def test_extreme_settings_report_overflow_instead_of_raising():
    flow = run_flow(FlowConfig(cell="linear", rho=3.0, steps=1000))
    assert not flow.finite


def test_every_cell_gets_the_same_inputs_loss_direction_and_first_recurrent_block():
    from core.gradients.flow import eigenvalues

    eig = {cell: np.sort_complex(eigenvalues(FlowConfig(cell=cell, rho=0.8))) for cell in ("tanh", "lstm", "gru")}
    assert np.allclose(eig["tanh"], eig["lstm"]) and np.allclose(eig["tanh"], eig["gru"])
    weights = [make_weights(FlowConfig(cell=cell)) for cell in ("tanh", "lstm", "gru")]
    assert all(np.array_equal(w.x, weights[0].x) and np.array_equal(w.u, weights[0].u) for w in weights)


def test_float32_overflow_is_flagged_before_float64_overflows():
    extreme = run_flow(FlowConfig(cell="linear", rho=3.0, steps=500))
    assert extreme.overflows_float32 and extreme.finite and 1e200 < extreme.norms.max() < np.inf  # float64 copes
    assert extreme.norms[0] / extreme.norms[-1] == pytest.approx(3.0 ** 499, rel=1e-6)
    assert run_flow(FlowConfig(cell="tanh", rho=3.0, steps=500)).overflows_float32  # tanh does not save it: 1e55
    assert not run_flow(FlowConfig(cell="tanh", rho=0.9, steps=500)).overflows_float32
