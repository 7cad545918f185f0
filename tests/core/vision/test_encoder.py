"""The pretrained encoder: grid shapes, the pooled summary, the exact class activation map, real labels."""
import pytest
import torch
from PIL import Image

from core.vision.encoder import Encoder, class_names, top_labels


@pytest.fixture(scope="module")
def encoder():
    return Encoder()


def photo(name: str) -> Image.Image:
    import skimage.data

    return Image.fromarray(getattr(skimage.data, name)())


def test_one_pass_gives_both_grids_the_pooled_vector_and_the_scores(encoder):
    images = [Image.new("RGB", (300, 200), (200, 30, 30)), Image.new("RGB", (50, 80), (30, 30, 200))]
    f = encoder.encode(images)
    assert f.mid.shape == (2, 152, 14, 14) and f.grid.shape == (2, 1280, 7, 7)
    assert torch.allclose(f.pooled, f.grid.mean(dim=(2, 3)))
    with torch.inference_mode():
        assert torch.allclose(f.logits, encoder.model(encoder.preprocess(images)), atol=1e-4)  # the model's own head


def test_the_class_activation_map_adds_up_to_the_score(encoder):
    f = encoder.encode([photo("coffee")])
    label = int(f.logits[0].argmax())
    cam = encoder.class_activation_map(f.grid[0], label)
    assert cam.shape == (7, 7)
    assert float(cam.mean() + encoder.model._fc.bias[label]) == pytest.approx(float(f.logits[0, label]), abs=1e-3)


@pytest.mark.parametrize("name, expected", [("coffee", {"espresso"}), ("chelsea", {"tabby", "tiger cat", "Egyptian cat"})])
def test_sample_photos_get_the_right_imagenet_labels(encoder, name, expected):
    names = class_names()
    top = top_labels(encoder.encode([photo(name)]).logits[0], names)
    assert top[0][1] in expected, top
    assert len(top) == 5 and 0 < sum(p for *_, p in top) <= 1 + 1e-6
    assert all(a[2] >= b[2] for a, b in zip(top, top[1:]))  # likeliest first


def test_the_encoder_is_frozen(encoder):
    assert not any(p.requires_grad for p in encoder.model.parameters())
    assert not encoder.model.training


def test_encode_replays_the_traced_pass_and_gives_the_eager_numbers(encoder):
    """encode runs a traced copy of `features` (one call that holds no GIL): for one image and for a batch, every
    output equals the eager forward pass."""
    from core.vision.shapes import make_scene

    images = [make_scene(seed, None).image for seed in (1, 2, 3)]
    for batch in (images[:1], images):
        got = encoder.encode(batch)
        with torch.inference_mode():
            want = encoder.features(encoder.preprocess(batch))
        for name in ("mid", "grid", "pooled", "logits"):
            assert torch.equal(getattr(got, name), getattr(want, name)), name
