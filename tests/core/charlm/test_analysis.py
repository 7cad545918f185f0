"""The hidden-state analysis: recording, the unit finder, gate saturation, connectivity, span search."""
import numpy as np
import pytest
import torch

from core.charlm.analysis import (
    AnalysisError,
    AnalysisShelf,
    analyse,
    analysis_gates,
    connectivity,
    correlations,
    downsample,
    find_units,
    gate_saturation,
    prepare_text,
    reach,
    span_matches,
    span_units,
    threshold_accuracy,
)
from core.charlm.model import CharConfig, CharRNN
from core.charlm.vocab import Vocab

VOCAB = Vocab(tuple(" ()abcdefghij"))


def bracket_counter() -> CharRNN:
    """A hand-set one-layer LSTM whose unit 0 counts open brackets in its cell state and whose unit 1 has
    its gates pinned by their biases: input shut (−10), forget open (+10), output at 0.5 (0).

    Embeddings are one-hot; W_hh = 0. Unit 0: the input gate opens only on '(' and ')', the candidate is
    +1 on '(' and −1 on ')', the forget gate keeps everything, so c_0 = the number of open brackets.
    """
    V, H = len(VOCAB), 2
    model = CharRNN(CharConfig(vocab_size=V, cell="lstm", hidden_size=H, embed_size=V)).eval()
    opening, closing = VOCAB.chars.index("("), VOCAB.chars.index(")")
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        model.embed.weight.copy_(torch.eye(V))
        w_ih, _, b_ih, _ = model.layer_weights(0)  # rows: input (0:H), forget (H:2H), candidate (2H:3H), output (3H:4H)
        b_ih[0], w_ih[0, opening], w_ih[0, closing] = -10, 20, 20  # unit 0's input gate: open on brackets only
        b_ih[H] = 10  # unit 0 forgets nothing
        w_ih[2 * H, opening], w_ih[2 * H, closing] = 10, -10  # candidate +1 / -1
        b_ih[3 * H] = 10  # output open: h_0 = tanh(c_0)
        b_ih[1], b_ih[H + 1], b_ih[3 * H + 1] = -10, 10, 0  # unit 1: input shut, forget open, output at 0.5
    return model


def test_prepare_text_normalises_truncates_and_marks_unknown_characters():
    prepared = prepare_text("ab\r\ncZ" + "a" * 50, VOCAB, max_chars=10)
    # original_length is counted after \r\n -> \n
    assert prepared.text == "ab\ncZaaaaa"[:10] and prepared.truncated and prepared.original_length == 55
    assert prepared.unknown == (2, 4)  # the newline and Z are not in VOCAB
    assert VOCAB.decode(prepared.ids) == "ab c aaaaa"  # fed as spaces
    with pytest.raises(AnalysisError, match="empty"):
        prepare_text("", VOCAB)


def test_analysis_records_match_the_fused_forward_pass():
    torch.manual_seed(0)
    model = CharRNN(CharConfig(vocab_size=len(VOCAB), cell="lstm", hidden_size=8, num_layers=2, embed_size=4)).eval()
    prepared = prepare_text("a(b)c de(f)", VOCAB)
    result = analyse(model, VOCAB, prepared)
    with torch.no_grad():
        logits, _ = model(prepared.ids[None])
    probs = torch.softmax(logits[0], -1)
    assert np.allclose(result.top_probs[:, 0], probs.max(-1).values.numpy(), atol=1e-6)
    assert result.top_chars[3][0] == VOCAB.chars[int(probs[3].argmax())]
    nxt = prepared.ids[1:]
    assert np.allclose(result.surprise, -torch.log(probs[:-1].gather(1, nxt[:, None])).squeeze(1).numpy(), atol=1e-5)
    assert list(result.signals()) == ["layer 1 · hidden h", "layer 1 · cell c",
                                      "layer 2 · hidden h", "layer 2 · cell c"]
    gates = analysis_gates(model, result, prepared)
    assert {name: g.shape for name, g in gates[1].items()} == {
        name: (11, 8) for name in ("input", "forget", "output", "candidate")}


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_gates_computed_from_h_afterwards_equal_the_hand_cells(cell):
    """The analysis keeps h and c only; analysis_gates rebuilds every gate from them (one product a layer) and must
    give what the hand-written cells compute step by step; so must the analysis's c."""
    torch.manual_seed(3)
    model = CharRNN(CharConfig(vocab_size=len(VOCAB), cell=cell, hidden_size=8, num_layers=2, embed_size=4)).eval()
    text = "a(b)c de(f) ghij(a) bb\n" * 3
    prepared = prepare_text(text, VOCAB)
    analysis = analyse(model, VOCAB, prepared, after=analyse(model, VOCAB, prepare_text(text[:20], VOCAB)))
    gates = analysis_gates(model, analysis, prepared)
    with torch.no_grad():
        _, _, ref = model.forward_cells(prepared.ids[None])
    assert [set(g) for g in gates] == [set(ref.gates)] * 2
    for k, layer in enumerate(gates):
        for name, g in layer.items():
            assert np.allclose(g, ref.gates[name][k, 0].numpy(), atol=1e-5), (k, name)
        if cell == "lstm":
            assert np.allclose(analysis.layers[k].c, ref.c[k, 0].numpy(), atol=1e-5)
    with pytest.raises(AnalysisError, match="the text the analysis read"):
        analysis_gates(model, analysis, prepare_text(text[:10], VOCAB))


