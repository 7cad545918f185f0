"""The pretrained encoder: grid shapes, the pooled summary, the exact class activation map, real labels."""
import pytest
import torch
from PIL import Image

from core.vision.encoder import Encoder, class_names, top_labels
from core.vision.images import VIEW_MARGIN


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


@pytest.mark.parametrize("name, expected", [("coffee", {"espresso"}),
                                            ("chelsea", {"tabby", "tiger cat", "Egyptian cat"})])
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


def test_a_batch_encoded_a_few_images_at_a_time_gives_the_whole_batchs_numbers(encoder):
    """On a CPU, encode runs a batch CPU_CHUNK images at a time (three times faster here): for a batch that does not
    divide evenly, every output agrees with the whole batch's eager pass to 1e-4 (a product's summation order depends
    on its shape), and the ImageNet scores are the head applied to the whole batch's pooled vectors."""
    from core.vision.encoder import CPU_CHUNK
    from core.vision.styles import styled_scene

    images = [styled_scene(1_000_000 + k, "test").image for k in range(2 * CPU_CHUNK + 1)]
    got = encoder.encode(images)
    with torch.inference_mode():
        want = encoder.features(encoder.preprocess(images))
        assert torch.equal(got.logits, encoder.model._fc(got.pooled))
    for name in ("mid", "grid", "pooled", "logits"):
        assert torch.allclose(getattr(got, name), getattr(want, name), rtol=0, atol=1e-4), name


def test_a_wide_image_is_padded_not_squeezed_on_its_way_into_the_encoder():
    """A 448 × 224 white picture with a red disc touching its left edge: the encoder's input keeps the disc round and
    whole, with white bands above and below and a thin white border all round (Encoder.preprocess pads with the
    edge's colour), so the disc no longer touches the input's edge."""
    from PIL import ImageDraw

    image = Image.new("RGB", (448, 224), (255, 255, 255))
    ImageDraw.Draw(image).ellipse((0, 62, 100, 162), fill=(255, 0, 0))
    x = Encoder().preprocess([image])[0]  # (3, 224, 224), (pixel - 127) / 128
    white = (255 - 127) / 128
    assert torch.allclose(x[:, :50], torch.full_like(x[:, :50], white), atol=0.02)  # the padded band above
    assert torch.allclose(x[:, -50:], torch.full_like(x[:, -50:], white), atol=0.02)  # and below
    red = (x[0] > 0.5) & (x[1] < -0.5)  # where the disc is
    rows, cols = red.any(1).nonzero().flatten(), red.any(0).nonzero().flatten()
    height, width = int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)
    assert abs(height - width) <= 2 and 46 <= width <= 52  # round (a squeeze would make it twice as tall as wide)
    border = round(448 * VIEW_MARGIN) * 224 / (448 + 2 * round(448 * VIEW_MARGIN))  # 7 px of 462, scaled: 3.4 px
    assert abs(int(cols[0]) - border) <= 1  # at the border's inner edge: nothing cropped, white space beyond it
    assert torch.allclose(x[:, :, :3], torch.full_like(x[:, :, :3], white), atol=0.02)
