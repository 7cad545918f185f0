"""The unrolled computational graph of a vanilla RNN for each input/output shape of the lecture.

A graph is plain data (nodes on a grid, edges labelled with the weight matrix they apply), so a
plot builder can draw it and a test can count what is in it. Rows, bottom to top: inputs x_t,
hidden states h_t, outputs y_t, per-step losses L_t, the total loss. Column 0 holds h_0 (and the
fixed input that sets it, for captioning); step t sits in column t.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

ROW_INPUT, ROW_HIDDEN, ROW_OUTPUT, ROW_LOSS, ROW_TOTAL = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class ShapeInfo:
    """What one shape is called and what the lecture uses it for."""

    title: str
    example: str  # the lecture's application of this shape
    how: str  # markdown: how the graph of this shape works, what to look at
    recurrent: bool = True


_FED_BACK = ("Generation starts from the `<START>` token, and each later input is the previous word: in "
             "training the true previous word (teacher forcing), at test time the word *sampled* from the "
             "softmax of the previous output (dotted brown arrows)")
SHAPES: dict[str, ShapeInfo] = {
    "one_to_one": ShapeInfo(
        "one to one", "a vanilla neural network: one input, one output (image classification)",
        "No recurrence at all: this is the plain feed-forward network the lecture starts from.", recurrent=False),
    "one_to_many": ShapeInfo(
        "one to many", "image captioning: image features set h₀, the RNN emits a sentence",
        f"A **fixed input** (the image's CNN features) sets the initial state h₀. {_FED_BACK}. The RNN stops "
        "when it emits the `<END>` token."),
    "many_to_one": ShapeInfo(
        "many to one", "sentiment classification: a sequence of words in, one label out from h_T",
        "h₀ is zeros. Only the **final hidden state h_T** (ringed) feeds the output: it has to summarise "
        "all of the context."),
    "seq2seq": ShapeInfo(
        "many to many (encoder–decoder)",
        "machine translation: an encoder summarises the sentence in h_T, a decoder writes the translation",
        "Many to one, then one to many. The **encoder** (solid) reads the source and its final state h_T "
        "(ringed) summarises it; the **decoder** (dotted, with weights of its own) starts from that summary "
        f"and writes a sequence of a different length. {_FED_BACK}."),
    "aligned": ShapeInfo(
        "many to many (aligned)", "video classification on frame level: one label for every frame",
        "h₀ is zeros; every step has an input, an output and a loss. Backpropagation starts from "
        "L = Σ L_t and flows back through every W_hh arrow."),
}


@dataclass(frozen=True)
class Node:
    """One value in the graph."""

    id: str
    kind: str  # input (data) | token (<START> / previous word) | hidden | output | loss | total | init | fixed
    label: str  # plotly-HTML text, e.g. "h<sub>2</sub>"
    col: float
    row: int
    note: str = ""  # hover text: what this value is
    summary: bool = False  # the final state that summarises the whole input
    caption: str = ""  # a short word drawn under the node (e.g. "zeros", "<START>")


@dataclass(frozen=True)
class Edge:
    """One use of a function of the graph, labelled with the weights it applies."""

    src: str
    dst: str
    weight: str  # W_xh | W_hh | W_hy | W_ih | loss | sum | feedback
    part: str = ""  # "" or "encoder" / "decoder" where the two halves have their own weights


@dataclass(frozen=True)
class UnrolledGraph:
    """An unrolled RNN: nodes, edges and a one-line account of it."""

    shape: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    ticks: tuple[tuple[float, str], ...]  # (column, time-step label) for the x axis

    def count(self, kind: str) -> int:
        """How many nodes of one kind (e.g. "input", "output", "loss")."""
        return sum(n.kind == kind for n in self.nodes)

    def counts(self) -> dict[str, str]:
        """What a student should count in the graph, as label -> shown value."""
        steps = Counter(e.part for e in self.edges if e.weight == "W_hh")
        hh = " + ".join(f"{n} ({part})" if part else str(n) for part, n in steps.items()) or "0"
        return {
            "Data inputs": str(self.count("input") + self.count("fixed")),
            "Fed-back inputs": str(self.count("token")),
            "Outputs": str(self.count("output")),
            "Losses": str(self.count("loss")),
            "Uses of W_hh": hh,
        }

    def weight_uses(self) -> dict[str, int]:
        """How many times each weight matrix is applied: the same matrix at every step."""
        uses = Counter(
            f"{e.weight} ({e.part})" if e.part else e.weight
            for e in self.edges
            if e.weight.startswith("W_")
        )
        return dict(uses)


def _sub(name: str, t: int | str) -> str:
    return f"{name}<sub>{t}</sub>"


class _Builder:
    """Accumulates nodes and edges; keeps the shape functions below short and readable."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.ticks: list[tuple[float, str]] = []

    def node(self, *args, **kwargs) -> str:
        n = Node(*args, **kwargs)
        self.nodes.append(n)
        return n.id

    def edge(self, src: str, dst: str, weight: str, part: str = "") -> None:
        self.edges.append(Edge(src, dst, weight, part))

    def recurrent_steps(self, first_col: int, steps: int, h_prev: str, prefix: str, part: str,
                        inputs: str, outputs: bool, tick: str = "") -> list[str]:
        """Add `steps` steps of h_t = tanh(W_hh h_{t-1} + W_xh x_t) [y_t = W_hy h_t, loss L_t].

        inputs: "data" (x_t from the data), "feedback" (<START>, then the previous output) or
        "none". Returns the ids of the hidden states.
        """
        hidden = []
        for k in range(1, steps + 1):
            col = first_col + k - 1
            self.ticks.append((col, f"{k}{tick}"))
            h = self.node(f"{prefix}h{k}", "hidden", _sub("h" + tick, k), col, ROW_HIDDEN,
                          f"hidden state after step {k} ({part or 'the RNN'})")
            self.edge(h_prev, h, "W_hh", part)
            if inputs == "data":
                x = self.node(f"{prefix}x{k}", "input", _sub("x" + tick, k), col, ROW_INPUT, f"input {k} from the data")
                self.edge(x, h, "W_xh", part)
            elif inputs == "feedback":
                note, caption = ("the start token begins generation", "&lt;START&gt;") if k == 1 else (
                    "the previous word: the true one in training (teacher forcing), the one sampled from "
                    f"softmax(y{tick}<sub>{k - 1}</sub>) at test time", "prev. word")
                x = self.node(f"{prefix}x{k}", "token", _sub("x" + tick, k), col, ROW_INPUT, note, caption=caption)
                self.edge(x, h, "W_xh", part)
                if k > 1:
                    self.edge(f"{prefix}y{k - 1}", x, "feedback", part)
            if outputs:
                y = self.node(f"{prefix}y{k}", "output", _sub("y" + tick, k), col, ROW_OUTPUT,
                              f"output scores at step {k}"
                              + (" (last one: &lt;END&gt; stops it)" if k == steps and inputs == "feedback" else ""))
                self.edge(h, y, "W_hy", part)
                loss = self.node(f"{prefix}L{k}", "loss", _sub("L" + tick, k), col, ROW_LOSS, f"loss of output {k}")
                self.edge(y, loss, "loss", part)
            hidden.append(h)
            h_prev = h
        return hidden

    def total_loss(self, col: float) -> None:
        losses = [n.id for n in self.nodes if n.kind == "loss"]
        total = self.node("L", "total", "L", col, ROW_TOTAL, "the total loss L = Σ_t L_t: backpropagation starts here",
                          caption="Σ<sub>t</sub> L<sub>t</sub>")
        for loss in losses:
            self.edge(loss, total, "sum")

    def zero_state(self) -> str:
        self.ticks.append((0, "0"))
        return self.node("h0", "init", _sub("h", 0), 0, ROW_HIDDEN, "the initial hidden state: zeros", caption="zeros")

    def mark_summary(self, node_id: str, note: str) -> None:
        i = next(i for i, n in enumerate(self.nodes) if n.id == node_id)
        n = self.nodes[i]
        self.nodes[i] = Node(n.id, n.kind, n.label, n.col, n.row, note, summary=True, caption=n.caption)


