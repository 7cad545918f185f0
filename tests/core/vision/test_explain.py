"""The captioning page's core: one image's caption with its maps, hard glimpses, hits and misses."""
import math

import numpy as np
import pytest
import torch

from core.vision.captioner import FEATURE_SIZE, CaptionConfig, Captioner, beam_caption
from core.vision.dataset import GRID, box_cells
from core.vision.encoder import Features
from core.vision.explain import (
    caption_image,
    entropy_bits,
    first_gaze,
    hard_glimpses,
    log_prob,
    sameness,
    uniform_bits,
    upsample,
    word_hits,
    word_targets,
)
from core.vision.shapes import VOCAB, Thing

RED_CIRCLE = Thing("circle", "red", "small", (40, 40), 20, 0)
BLUE_SQUARE = Thing("square", "blue", "large", (170, 170), 30, 0)


def features(seed=0) -> Features:
    g = torch.Generator().manual_seed(seed)
    return Features(torch.randn(1, FEATURE_SIZE, GRID, GRID, generator=g), torch.randn(1, 1280, 7, 7, generator=g),
                    torch.randn(1, 1280, generator=g), torch.randn(1, 1000, generator=g))


def model(attention: str, seed: int = 0) -> Captioner:
    torch.manual_seed(seed)
    return Captioner(CaptionConfig(attention=attention, hidden=16, embed=8, attend=8)).eval()


def one_hot(row: int, col: int) -> np.ndarray:
    m = np.zeros((GRID, GRID))
    m[row, col] = 1.0
    return m


@pytest.mark.parametrize("attention", ["none", "soft", "hard"])
def test_every_mode_gives_words_with_one_map_per_step(attention):
    m, f = model(attention), features()
    greedy = caption_image(m, f, "greedy")
    assert set(greedy.words) <= set(VOCAB) - {"<start>", "<end>", "<pad>"}
    if attention == "none":
        assert greedy.maps is None
    else:
        steps = len(greedy.words) + (1 if greedy.ended else 0)
        assert greedy.maps.shape == (steps, GRID, GRID)
        assert np.allclose(greedy.maps.sum(axis=(1, 2)), 1.0, atol=1e-5)
    assert caption_image(m, f, "beam", beam=1).words == greedy.words  # a beam of one is greedy
    best = beam_caption(m, f.mid, f.pooled, beam=3)[0]
    beam = caption_image(m, f, "beam", beam=3)
    assert beam.words == [VOCAB[i] for i in best.ids] and beam.log_prob == pytest.approx(best.log_prob, abs=1e-4)
    assert caption_image(m, f, "sample", 1.0, seed=5).words == caption_image(m, f, "sample", 1.0, seed=5).words
    with pytest.raises(ValueError, match="mode"):
        caption_image(m, f, "nucleus")


def test_log_prob_is_the_sum_of_the_chosen_words_log_probabilities():
    m, f = model("soft", 2), features(1)
    ids = [VOCAB.index(w) for w in "a red circle".split()]
    tokens = torch.tensor([[VOCAB.index("<start>"), *ids, VOCAB.index("<end>")]])
    with torch.no_grad():
        logits, _, _ = m(f.mid, f.pooled, tokens)
    steps = torch.log_softmax(logits, -1)[0]
    assert log_prob(m, f, ids) == pytest.approx(float(steps.gather(1, tokens[0, 1:, None]).sum()), abs=1e-5)
    assert log_prob(m, f, ids, ended=False) == pytest.approx(float(steps[:-1].gather(1, tokens[0, 1:-1, None]).sum()),
                                                             abs=1e-5)


def test_hard_glimpses_are_seeded_places_on_the_grid_one_per_step_of_the_shown_caption():
    m, f = model("hard"), features()
    words = "a small red circle".split()
    a, b, c = (hard_glimpses(m, f, words, samples=6, seed=s) for s in (1, 1, 2))
    assert a == b and a.places != c.places and len(a.places) == 6
    assert all(len(p) == len(words) + 1 for p in a.places)  # every word and <end>
    assert all(len(p) == len(words) for p in hard_glimpses(m, f, words, ended=False, samples=2).places)
    assert all(0 <= r < GRID and 0 <= q < GRID for sample in a.places for r, q in sample)
    assert hard_glimpses(m, f, [], ended=False, samples=3).places == [[], [], []]
    with pytest.raises(ValueError, match="hard"):
        hard_glimpses(model("soft"), f, words)


