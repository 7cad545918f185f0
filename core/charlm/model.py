"""Character-level language models: vanilla RNN, LSTM and GRU, 1-3 layers, any hidden size.

Three paths share the same weights:
- `forward` runs PyTorch's fused nn.RNN / nn.LSTM / nn.GRU: fast, used for training and evaluation;
- `forward_cells` runs hand-written cells, step by step, and records every hidden state (and the
  LSTM's cell state and gates, the GRU's gates): the readable reference;
- `record` gives the same record as `forward_cells` from the fused layers, one layer at a time: every
  gate is a function of x_t and h_{t-1}, so once the fused layer has produced every h_t the gates of
  all steps come from one matrix product; only the LSTM's c_t = f_t c_{t-1} + i_t g_t is left as an
  elementwise loop. This is what the views run. Tests prove all three agree.

The hand-written cells follow PyTorch's equations and gate order exactly:
  RNN:  h' = tanh(W_ih x + b_ih + W_hh h + b_hh)
  LSTM: i, f, g, o = split(W_ih x + b_ih + W_hh h + b_hh); c' = σ(f)·c + σ(i)·tanh(g); h' = σ(o)·tanh(c')
  GRU:  r, z = σ(...); n = tanh(W_in x + b_in + r·(W_hn h + b_hn)); h' = (1 − z)·n + z·h
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from core.charlm.loops import activated_gates, record_layer

CELLS = ("rnn", "lstm", "gru")
State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]  # h (L, B, H), or (h, c) for the LSTM


@dataclass(frozen=True)
class CharConfig:
    """Everything that defines a character model's architecture."""

    vocab_size: int
    cell: str = "lstm"
    hidden_size: int = 512
    num_layers: int = 1
    embed_size: int = 64
    dropout: float = 0.0  # during training only: on the embedding, between layers and before the read-out

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, got {self.cell!r}")
        if not 1 <= self.num_layers <= 3:
            raise ValueError(f"num_layers must be 1 to 3, got {self.num_layers}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if not (1 <= self.hidden_size <= 2048 and 1 <= self.embed_size <= 1024 and 2 <= self.vocab_size <= 4096):
            raise ValueError("sizes out of range: hidden_size 1-2048, embed_size 1-1024, vocab_size 2-4096")

    def to_dict(self) -> dict:
        """Plain data for a checkpoint."""
        return asdict(self)


@dataclass(frozen=True)
class CellRecord:
    """Per-step values from the hand-written cells (B batch, T steps, L layers, H units)."""

    h: torch.Tensor  # (L, B, T, H) hidden state after each step
    c: torch.Tensor | None  # (L, B, T, H) LSTM cell state
    # name -> (L, B, T, H): LSTM input/forget/output/candidate, GRU reset/update/candidate
    gates: dict[str, torch.Tensor]


class CharRNN(nn.Module):
    """Embedding -> recurrent layers -> linear read-out to next-character scores."""

    def __init__(self, config: CharConfig) -> None:
        super().__init__()
        self.config = config
        fused = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[config.cell]
        self.embed = nn.Embedding(config.vocab_size, config.embed_size)
        self.rnn = fused(config.embed_size, config.hidden_size, config.num_layers, batch_first=True,
                         dropout=config.dropout if config.num_layers > 1 else 0.0)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden_size, config.vocab_size)

    def init_state(self, batch: int, device: torch.device | None = None) -> State:
        """Zero initial state for `batch` sequences."""
        shape = (self.config.num_layers, batch, self.config.hidden_size)
        h = torch.zeros(shape, device=device or self.head.weight.device)
        return (h, h.clone()) if self.config.cell == "lstm" else h

    def forward(self, idx: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """(B, T) character indices -> (B, T, V) scores and the final state, by the fused layers.

        Dropout (if configured) acts only in training mode; in eval mode this equals `forward_cells`.
        """
        out, state = self.rnn(self.drop(self.embed(idx)), state)  # out: (B, T, H)
        return self.head(self.drop(out)), state

    def layer_weights(self, layer: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """W_ih, W_hh, b_ih, b_hh of one layer (gates stacked along dim 0, in PyTorch's order)."""
        return tuple(getattr(self.rnn, f"{name}_l{layer}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    def forward_cells(self, idx: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State, CellRecord]:
        """The same computation as `forward`, by hand-written cells, recording every step."""
        B, T = idx.shape
        cell, L = self.config.cell, self.config.num_layers
        state = self.init_state(B, idx.device) if state is None else state
        h_all, c_all = (state if cell == "lstm" else (state, None))
        x = self.embed(idx)  # (B, T, E)
        hs, cs, gates = [], [], {}
        for layer in range(L):
            W_ih, W_hh, b_ih, b_hh = self.layer_weights(layer)
            h = h_all[layer]  # (B, H)
            c = None if c_all is None else c_all[layer]
            xs = x @ W_ih.T + b_ih  # (B, T, G*H): the input half of every gate, for all steps at once
            outs, layer_c, layer_gates = [], [], {}
            for t in range(T):
                if cell == "rnn":
                    h = torch.tanh(xs[:, t] + h @ W_hh.T + b_hh)
                    step_gates = {}
                elif cell == "lstm":
                    i, f, g, o = (xs[:, t] + h @ W_hh.T + b_hh).chunk(4, dim=-1)  # each (B, H)
                    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
                    c = f * c + i * g
                    h = o * torch.tanh(c)
                    layer_c.append(c)
                    step_gates = {"input": i, "forget": f, "output": o, "candidate": g}
                else:  # gru
                    xr, xz, xn = xs[:, t].chunk(3, dim=-1)
                    hr, hz, hn = (h @ W_hh.T + b_hh).chunk(3, dim=-1)
                    r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
                    n = torch.tanh(xn + r * hn)
                    h = (1 - z) * n + z * h
                    step_gates = {"reset": r, "update": z, "candidate": n}
                outs.append(h)
                for name, value in step_gates.items():
                    layer_gates.setdefault(name, []).append(value)
            x = torch.stack(outs, dim=1)  # (B, T, H): this layer's output is the next layer's input
            hs.append(x)
            if cell == "lstm":
                cs.append(torch.stack(layer_c, dim=1))
            for name, values in layer_gates.items():
                gates.setdefault(name, []).append(torch.stack(values, dim=1))
        h_T = torch.stack([h_seq[:, -1] for h_seq in hs])  # (L, B, H)
        record = CellRecord(torch.stack(hs), torch.stack(cs) if cs else None,
                            {name: torch.stack(v) for name, v in gates.items()})
        final = (h_T, torch.stack([c_seq[:, -1] for c_seq in cs])) if cell == "lstm" else h_T
        return self.head(x), final, record

    def record(self, idx: torch.Tensor) -> tuple[torch.Tensor, CellRecord]:
        """`forward_cells` from a zero state, computed from the fused layers: (B, T, V) scores and the record.

        Several times faster than the hand-written loop (benchmarks/analysis.py); a test holds the two equal.
        """
        scores, layers = self.record_layers(idx)
        gates = {name: torch.stack([layer[2][name] for layer in layers]) for name in layers[0][2]}
        cs = [layer[1] for layer in layers if layer[1] is not None]
        return scores, CellRecord(torch.stack([layer[0] for layer in layers]), torch.stack(cs) if cs else None, gates)

    def record_layers(self, idx: torch.Tensor, state: list[tuple[torch.Tensor, torch.Tensor | None]] | None = None,
                      with_gates: bool = True
                      ) -> tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor | None, dict[str, torch.Tensor]]]]:
        """`record` per layer, without stacking the layers: (B, T, V) scores and, per layer, (h, c or None, gates),
        each (B, T, H). `state` continues from per-layer (h, c) of shape (B, H) (c None but for the LSTM) instead of
        zeros: a text read in two parts records exactly what it records read at once. Without gates the gate dicts
        are empty and only what c needs is computed (gates_from_outputs computes them later from h)."""
        B, H = idx.shape[0], self.config.hidden_size
        x = self.embed(idx)  # (B, T, E)
        layers = []
        for layer in range(self.config.num_layers):  # one compiled call a layer (core.charlm.loops.record_layer)
            h0, c0 = (x.new_zeros(B, H), x.new_zeros(B, H)) if state is None else state[layer]  # (B, H) each
            h, c, gates = record_layer(self.config.cell, x, h0, x.new_zeros(B, H) if c0 is None else c0,
                                       list(self.layer_weights(layer)), self.embed.weight if layer == 0 else None, idx,
                                       with_gates)
            layers.append((h, c, gates))
            x = h  # this layer's output is the next layer's input
        return self.head(x), layers

    def gates_from_outputs(self, idx: torch.Tensor, hs: list[torch.Tensor]) -> list[dict[str, torch.Tensor]]:
        """Every layer's gates at every step, from the token ids (B, T) and each layer's outputs h (B, T, H), read from
        a zero state: what `record_layers` gives with gates, without reading the text again (each gate is a function
        of x_t and h_{t-1}). Per layer, name -> (B, T, H)."""
        x, out = self.embed(idx), []
        for layer, h in enumerate(hs):
            out.append(activated_gates(self.config.cell, x, h, h.new_zeros(h.shape[0], h.shape[2]),
                                       list(self.layer_weights(layer)), self.embed.weight if layer == 0 else None, idx,
                                       False))
            x = h
        return out

    def num_parameters(self) -> int:
        """How many trainable numbers the model has."""
        return sum(p.numel() for p in self.parameters())