def test_correlations_and_threshold_accuracy_against_brute_force():
    rng = np.random.default_rng(0)
    acts = rng.normal(size=(40, 6))
    target = (rng.random(40) > 0.6).astype(float)
    acts[:, 0] = target * 2 + 0.1 * rng.normal(size=40)  # separable: accuracy 1
    acts[:, 1] = -acts[:, 0]  # separable the other way round
    acts[:, 2] = 3.0  # constant: chance, r = 0
    r = correlations(acts, target)
    assert np.allclose(r[[0, 1, 3, 4, 5]], [np.corrcoef(acts[:, j], target)[0, 1] for j in [0, 1, 3, 4, 5]])
    assert r[2] == 0
    acc = threshold_accuracy(acts, target)
    assert acc[0] == acc[1] == 1.0 and acc[2] == 0.5
    for j in (3, 4, 5):  # every threshold tried by hand
        best = 0.5
        for theta in acts[:, j]:
            pred = acts[:, j] >= theta
            tpr, tnr = (pred & (target == 1)).sum() / target.sum(), (~pred & (target == 0)).sum() / (1 - target).sum()
            best = max(best, (tpr + tnr) / 2, 1 - (tpr + tnr) / 2)
        assert acc[j] == pytest.approx(best)


def test_the_finder_ranks_the_planted_bracket_counter_first_for_bracket_depth():
    text = "a(b(cd)e)f (g) h((i)) j" * 4
    result = analyse(bracket_counter(), VOCAB, prepare_text(text, VOCAB))
    scores = [s for s in find_units(result) if s.feature == "bracket_depth"]
    assert (scores[0].signal, scores[0].unit) == ("layer 1 · cell c", 0)
    assert scores[0].r > 0.8
    assert "indentation" not in {s.feature for s in find_units(result)}  # constant on this text: skipped


def test_gate_saturation_fractions_follow_the_hand_set_biases():
    text = "ab(cd)ef" * 5
    model, prepared = bracket_counter(), prepare_text(text, VOCAB)
    sat = gate_saturation(analysis_gates(model, analyse(model, VOCAB, prepared), prepared))[0]
    left, right = sat["input"]
    bracket_share = sum(c in "()" for c in text) / len(text)
    assert left[0] == pytest.approx(1 - bracket_share) and right[0] == pytest.approx(bracket_share)
    assert (left[1], right[1]) == (1.0, 0.0)  # input shut
    assert sat["forget"][1].tolist() == [1.0, 1.0]  # right-saturated (open) for both units
    assert sat["output"][1].tolist() == [1.0, 0.0] and sat["output"][0].tolist() == [0.0, 0.0]  # unit 1 at 0.5
    assert set(sat) == {"input", "forget", "output"}  # the candidate is a tanh, not a gate