def test_glimpses_follow_the_attention():
    """A hard model whose attention is (almost) all on one cell samples that cell nearly every time."""
    m, f = model("hard"), features()
    with torch.no_grad():
        for layer in (m.att_w, m.att_v, m.att_h, m.att_e):
            layer.weight.zero_()
        m.att_w.bias.zero_()
        m.att_v.bias.zero_()
        m.att_v.weight[0, m.config.key_channels] = 1.0  # the x coordinate: score = 100 tanh(x), the right column wins
        m.att_w.weight[0, 0] = 100.0
    places = hard_glimpses(m, f, "a red circle".split(), samples=20).places
    columns = [q for sample in places for _, q in sample]
    assert sum(q == GRID - 1 for q in columns) / len(columns) > 0.9


def test_words_are_linked_to_the_object_they_name_and_scored_hit_or_miss():
    words = "a small red circle to the left of a large blue square and a green triangle".split()
    targets = word_targets(words, (RED_CIRCLE, BLUE_SQUARE))
    assert targets == [None, 0, 0, 0, None, None, None, None, None, 1, 1, 1, None, None, None, None]
    red = np.argwhere(box_cells(RED_CIRCLE.box, tolerance=0).reshape(GRID, GRID).numpy())[0]
    maps = np.stack([one_hot(*red)] * len(words))
    maps[11] = one_hot(*red)  # "square" looks at the red circle: a miss
    maps[10] = one_hot(GRID - 2, GRID - 2)  # "blue" looks at the blue square's corner: a hit
    hits = word_hits(words, maps, (RED_CIRCLE, BLUE_SQUARE))
    assert hits[2] is True and hits[3] is True and hits[10] is True and hits[11] is False
    assert hits[1] is None and hits[9] is None  # "small" and "large" point at their object but are not scored
    assert hits[14] is None and hits[15] is None  # a green triangle the scene does not have


def test_the_first_gaze_is_the_object_under_the_peak_of_the_first_shape_word_that_names_one():
    words = "a small red circle to the left of a large blue square".split()
    red = np.argwhere(box_cells(RED_CIRCLE.box, tolerance=0).reshape(GRID, GRID).numpy())[0]
    blue = np.argwhere(box_cells(BLUE_SQUARE.box, tolerance=0).reshape(GRID, GRID).numpy())[-1]
    maps = np.stack([one_hot(*red)] * len(words))
    maps[3] = 0.3 * one_hot(*red) + 0.7 * one_hot(*blue)  # "circle" looks mostly at the blue square
    gaze = first_gaze(words, maps, (RED_CIRCLE, BLUE_SQUARE))
    assert (gaze.step, gaze.word, gaze.on) == (3, "circle", 1)
    assert gaze.share == pytest.approx((0.3, 0.7))
    maps[3] = one_hot(0, GRID - 1)  # a corner away from both objects: on none of them, no weight on either
    gaze = first_gaze(words, maps, (RED_CIRCLE, BLUE_SQUARE))
    assert gaze.on is None and gaze.share == (0.0, 0.0)
    assert first_gaze("a green triangle".split(), maps[:3], (RED_CIRCLE, BLUE_SQUARE)) is None  # names no object


def test_the_size_tells_apart_two_objects_of_the_same_colour_and_shape():
    big = Thing("square", "red", "large", (170, 60), 30, 0)
    small = Thing("square", "red", "small", (50, 160), 18, 0)
    words = "a large red square below a small red square".split()
    assert word_targets(words, (small, big)) == [None, 1, 1, 1, None, None, 0, 0, 0]
    assert word_targets("a red square".split(), (small, big)) == [None, 0, 0]  # no size said: the first one


