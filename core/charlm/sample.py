"""Sampling text from a character model: temperature (0 = argmax), top-k, top-p, priming, seed.

Several temperatures are sampled side by side in one batched pass, and every row uses the *same*
Gumbel noise (see core.sampling): for a given seed, moving the temperature changes the text only
through the temperature. Each step's probability distribution is returned with the text.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from core.charlm.loops import filter_logits, generate, step
from core.charlm.model import CharRNN, State
from core.charlm.vocab import Vocab
from core.sampling import gumbel_noise

# The temperatures the sampling page's slider offers: every 0.1 up to 1, where the text changes character, then
# every 0.25 up to 2. The page samples all 15 in one batched pass (the same random numbers in every row), so moving
# the slider only switches between finished samples; each row costs as much as a sample of its own.
TEMPERATURE_GRID = (*(round(0.1 * k, 1) for k in range(11)), 1.25, 1.5, 1.75, 2.0)


@dataclass(frozen=True)
class SampleResult:
    """Generated text for each temperature, with the distributions it was drawn from."""

    prime: str
    temperatures: tuple[float, ...]
    chosen: torch.Tensor  # (B, L) int64: one row per temperature
    logits: torch.Tensor  # (B, L, V) raw scores at each step (temperature 1, before filtering)
    probs: torch.Tensor  # (B, L, V) the distribution actually sampled from (temperature, top-k, top-p applied)
    vocab: Vocab

    def text(self, row: int = 0) -> str:
        """The generated characters of one row (without the priming text)."""
        return self.vocab.decode(self.chosen[row])

    def chosen_probs(self, row: int = 0) -> list[float]:
        """The probability each chosen character had when it was drawn."""
        return self.probs[row].gather(1, self.chosen[row].unsqueeze(1)).squeeze(1).tolist()  # (L, V) -> (L,)

    def at_step(self, step: int, row: int = 0) -> tuple[torch.Tensor, torch.Tensor, int]:
        """(sampled distribution (V,), raw scores (V,), chosen index) of one generation step."""
        return self.probs[row, step], self.logits[row, step], int(self.chosen[row, step])

    def entropies(self, row: int = 0) -> list[float]:
        """The entropy (nats) of each step's distribution."""
        return entropy(self.probs[row]).tolist()


class Stepper:
    """One generation step for a batch, with as few tensor operations as possible (core.charlm.loops.step).

    Generation is bound by streaming the weight matrices once per step; what else a step costs is
    overhead. For the LSTM the stepper precomputes, per layer, one matrix [W_ih | W_hh] with its
    gate rows reordered to (input, forget, output, candidate) so that three gates take one sigmoid;
    the first layer's input half becomes a lookup table (embedding times W_ih, plus biases) indexed
    by the token. The vanilla RNN and GRU use PyTorch's fused single-step cells. Same weights and
    results as `CharRNN.forward`.
    """

    def __init__(self, model: CharRNN) -> None:
        cfg = model.config
        self.cell = cfg.cell
        layers = [model.layer_weights(k) for k in range(cfg.num_layers)]  # (W_ih, W_hh, b_ih, b_hh)
        embed = model.embed.weight  # (V, E)
        self.head_w, self.head_b = model.head.weight, model.head.bias  # (V, H), (V,)
        if self.cell == "lstm":
            H = cfg.hidden_size
            # PyTorch's gate rows i f g o, put in the order i f o g
            order = torch.cat([torch.arange(0, 2 * H), torch.arange(3 * H, 4 * H),
                               torch.arange(2 * H, 3 * H)]).to(embed.device)
            w_ih0, w_hh0, b_ih0, b_hh0 = layers[0]
            self.weights = [(embed @ w_ih0.T + b_ih0 + b_hh0)[:, order],  # (V, 4H): token -> first layer's input gates
                            w_hh0[order].contiguous()]  # (4H, H)
            for w_ih, w_hh, b_ih, b_hh in layers[1:]:
                self.weights += [torch.cat([w_ih, w_hh], dim=1)[order].contiguous(),  # (4H, 2H)
                                 (b_ih + b_hh)[order]]  # (4H,)
        else:
            self.weights = [embed] + [w for layer in layers for w in layer]

    def state_from(self, state: State) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """The model's (L, B, H) state as per-layer lists (h, and c for the LSTM), as this stepper takes it."""
        h, c = state if self.cell == "lstm" else (state, None)
        return list(h.unbind(0)), [] if c is None else list(c.unbind(0))

    def __call__(self, tokens: torch.Tensor, state: tuple[list[torch.Tensor], list[torch.Tensor]]) -> torch.Tensor:
        """Feed (B,) tokens, update `state` (from `state_from`) in place, return (B, V) next-character scores."""
        scores, state[0][:], state[1][:] = step(self.cell, tokens, *state, self.weights, self.head_w, self.head_b)
        return scores

    def generate(self, last: torch.Tensor, state: tuple[list[torch.Tensor], list[torch.Tensor]], noise: torch.Tensor,
                 temperatures: torch.Tensor, top_k: int | None,
                 top_p: float | None) -> tuple[torch.Tensor, torch.Tensor]:
        """`len(noise)` sampling steps in one compiled call (core.charlm.loops.generate): ((B, L) chosen, (B, L, V)
        raw scores)."""
        return generate(self.cell, last, *state, self.weights, self.head_w, self.head_b, noise, temperatures, top_k,
                        top_p)