def test_span_search_finds_the_planted_unit_and_the_other_places_it_fires():
    text = "ab(cd)efghij(ij)abc"
    result = analyse(bracket_counter(), VOCAB, prepare_text(text, VOCAB))
    h = result.layers[0].h  # unit 0: tanh(bracket depth) ≈ 0.76 inside, 0 outside
    units = span_units(h, 2, 5, threshold=0.5)  # "(cd": the closing bracket has already closed
    assert units.tolist() == [0]
    assert span_matches(h, units, 0.5) == [(2, 5, 1.0), (12, 15, 1.0)]
    assert span_units(h, 1, 5, threshold=0.5).size == 0  # "b" is outside the brackets
    with pytest.raises(AnalysisError):
        span_units(h, 5, 5, 0.5)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("target", ["loss", "score"])
def test_connectivity_equals_centred_finite_differences(cell, target):
    torch.manual_seed(1)
    model = CharRNN(CharConfig(vocab_size=len(VOCAB), cell=cell, hidden_size=6, num_layers=2, embed_size=3))
    model = model.double().eval()
    prepared = prepare_text("(ab)cde", VOCAB)
    t = 4
    norms = connectivity(model, prepared, t, target)
    x0 = model.embed(prepared.ids[None, : t + 1]).detach()  # (1, t+1, E)

    def y(x: torch.Tensor) -> float:
        with torch.no_grad():
            scores = model.head(model.rnn(x)[0][0, t])
            if target == "loss":
                return float(torch.nn.functional.cross_entropy(scores[None], prepared.ids[t + 1: t + 2]))
            return float(scores.max())

    eps = 1e-6
    fd = np.zeros((t + 1, x0.shape[-1]))
    for s in range(t + 1):
        for e in range(x0.shape[-1]):
            up, down = x0.clone(), x0.clone()
            up[0, s, e] += eps
            down[0, s, e] -= eps
            fd[s, e] = (y(up) - y(down)) / (2 * eps)
    expected = np.linalg.norm(fd, axis=1)
    assert norms.shape == (t + 1,)
    assert np.all(np.abs(norms - expected) / expected < 1e-5)


def test_connectivity_refuses_positions_it_cannot_explain():
    model = bracket_counter()
    prepared = prepare_text("(ab)", VOCAB)
    with pytest.raises(AnalysisError, match="no next character"):
        connectivity(model, prepared, 3, "loss")
    with pytest.raises(AnalysisError, match="outside"):
        connectivity(model, prepared, 9, "score")
    assert connectivity(model, prepared, 3, "score").shape == (4,)


def test_downsample_averages_bins_and_keeps_short_texts_whole():
    acts = np.arange(10, dtype=float)[:, None]
    binned, spans = downsample(acts, 4)
    assert spans == [(0, 3), (3, 6), (6, 9), (9, 10)]
    assert binned[:, 0].tolist() == [1, 4, 7, 9]
    assert downsample(acts, 20)[0].shape == (10, 1)


def test_reach_counts_characters_back_until_the_share_is_covered():
    assert reach(np.array([0.0, 0.0, 1.0, 9.0])) == 1  # the last input alone holds 90%
    assert reach(np.array([1.0, 1.0, 1.0, 1.0]), share=0.5) == 2
    assert reach(np.array([5.0, 0.0, 0.0, 5.0])) == 4
    assert reach(np.zeros(3)) == 0


@pytest.mark.parametrize("cell, gates", [("rnn", set()), ("gru", {"reset", "update", "candidate"})])
def test_every_cell_is_recorded_with_its_own_gates(cell, gates):
    torch.manual_seed(2)
    model = CharRNN(CharConfig(vocab_size=len(VOCAB), cell=cell, hidden_size=5, num_layers=2, embed_size=3)).eval()
    result = analyse(model, VOCAB, prepare_text("ab(c)d", VOCAB))
    assert list(result.signals()) == ["layer 1 · hidden h", "layer 2 · hidden h"]
    prepared = prepare_text("ab(c)d", VOCAB)
    assert set(analysis_gates(model, result, prepared)[0]) == gates and result.layers[1].h.shape == (6, 5)
    with torch.no_grad():
        out, _ = model.rnn(model.embed(prepare_text("ab(c)d", VOCAB).ids[None]))
    assert np.allclose(result.layers[1].h, out[0].numpy(), atol=1e-6)
    assert ([set(layer) for layer in gate_saturation(analysis_gates(model, result, prepared))]
            == [gates - {"candidate"}] * 2)


