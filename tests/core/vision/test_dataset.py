"""Captioning data: token ids, the grid cells each word names, features built once and saved safely."""
import pytest
import torch

from core.vision.dataset import (
    GRID,
    MAX_TOKENS,
    box_cells,
    build_data,
    decode_caption,
    encode_caption,
    load_data,
    save_data,
    word_cells,
)
from core.vision.encoder import Encoder
from core.vision.shapes import make_scene


def test_captions_round_trip_through_ids():
    words = "a large red circle to the left of a small blue square".split()
    ids = encode_caption(words)
    assert len(ids) == MAX_TOKENS and decode_caption(ids) == words
    with pytest.raises(ValueError, match="does not fit"):
        encode_caption(["a"] * MAX_TOKENS)


def test_box_cells_cover_the_box_and_a_tiny_box_still_gets_its_cell():
    cells = box_cells((0, 0, 112, 112), tolerance=0).reshape(GRID, GRID)  # the top-left quarter of the image
    assert cells[:7, :7].all() and not cells[7:, :].any() and not cells[:, 7:].any()
    grown = box_cells((0, 0, 112, 112)).reshape(GRID, GRID)  # one cell of tolerance
    assert grown[:8, :8].all() and not grown[8:, :].any() and not grown[:, 8:].any()
    tiny = box_cells((100, 50, 101, 51), tolerance=0).reshape(GRID, GRID)
    assert tiny.sum() == 1 and tiny[int(50.5 * GRID / 224), int(100.5 * GRID / 224)]


def test_each_named_word_points_at_its_objects_cells():
    scene = make_scene(11, count=2)
    cells = word_cells(scene.things, scene.tokens, scene.links)
    for position, (word, link) in enumerate(zip(scene.tokens, scene.links)):
        if link is None or word in ("small", "large"):
            assert not cells[position].any(), word
        else:
            assert torch.equal(cells[position], box_cells(scene.things[link].box))
    assert not cells[len(scene.links):].any()  # <end> and padding name nothing


def test_built_data_has_every_part_and_survives_a_save(tmp_path):
    data = build_data([3, 4, 5], Encoder(), batch=2)
    assert data.mid.shape == (3, 152, GRID, GRID) and data.mid.dtype == torch.float16
    assert data.pooled.shape == (3, 1280) and data.tokens.shape == (3, MAX_TOKENS)
    assert decode_caption(data.tokens[1].tolist()) == list(make_scene(4).tokens)
    save_data(data, tmp_path / "features.pt")
    assert set(torch.load(tmp_path / "features.pt", weights_only=True)) == {"seeds", "mid", "pooled"}  # no captions
    again = load_data(tmp_path / "features.pt")  # captions and ground truth recomputed from the layouts
    for name in ("seeds", "mid", "pooled", "tokens", "cells"):
        assert torch.equal(getattr(data, name), getattr(again, name)), name