@torch.inference_mode()
def sample(model: CharRNN, vocab: Vocab, prime: str, length: int, temperatures: Sequence[float] = (1.0,),
           seed: int = 0, top_k: int | None = None, top_p: float | None = None) -> SampleResult:
    """Generate `length` characters after `prime` at each temperature, all rows in one batch, on the model's device
    (the noise is drawn on the CPU from `seed` and moved there; the result's tensors are on the CPU)."""
    if not prime:
        raise ValueError("the priming text is empty: give the model at least one character to start from")
    if length < 1:
        raise ValueError(f"length must be >= 1, got {length}")
    temps = tuple(float(t) for t in temperatures)
    if any(not t >= 0 for t in temps):
        raise ValueError(f"temperatures must be >= 0, got {temps}")
    model.eval()
    B, V, device = len(temps), len(vocab), model.head.weight.device
    idx = vocab.encode(prime).unsqueeze(0).repeat(B, 1).to(device)  # (B, P)
    noise = gumbel_noise((length, 1, V), seed, dtype=torch.float32).to(device)  # (L, 1, V): the same for every row
    temp_col = torch.tensor(temps).unsqueeze(1).to(device)  # (B, 1)
    logits, state = model(idx)  # read the priming text with the fused layers; logits (B, P, V)
    stepper = Stepper(model)
    chosen, raw_logits = stepper.generate(logits[:, -1], stepper.state_from(state), noise, temp_col, top_k, top_p)
    return SampleResult(prime, temps, chosen.cpu(), raw_logits.cpu(),
                        sampled_distribution(raw_logits, temp_col, top_k, top_p).cpu(), vocab)


def sampled_distribution(logits: torch.Tensor, temperatures: torch.Tensor, top_k: int | None,
                         top_p: float | None) -> torch.Tensor:
    """The distribution each row actually sampled from: softmax of the filtered y / T (one-hot at T = 0).

    logits (B, L, V), temperatures (B, 1) -> (B, L, V).
    """
    t = temperatures.unsqueeze(-1)  # (B, 1, 1)
    scaled = filter_logits(logits / t.clamp(min=1e-6), top_k, top_p)
    greedy = torch.nn.functional.one_hot(logits.argmax(dim=-1), logits.shape[-1]).to(logits.dtype)
    return torch.where(t == 0, greedy, torch.softmax(scaled, dim=-1))


def grid_row(temperature: float, grid: Sequence[float] = TEMPERATURE_GRID) -> int:
    """The row of `grid` nearest to `temperature` (a value from outside the grid snaps to its neighbour)."""
    return min(range(len(grid)), key=lambda k: abs(grid[k] - float(temperature)))


def repetition_score(text: str, n: int = 20) -> float:
    """Fraction of the text's n-character windows that already appeared earlier in it (0: no loops).

    Argmax and low temperatures fall into loops that repeat a phrase; this flags them.
    """
    windows = [text[i: i + n] for i in range(len(text) - n + 1)]
    if not windows:
        return 0.0
    seen, repeats = set(), 0
    for w in windows:
        repeats += w in seen
        seen.add(w)
    return repeats / len(windows)


def entropy(probs: torch.Tensor) -> torch.Tensor:
    """Entropy in nats of each distribution along the last axis."""
    return -(probs * probs.clamp_min(1e-12).log()).sum(dim=-1)
