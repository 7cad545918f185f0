"""core.vision.pixels: the upload conversions' measurements and morphology are the same numbers as NumPy's reductions
and scipy's iterated morphology they replace (they exist only to be faster)."""
import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from core.vision.pixels import closed, grown, holes_filled, opened, pixels, shrunk

SQUARE = np.ones((3, 3), bool)


def masks():
    """Blobs, lines and holes of many sizes, some against the edge, on pictures of odd shapes; one empty, one full."""
    rng = np.random.default_rng(7)
    out = [np.zeros((40, 60), bool), np.ones((33, 20), bool)]
    for _ in range(24):
        seeds = rng.random((int(rng.integers(20, 220)), int(rng.integers(20, 220)))) < rng.uniform(0.002, 0.05)
        blobs = ndimage.binary_dilation(seeds, iterations=int(rng.integers(1, 6)))
        out.append(blobs ^ (rng.random(seeds.shape) < 0.02))  # specks, and pinholes in the blobs
    return out


@pytest.mark.parametrize("steps", [1, 2, 5, 13])
def test_growing_and_shrinking_equal_scipys_iterations(steps):
    for mask in masks():
        for metric, structure in (("taxicab", None), ("chessboard", SQUARE)):
            want = {grown: ndimage.binary_dilation(mask, structure, iterations=steps),
                    shrunk: ndimage.binary_erosion(mask, structure, iterations=steps),
                    closed: ndimage.binary_closing(mask, structure, iterations=steps),
                    opened: ndimage.binary_opening(mask, structure, iterations=steps)}
            for op, expected in want.items():
                assert np.array_equal(op(mask, steps, metric), expected), (op.__name__, metric, mask.shape)


def test_holes_filled_equals_scipy():
    for mask in masks():
        assert np.array_equal(holes_filled(mask), ndimage.binary_fill_holes(mask))
    ring = np.zeros((9, 9), bool)
    ring[2:7, 2:7], ring[3:6, 3:6] = True, False
    assert holes_filled(ring)[4, 4] and not holes_filled(ring)[0, 0]


def test_pixels_are_numpys_reductions():
    rng = np.random.default_rng(3)
    image = Image.fromarray(rng.integers(0, 256, (37, 51, 3), dtype=np.uint8))
    px = pixels(image)
    v = np.asarray(image, dtype=np.float32) / 255
    paper = np.median(np.concatenate([v[0], v[-1], v[:, 0], v[:, -1]]), axis=0)
    assert np.array_equal(px.v, v) and np.array_equal(px.paper, paper)
    assert np.array_equal(px.bright, v.max(axis=-1)) and np.array_equal(px.dull, v.min(axis=-1))
    assert np.array_equal(px.distance, np.linalg.norm(v - paper, axis=-1))
