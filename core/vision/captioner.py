"""Captioning decoders over the frozen encoder's features, one module for the lecture's three models.

- "none":  the lecture's first model: the image's pooled vector sets h_0; each step reads only the
           previous word (<start> first); the output word is fed back in; <end> stops it.
- "soft":  Show, Attend and Tell's soft attention: from h_{t-1} a distribution a_t over the L = 14 × 14
           locations; the context z_t = Σ_i a_ti v_i joins the word as input. One change from the paper:
           the attention also sees the word just read, y_{t-1}, so that after "red" it can look for the red
           thing (the paper's query is h_{t-1} alone, which has not read y_{t-1} yet); the doubly stochastic
           penalty λ Σ_i (1 − Σ_t a_ti)² asks every location to be looked at about once overall.
- "hard":  one location s_t ~ a_t is sampled per step and z_t = v_{s_t}; the attention is trained with
           REINFORCE (reward: the log-likelihood of the caption, minus a moving-average baseline, plus an
           entropy bonus), the rest by backpropagation, as in the paper; `Reinforce` holds what makes the
           estimator usable (several samples with a leave-one-out baseline, a reward per word, the expected
           context on some updates). With `image_state` the LSTM's h_0, c_0 come from the pooled vector, as
           the paper sets them from the mean location vector: one sampled place a word tells the memory less
           than soft attention's average does, and without a summary of the image the shipped hard model
           left objects out or named one twice (every object named 75% of scenes; with it, 93%).

Each location's feature is the grid vector with its (x, y) position appended, so "where" is explicit.
Where to look is decided from the deep channels and the position only (`key_channels`); what is read
there, z_t, is the whole hypercolumn, shallow colour channels included (they are what let the captions get
small objects' colours right).

What the LSTM reads from the attention (`feed`): "context" is the paper's, all of z_t goes into the cell;
"place" feeds it only where it looked (z_t's (x, y), the attention-weighted position) while the whole z_t
still goes to the word scores. With "context", the colour step's z_t carries the object's shape into the
memory, so the next step can say "circle" from memory and look anywhere: measured on the shipped soft model,
shape words' attention put only 35% of its weight on the object and peaked on it 63% of the time (colour
words: 95%). With "place", the memory knows where it has been (enough to move on left to right) but not what
it saw, so each word has to be read where it is said: after 6 epochs on 5,000 scenes, pointing 86% against
61%, and more captions right (every object named 75% against 71%).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from core.sampling import gumbel_noise
from core.vision.shapes import VOCAB
from core.vision.steps import caption_decode, caption_forward, caption_step, locations

ATTENTION = ("none", "soft", "hard")
FEEDS = ("context", "place")  # what the LSTM reads from the attention: all of z_t, or only where it looked
MAX_WORDS = 30  # decoding stops here if <end> never comes (the longest true caption has 25 words)
FEATURE_SIZE, POOLED_SIZE = 152, 1280  # a grid cell's channels (core.vision.encoder), the pooled vector
DEEP_CHANNELS = 112  # the first FEATURE_SIZE channels are block 10's (deep); the rest block 4's (shallow)


@dataclass(frozen=True)
class CaptionConfig:
    """Everything that defines a captioner's architecture."""

    attention: str = "soft"
    hidden: int = 256
    embed: int = 64
    attend: int = 128  # size of the attention MLP's hidden layer
    key_channels: int = DEEP_CHANNELS  # the first channels of a cell (with its x, y) that decide where to look
    vocab_size: int = len(VOCAB)
    feed: str = "context"  # "context": z_t goes into the LSTM (the paper); "place": only z_t's (x, y) does
    image_state: bool = False  # attention models: h_0, c_0 from the pooled vector (as the paper does), not zeros

    def __post_init__(self) -> None:
        if self.attention not in ATTENTION:
            raise ValueError(f"attention must be one of {ATTENTION}, got {self.attention!r}")
        if self.feed not in FEEDS:
            raise ValueError(f"feed must be one of {FEEDS}, got {self.feed!r}")
        if not (1 <= self.hidden <= 2048 and 1 <= self.embed <= 1024 and 1 <= self.attend <= 1024):
            raise ValueError("sizes out of range: hidden 1-2048, embed 1-1024, attend 1-1024")
        if not 0 <= self.key_channels <= FEATURE_SIZE:
            raise ValueError(f"key_channels must be 0-{FEATURE_SIZE}, got {self.key_channels}")

    def to_dict(self) -> dict:
        """Plain data for a checkpoint."""
        return asdict(self)