def test_entropy_and_sameness_of_maps():
    uniform = np.full((2, GRID, GRID), 1 / GRID**2)
    assert entropy_bits(uniform) == pytest.approx([uniform_bits()] * 2) and uniform_bits() == math.log2(196)
    points = np.stack([one_hot(0, 0), one_hot(5, 5), one_hot(9, 3)])
    assert entropy_bits(points) == pytest.approx([0, 0, 0])
    assert sameness(uniform) == pytest.approx(1.0) and sameness(points) == pytest.approx(1 / 3)
    assert math.isnan(sameness(points[:1]))


def test_upsampling_keeps_blocks_raw_and_smooths_otherwise():
    m = one_hot(0, 0)
    raw = upsample(m, (28, 42), smooth=False)
    assert raw.shape == (28, 42) and raw[:2, :3].min() == 1.0 and raw[2:, :].max() == 0.0 and raw[:, 3:].max() == 0.0
    smooth = upsample(m, (28, 42))
    assert smooth.shape == (28, 42) and 0 < smooth[2, 3] < 1 and smooth.argmax() == 0


def test_glimpse_points_and_object_marks():
    from core.vision.explain import Glimpses, glimpse_points, object_marks

    g = Glimpses([[(0, 0)], [(0, 13), (13, 0)]])
    assert glimpse_points(g, 0, (280, 140)) == [(10.0, 5.0), (270.0, 5.0)]
    assert glimpse_points(g, 1, (280, 140)) == [(10.0, 135.0)]  # only the sample that got that far
    words = "a small red circle".split()
    red = np.argwhere(box_cells(RED_CIRCLE.box, tolerance=0).reshape(GRID, GRID).numpy())[0]
    maps = np.stack([one_hot(*red)] * 5)
    marks = object_marks(words, maps, (RED_CIRCLE, BLUE_SQUARE), 2)
    assert marks == [(RED_CIRCLE.box, True, "small red circle  ✓"), (BLUE_SQUARE.box, None, "large blue square")]
    assert [m[1] for m in object_marks(words, maps, (RED_CIRCLE, BLUE_SQUARE), 4)] == [None, None]  # <end>


def test_decoding_fixes_only_the_settings_its_mode_ignores_and_decodes_the_same():
    from core.vision.explain import decoding

    m, f = model("soft"), features(3)
    assert decoding("greedy", 0.3, 7, 5) == decoding("greedy", 1.7, 2, 1)  # one cache entry for every greedy setting
    assert decoding("beam", 0.3, 7, 5) == decoding("beam", 1.1, 0, 5) != decoding("beam", 0.3, 7, 4)
    assert decoding("sample", 0.3, 7) != decoding("sample", 0.4, 7) != decoding("sample", 0.4, 8)
    for raw in [("greedy", 0.3, 7, 5), ("sample", 1.5, 11, 2), ("beam", 0.8, 4, 4)]:
        d = decoding(*raw)
        mine, asked = caption_image(m, f, d.mode, d.temperature, d.seed, d.beam), caption_image(m, f, *raw)
        assert mine.words == asked.words and mine.log_prob == asked.log_prob
        assert np.array_equal(mine.maps, asked.maps)
    with pytest.raises(ValueError, match="mode"):
        decoding("nucleus")


def test_a_decoder_row_shows_the_user_style_figures_when_measured_and_counts_every_training_scene():
    from core.vision.explain import decoder_row

    row = decoder_row({"all_named": 0.974, "user_all_named": 0.912, "user_pointing": 0.9, "scenes": 10000,
                       "styled_scenes": 10000, "seconds": 600})
    assert row["user styles: all named %"] == 91.2 and row["user styles: pointing %"] == 90.0
    assert row["training scenes"] == 20000 and row["training minutes"] == 10.0
    old = decoder_row({"all_named": 0.5, "scenes": 20000})
    assert old["user styles: all named %"] is None and old["training scenes"] == 20000
    # a warm-started model counts the flush scenes and the training of the weights it started from
    warm = decoder_row({"scenes": 10000, "styled_scenes": 15000, "flush_scenes": 5000, "epoch": 3, "seconds": 600,
                        "epochs_before": 12, "seconds_before": 1800})
    assert warm["training scenes"] == 30000 and warm["epochs"] == 15 and warm["training minutes"] == 40.0