def unrolled_graph(shape: str, length: int, output_length: int | None = None) -> UnrolledGraph:
    """The unrolled graph of `shape` (a key of SHAPES) over `length` steps.

    For the encoder–decoder, `length` is the input length and `output_length` (default `length`)
    the output length. One-to-one has no recurrence, so its length is always 1.
    """
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; choose one of {list(SHAPES)}")
    if length < 1 or (output_length is not None and output_length < 1):
        raise ValueError("sequence lengths must be at least 1")
    b = _Builder()
    if shape == "one_to_one":
        x = b.node("x1", "input", "x", 1, ROW_INPUT, "the one input")
        h = b.node("h1", "hidden", "h", 1, ROW_HIDDEN, "hidden layer")
        y = b.node("y1", "output", "y", 1, ROW_OUTPUT, "the one output")
        loss = b.node("L1", "loss", "L", 1, ROW_LOSS, "its loss")
        b.edge(x, h, "W_xh"), b.edge(h, y, "W_hy"), b.edge(y, loss, "loss")
    elif shape == "one_to_many":
        img = b.node("img", "fixed", "CNN", 0, ROW_INPUT, "a fixed input: the CNN's features of the image",
                     caption="image features")
        h0 = b.node("h0", "init", _sub("h", 0), 0, ROW_HIDDEN,
                    "h_0 set from the fixed input: h_0 = tanh(W_ih · features)")
        b.edge(img, h0, "W_ih")
        b.ticks.append((0, "0"))
        b.recurrent_steps(1, length, h0, "", "", inputs="feedback", outputs=True)
        b.total_loss((1 + length) / 2)
    elif shape == "many_to_one":
        hidden = b.recurrent_steps(1, length, b.zero_state(), "", "", inputs="data", outputs=False)
        y = b.node("y", "output", "y", length, ROW_OUTPUT, "the one output, read from the final state")
        b.edge(hidden[-1], y, "W_hy")
        loss = b.node("L1", "loss", "L", length, ROW_LOSS, "its loss")
        b.edge(y, loss, "loss")
        b.mark_summary(hidden[-1], f"h_{length}: the final hidden state summarises all of the input")
    elif shape == "seq2seq":
        out_len = length if output_length is None else output_length
        enc = b.recurrent_steps(1, length, b.zero_state(), "e", "encoder", inputs="data", outputs=False)
        b.mark_summary(enc[-1], f"h_{length}: the encoder's summary of the whole input, handed to the decoder")
        b.recurrent_steps(length + 1, out_len, enc[-1], "d", "decoder", inputs="feedback", outputs=True, tick="′")
        b.total_loss(length + (1 + out_len) / 2)
    else:  # aligned
        b.recurrent_steps(1, length, b.zero_state(), "", "", inputs="data", outputs=True)
        b.total_loss((1 + length) / 2)
    return UnrolledGraph(shape, tuple(b.nodes), tuple(b.edges), tuple(b.ticks))