@dataclass(frozen=True)
class Step:
    """One decoding step's outputs for a batch."""

    logits: torch.Tensor  # (B, V)
    alpha: torch.Tensor | None  # (B, L) attention distribution (None without attention)
    chosen: torch.Tensor | None  # (B,) the sampled location (hard attention)
    state: tuple[torch.Tensor, torch.Tensor]


class Captioner(nn.Module):
    """Word embedding + LSTM cell (+ attention over locations) -> next-word scores."""

    def __init__(self, config: CaptionConfig) -> None:
        super().__init__()
        self.config = config
        c, D = config, FEATURE_SIZE + 2
        self.embed = nn.Embedding(c.vocab_size, c.embed)
        self.init_h = nn.Linear(POOLED_SIZE, c.hidden)
        self.init_c = nn.Linear(POOLED_SIZE, c.hidden)
        context = 0 if c.attention == "none" else D
        self.cell = nn.LSTMCell(c.embed + (2 if c.feed == "place" and context else context), c.hidden)
        self.out = nn.Linear(c.hidden + context, c.vocab_size)
        never = torch.zeros(c.vocab_size, dtype=torch.bool)
        never[[VOCAB.index("<pad>"), VOCAB.index("<start>")]] = True  # never an output: scored −∞
        self.register_buffer("never_said", never, persistent=False)
        if c.attention != "none":
            self.att_v = nn.Linear(c.key_channels + 2, c.attend)
            self.att_h = nn.Linear(c.hidden, c.attend, bias=False)
            self.att_e = nn.Linear(c.embed, c.attend, bias=False)
            self.att_w = nn.Linear(c.attend, 1)

    def start(self, mid: torch.Tensor, pooled: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None, tuple]:
        """Location vectors, their projection for attention, and the initial state: from the image's pooled vector
        for the model without attention and, with `image_state`, for an attention model too (Xu et al. set h_0 and
        c_0 from the mean location vector: the memory starts knowing roughly what is there, e.g. how many things, so
        it knows when a caption is done); zeros otherwise, so attention has to do all the looking."""
        v = locations(mid)  # (B, L, D)
        if self.config.attention == "none" or self.config.image_state:
            state = (torch.tanh(self.init_h(pooled)), torch.tanh(self.init_c(pooled)))
        else:
            zeros = pooled.new_zeros(pooled.shape[0], self.config.hidden)
            state = (zeros, zeros.clone())
        if self.config.attention == "none":
            return v, None, state
        keys = torch.cat([v[..., : self.config.key_channels], v[..., -2:]], dim=-1)  # (B, L, key_channels + 2)
        return v, self.att_v(keys), state

    def start_from(self, other: Captioner) -> None:
        """Take `other`'s weights (the same sizes and feed; soft and hard share every weight). A model whose state
        starts from the image, warm-started from one whose state starts at zeros, gets zero weights into h_0 and c_0,
        so it begins as exactly the model it started from and learns from there what the pooled vector adds."""
        self.load_state_dict(other.state_dict())
        if self.config.image_state and not other.config.image_state:
            with torch.no_grad():
                for layer in (self.init_h, self.init_c):
                    layer.weight.zero_()
                    layer.bias.zero_()

    def weights(self) -> list[torch.Tensor]:
        """The step's weights in the order core.vision.steps.caption_step takes them."""
        w = [self.embed.weight, self.cell.weight_ih, self.cell.weight_hh, self.cell.bias_ih, self.cell.bias_hh,
             self.out.weight, self.out.bias]
        if self.config.attention != "none":
            w += [self.att_h.weight, self.att_e.weight, self.att_w.weight, self.att_w.bias]
        return w

    def step(self, word: torch.Tensor, v: torch.Tensor, pv: torch.Tensor | None, state: tuple,
             generator: torch.Generator | None = None) -> Step:
        """Read the previous word (B,), attend, update the state, score the next word (one compiled call,
        core.vision.steps.caption_step). Hard attention samples where it looks when training or given a
        generator; otherwise, at test time, it looks at the most likely location."""
        logits, alpha, chosen, h, c = caption_step(self.config.attention, self.config.feed, word, v, pv, *state,
                                                   self.weights(), self.never_said,
                                                   self.training or generator is not None, generator)
        return Step(logits, alpha, chosen, (h, c))

    def forward(self, mid: torch.Tensor, pooled: torch.Tensor, tokens: torch.Tensor,
                generator: torch.Generator | None = None, expected: bool = False
                ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """Teacher forcing over (B, T) tokens: scores (B, T−1, V), attention (B, T−1, L), chosen (B, T−1).
        `expected`: a hard-attention model reads the expected context Σ a_i v_i instead of a sampled location (the
        paper's trick for half of its updates; chosen is then None)."""
        v, pv, state = self.start(mid, pooled)
        attention = "soft" if expected and self.config.attention == "hard" else self.config.attention
        return caption_forward(attention, self.config.feed, v, pv, *state, tokens, self.weights(),
                               self.never_said, self.training or generator is not None, generator)


PAD_ID, START_ID, END_ID = VOCAB.index("<pad>"), VOCAB.index("<start>"), VOCAB.index("<end>")


@dataclass
class LossParts:
    """A batch's training loss and what it is made of."""

    total: torch.Tensor
    nll: float  # mean negative log-likelihood per word
    penalty: float  # doubly stochastic penalty (soft attention)
    reward: float  # hard attention's mean REINFORCE reward: a caption's log-likelihood, or a word's (word_reward)


@dataclass(frozen=True)
class Reinforce:
    """How hard attention's sampled locations are trained (REINFORCE), besides the entropy bonus.

    - samples: location sequences drawn per caption; above 1, each is judged against the mean reward of the others
      (a leave-one-out baseline) instead of the moving average the captioner's trainer keeps;
    - word_reward: each step's location is rewarded by the log-probability of the word said at that step, not by the
      whole caption's. Far less noisy, but biased: the place looked at also reaches later words through the LSTM's
      state (with feed "place", its position), and that effect is left out;
    - expected: this update reads the expected context Σ a_i v_i, as soft attention does, and samples nothing (Xu et
      al. do this on half of the updates)."""

    samples: int = 1
    word_reward: bool = False
    expected: bool = False

    def __post_init__(self) -> None:
        if self.samples < 1:
            raise ValueError(f"samples must be at least 1, got {self.samples}")


def advantages(rewards: torch.Tensor, samples: int, baseline: float = 0.0) -> torch.Tensor:
    """REINFORCE's advantage of each reward (rows: `samples` consecutive rows per caption): with one sample, the
    reward minus the moving-average `baseline`; with several, minus the mean of the other samples of the same
    caption (leave one out: no sample is compared with itself, so the estimate stays unbiased)."""
    if samples == 1:
        return rewards - baseline
    grouped = rewards.reshape(-1, samples, *rewards.shape[1:])
    return (grouped - (grouped.sum(1, keepdim=True) - grouped) / (samples - 1)).reshape(rewards.shape)


def word_nll(logits: torch.Tensor, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The negative log-likelihood of each next word (B, T−1) under teacher forcing's `logits` (B, T−1, V) for
    `tokens` (B, T), 0 at padding, and the mask of the words that are not padding (float)."""
    targets = tokens[:, 1:]
    nll = nn.functional.cross_entropy(logits.transpose(1, 2), targets, reduction="none", ignore_index=PAD_ID)
    return nll, (targets != PAD_ID).float()


def caption_loss(model: Captioner, mid: torch.Tensor, pooled: torch.Tensor, tokens: torch.Tensor,
                 baseline: float = 0.0, penalty_weight: float = 0.1, entropy_weight: float = 0.01,
                 generator: torch.Generator | None = None, sharpen_weight: float = 0.0,
                 reinforce: Reinforce = Reinforce()) -> LossParts:  # noqa: B008 (frozen, immutable fields)
    """Cross-entropy of every next word; plus the doubly stochastic penalty (soft; and, with `sharpen_weight`,
    the attention's mean entropy) or the REINFORCE term with `baseline` and an entropy bonus (hard; see Reinforce)."""
    hard = model.config.attention == "hard" and not reinforce.expected
    k = reinforce.samples if hard else 1
    if k > 1:  # every caption k times, each with its own sampled locations
        mid, pooled, tokens = (x.repeat_interleave(k, 0) for x in (mid, pooled, tokens))
    logits, alphas, chosen = model(mid, pooled, tokens, generator, expected=reinforce.expected)
    nll_tok, mask = word_nll(logits, tokens)
    nll = nll_tok.sum() / mask.sum()
    total, penalty, reward = nll, torch.zeros(()), torch.zeros(())
    if model.config.attention == "soft":
        looked = (alphas * mask[..., None]).sum(1)  # (B, L): how much each location was attended overall
        penalty = ((1 - looked) ** 2).sum(1).mean()
        total = total + penalty_weight * penalty
        if sharpen_weight:  # the mean entropy of a_t (nats): a weight above 0 asks each word to look at fewer places
            entropy = -(alphas * torch.log(alphas.clamp_min(1e-12))).sum(-1)  # (B, T-1)
            total = total + sharpen_weight * (entropy * mask).sum() / mask.sum()
    elif hard:
        log_p = torch.log(alphas.gather(2, chosen[..., None]).squeeze(-1).clamp_min(1e-12))  # (B, T-1)
        if reinforce.word_reward:  # (B, T-1): each step by the log-probability of its own word
            rewards = -nll_tok.detach()
            reward = (rewards * mask).sum() / mask.sum()
        else:  # (B, 1): every step by the log-likelihood of the whole caption with the sampled locations
            rewards = -nll_tok.sum(1, keepdim=True).detach()
            reward = rewards.mean()
        advantage = advantages(rewards, k, baseline)
        entropy = -(alphas * torch.log(alphas.clamp_min(1e-12))).sum(-1)  # (B, T-1)
        total = total - ((advantage * log_p + entropy_weight * entropy) * mask).sum() / mask.sum()
    return LossParts(total, float(nll.detach()), float(penalty.detach()), float(reward))


def pointing_accuracy(alphas: torch.Tensor, cells: torch.Tensor) -> tuple[float, int]:
    """Share of object-naming words whose most attended location lies on the named object, and how many
    such words there were. alphas (B, T, L); cells (B, ≥T, L) bool, aligned with the target positions."""
    cells = cells[:, : alphas.shape[1]]
    named = cells.any(-1)  # (B, T)
    hit = cells.gather(2, alphas.argmax(-1, keepdim=True)).squeeze(-1)  # (B, T)
    count = int(named.sum())
    return (float((hit & named).sum()) / count if count else float("nan")), count


@torch.no_grad()
def sample_caption(model: Captioner, mid: torch.Tensor, pooled: torch.Tensor, temperature: float = 0.0,
                   seed: int = 0, max_len: int = MAX_WORDS, location_seed: int | None = None
                   ) -> tuple[list[list[int]], torch.Tensor | None, torch.Tensor | None]:
    """Feed each chosen word back in until <end> (or `max_len` words). Temperature 0 is greedy (the argmax);
    above 0, seeded Gumbel-max sampling from softmax(scores / T). Hard attention looks at the most likely
    location, or samples one from a_t when `location_seed` is given. Returns the word ids per image (without
    <end>), the (B, steps, L) attention and the (B, steps) chosen locations (None where they do not apply)."""
    if not temperature >= 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    was_training = model.training
    model.eval()
    v, pv, state = model.start(mid, pooled)
    B = mid.shape[0]
    noise = gumbel_noise((max_len, B, model.config.vocab_size), seed, dtype=torch.float32).to(mid.device)
    places = None if location_seed is None else torch.Generator(mid.device).manual_seed(location_seed)
    words, alphas, chosen = caption_decode(model.config.attention, model.config.feed, v, pv, *state, model.weights(),
                                           model.never_said, noise, float(temperature), START_ID, END_ID, places)
    model.train(was_training)
    rows = words.tolist()
    return [row[: row.index(END_ID)] if END_ID in row else row for row in rows], alphas, chosen


@dataclass(frozen=True)
class Beam:
    """One finished hypothesis of beam search."""

    ids: list[int]  # the words, without <start> and <end>
    log_prob: float  # log p of the words (and of <end>, if it was reached)
    alphas: torch.Tensor | None  # (steps, L)
    ended: bool  # False when it stopped at the maximum length without <end>


@torch.no_grad()
def beam_caption(model: Captioner, mid: torch.Tensor, pooled: torch.Tensor, beam: int = 3,
                 max_len: int = MAX_WORDS) -> list[Beam]:
    """Beam search for one image ((1, …) inputs): keep the `beam` likeliest partial captions; a beam that
    emits <end> is finished, and beams still open after `max_len` words stop there. Best first (at most
    `beam` of them)."""
    was_training = model.training
    model.eval()
    v, pv, (h, c) = model.start(mid, pooled)
    device = mid.device
    words = torch.tensor([START_ID], device=device)
    scores = torch.zeros(1, device=device)
    seqs: list[list[int]] = [[]]
    maps: list[list[torch.Tensor]] = [[]]
    finished: list[Beam] = []
    for _ in range(max_len):
        k = len(seqs)
        s = model.step(words, v.expand(k, -1, -1), None if pv is None else pv.expand(k, -1, -1), (h, c))
        total = (scores[:, None] + torch.log_softmax(s.logits, dim=-1)).flatten()  # (k * V,)
        top = total.topk(min(beam, total.numel()))
        keep_seqs, keep_maps, keep_rows, keep_words, keep_scores = [], [], [], [], []
        for score, flat in zip(top.values.tolist(), top.indices.tolist()):
            row, word = divmod(flat, model.config.vocab_size)
            att = maps[row] + ([s.alpha[row]] if s.alpha is not None else [])
            if word == END_ID:
                finished.append(Beam(seqs[row], score, torch.stack(att) if att else None, True))
            else:
                keep_seqs.append(seqs[row] + [word])
                keep_maps.append(att)
                keep_rows.append(row)
                keep_words.append(word)
                keep_scores.append(score)
        # stop when nothing is open, or when `beam` captions have ended and the best of them scores at least the
        # best open one: a score only falls as words are added, so no open beam can overtake it
        if not keep_seqs or (len(finished) >= beam and max(b.log_prob for b in finished) >= keep_scores[0]):
            break
        rows = torch.tensor(keep_rows, device=device)
        h, c = s.state[0][rows], s.state[1][rows]
        words, scores = torch.tensor(keep_words, device=device), torch.tensor(keep_scores, device=device)
        seqs, maps = keep_seqs, keep_maps
    else:  # the length limit: what is still open stops here
        finished += [Beam(q, float(sc), torch.stack(m) if m else None, False) for q, sc, m in zip(seqs, scores, maps)]
    model.train(was_training)
    return sorted(finished, key=lambda b: -b.log_prob)[:beam]
