"""Test-time sampling page: seeded, reproducible, argmax vs sampling, and a resample button."""
from tests.app.helpers import figure, open_page

PAGE = "pages/hello_sampling.py"


def generated(at) -> str:
    caption = next(c.value for c in at.caption if c.value.startswith("Generated text:"))
    return caption.split("`")[1]


def test_same_seed_same_sequence_and_resample_changes_it():
    at = open_page(PAGE)
    at.slider(key="sample_length").set_value(10).run()
    first = generated(at)
    assert first.startswith("h") and len(first) == 11
    at.run()
    assert generated(at) == first, "a rerun with the same seed gives the same text"
    seen = {first}
    for _ in range(5):
        at.button(key="resample").click().run()
        seen.add(generated(at))
    assert at.number_input(key="sample_seed").value == 5
    assert len(seen) > 1
    at.number_input(key="sample_seed").set_value(0).run()
    assert generated(at) == first


def test_argmax_never_marks_an_off_argmax_choice():
    at = open_page(PAGE)
    at.radio(key="mode").set_value("argmax").run()
    spec = figure(at, "sampling_steps")
    assert len(spec["data"][2].get("x", [])) == 0
    assert at.button(key="resample").disabled


def test_trained_model_mostly_samples_hello():
    at = open_page("pages/hello_model.py")
    at.slider(key="n_steps").set_value(300).run()
    at.button(key="train_n").click().run()
    at.switch_page(PAGE).run()
    assert "300 training steps" in at.info[0].value
    at.radio(key="mode").set_value("argmax").run()
    assert generated(at) == "hello"
    bars = figure(at, "diversity")["data"][0]
    assert bars["x"][0] == "hello" and bars["y"][0] > 100


def test_resample_wraps_at_the_largest_seed_without_warnings():
    at = open_page(PAGE)
    at.number_input(key="sample_seed").set_value(1_000_000).run()
    at.button(key="resample").click().run()
    assert at.number_input(key="sample_seed").value == 0
    assert not at.exception and not at.warning