def _same(a, b, atol=1e-5) -> bool:
    """Two analyses record the same numbers (to float32 rounding) and the same guesses."""
    return (a.text == b.text and a.top_chars == b.top_chars and np.allclose(a.top_probs, b.top_probs, atol=atol)
            and np.allclose(a.surprise, b.surprise, atol=atol)
            and all(np.allclose(x.h, y.h, atol=atol) and (x.c is None or np.allclose(x.c, y.c, atol=atol))
                    for x, y in zip(a.layers, b.layers)))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_an_analysis_continued_or_cut_equals_reading_the_text_at_once(cell):
    torch.manual_seed(5)
    model = CharRNN(CharConfig(vocab_size=len(VOCAB), cell=cell, hidden_size=8, num_layers=2, embed_size=4)).eval()
    text = "a(b)c de(f) ghij(a) bb\n" * 4
    whole = analyse(model, VOCAB, prepare_text(text, VOCAB))
    first = analyse(model, VOCAB, prepare_text(text[:30], VOCAB))
    assert _same(analyse(model, VOCAB, prepare_text(text, VOCAB), after=first), whole)
    assert _same(whole.prefix(30), first, atol=1e-6)
    with pytest.raises(AnalysisError, match="longer text that starts with"):
        analyse(model, VOCAB, prepare_text("zz" + text, VOCAB), after=first)


def test_the_shelf_keeps_cuts_and_continues_analyses_per_model():
    torch.manual_seed(6)
    model = CharRNN(CharConfig(vocab_size=len(VOCAB), cell="lstm", hidden_size=8, embed_size=4)).eval()
    other = CharRNN(CharConfig(vocab_size=len(VOCAB), cell="lstm", hidden_size=8, embed_size=4)).eval()
    text = "(a(b)c) de(f) ghij " * 5
    shelf = AnalysisShelf()
    hows = [shelf.get("m", model, VOCAB, prepare_text(t, VOCAB))[1] for t in (text[:50], text[:50], text[:20], text)]
    assert hows == ["new", "kept", "cut", "continued"]
    assert _same(shelf.get("m", model, VOCAB, prepare_text(text, VOCAB))[0],
                 analyse(model, VOCAB, prepare_text(text, VOCAB)))
    got, how = shelf.get("other", other, VOCAB, prepare_text(text[:20], VOCAB))  # another model never shares
    assert how == "new" and _same(got, analyse(other, VOCAB, prepare_text(text[:20], VOCAB)))
    assert len(shelf.shelf) == 4  # (text[:50], text[:20], text) by the model, text[:20] by the other


def test_the_shelf_holds_what_fits_its_budget_newest_first():
    torch.manual_seed(6)
    model = CharRNN(CharConfig(vocab_size=len(VOCAB), cell="lstm", hidden_size=8, embed_size=4)).eval()
    texts = [f"({k}) abc def ghi " * 4 for k in range(6)]
    size = analyse(model, VOCAB, prepare_text(texts[0], VOCAB)).nbytes
    shelf = AnalysisShelf(megabytes=3.5 * size / 2**20)  # room for three
    for t in texts:
        shelf.get("m", model, VOCAB, prepare_text(t, VOCAB))
    assert [t for _, t in shelf.shelf] == texts[3:]
    assert shelf.get("m", model, VOCAB, prepare_text(texts[0], VOCAB))[1] == "new"  # the oldest went
    tiny = AnalysisShelf(megabytes=size / 2**20 / 10)  # smaller than one: it still keeps the newest
    tiny.get("m", model, VOCAB, prepare_text(texts[0], VOCAB))
    assert tiny.get("m", model, VOCAB, prepare_text(texts[0], VOCAB))[1] == "kept"


def test_a_cut_owns_its_memory_so_the_shelf_counts_what_it_keeps():
    torch.manual_seed(6)
    model = CharRNN(CharConfig(vocab_size=len(VOCAB), cell="lstm", hidden_size=8, embed_size=4)).eval()
    text = "(a(b)c) de(f) ghij " * 5
    whole = analyse(model, VOCAB, prepare_text(text, VOCAB))
    cut = whole.prefix(10)
    arrays = [cut.top_probs, cut.surprise] + [a for r in cut.layers for a in (r.h, r.c)]
    assert all(a.base is None for a in arrays)  # no view into `whole`: keeping the cut does not keep it
    assert cut.nbytes < whole.nbytes / 5
