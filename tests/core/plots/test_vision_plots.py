"""Figures of the image pages: the map lies over the picture, frames follow the words, bars are labelled, a VQA
answer chart marks the truth, summary vectors are drawn unit by unit."""
import numpy as np
from PIL import Image

from core.plots.vision import (
    DISPLAY_SIDE,
    HIT,
    MISS,
    animation_figure,
    answers_figure,
    entropy_figure,
    image_uri,
    labels_figure,
    overlay_figure,
    vectors_figure,
)


def picture(width=600, height=300):
    return Image.new("RGB", (width, height), (200, 200, 200))


def test_large_images_are_shown_scaled_and_the_map_covers_them():
    uri, width, height = image_uri(picture(1000, 500))
    assert uri.startswith("data:image/png;base64,") and (width, height) == (DISPLAY_SIDE, DISPLAY_SIDE // 2)
    heat = np.zeros((14, 14))
    heat[0, 13] = 0.5  # top-right cell
    fig = overlay_figure(picture(1000, 500), heat, "t", boxes=[((500, 0, 1000, 250), True, "blue square")],
                         points=[(750.0, 125.0)])
    image, heatmap, glimpses = fig.data
    assert (heatmap.x0 == DISPLAY_SIDE / 14 / 2 and heatmap.dx * 14 == DISPLAY_SIDE
            and heatmap.dy * 14 == DISPLAY_SIDE // 2)
    assert np.asarray(heatmap.z).max() == 1.0 and np.asarray(heatmap.customdata).max() == 0.5  # scaled, raw on hover
    box = fig.layout.shapes[0]
    assert box.line.color == HIT and box.line.dash == "solid" and fig.layout.annotations[0].text == "✓ blue square"
    missed = overlay_figure(picture(100, 100), heat, "t", boxes=[((0, 0, 50, 50), False, "red circle")])
    assert missed.layout.shapes[0].line.dash == "dash" and missed.layout.annotations[0].text == "✗ red circle"
    # boxes scale with the picture
    assert (box.x0, box.x1, box.y1) == (DISPLAY_SIDE / 2, DISPLAY_SIDE, DISPLAY_SIDE / 4)
    assert glimpses.x[0] == DISPLAY_SIDE * 0.75 and fig.layout.yaxis.range == (DISPLAY_SIDE // 2, 0)  # y points down


def test_the_animation_has_one_frame_per_word_and_a_slider_labelled_with_them():
    heats = [np.eye(14) * k for k in (1, 2, 3)]
    fig = animation_figure(picture(), heats, ["a", "red", "circle"])
    assert len(fig.frames) == 3 and [s.label for s in fig.layout.sliders[0].steps] == ["a", "red", "circle"]
    assert all(f.traces == (1,) and len(f.data) == 1 for f in fig.frames)  # only the map travels, not the picture
    assert np.allclose(np.asarray(fig.frames[2].data[0].z), heats[2] / 3)  # scaled to its own maximum


def test_entropy_and_label_bars():
    fig = entropy_figure(["a", "red"], np.array([7.0, 1.0]), 7.61, selected=1)
    assert list(fig.data[0].y) == [7.0, 1.0] and fig.data[0].marker.color[1] != fig.data[0].marker.color[0]
    assert fig.layout.yaxis.title.text and fig.layout.shapes[0].y0 == 7.61
    bars = labels_figure([(285, "Egyptian cat", 0.6), (281, "tabby", 0.3)])
    assert list(bars.data[0].y) == ["tabby", "Egyptian cat"]  # likeliest on top
    cranes = labels_figure([(134, "crane", 0.5), (517, "crane", 0.2)])
    assert list(cranes.data[0].y) == ["crane (class 517)", "crane (class 134)"]  # two classes, two bars


def test_answer_bars_show_the_top_five_and_mark_the_true_answer():
    answers = [("circle", 0.5), ("square", 0.2), ("yes", 0.1), ("no", 0.1), ("red", 0.06), ("blue", 0.04)]
    right = answers_figure(answers, "square", "attention model")
    assert list(right.data[0].y) == ["red", "no", "yes", "square ✓", "circle ✗"]  # five, likeliest on top, and the
    colours = list(right.data[0].marker.color)  # true answer and a wrong top answer are marked, not only coloured
    assert colours[3] == HIT and colours[4] == MISS
    unknown = answers_figure(answers, None, "attention model")
    assert HIT not in unknown.data[0].marker.color and MISS not in unknown.data[0].marker.color


def test_summary_vectors_get_one_row_of_bars_each():
    fig = vectors_figure({"question": np.array([0.5, -0.25, 0.0]), "image": np.array([1.0, 2.0, -1.0])})
    assert len(fig.data) == 2 and list(fig.data[1].y) == [1.0, 2.0, -1.0]
    assert [a.text for a in fig.layout.annotations] == ["question", "image"]
    assert fig.data[0].marker.color[0] != fig.data[0].marker.color[1]  # positive and negative units differ
