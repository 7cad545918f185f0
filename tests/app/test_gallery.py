"""Class gallery: the server's saved models, ranked by their loss on the same held-out text; names stay text."""
import torch

from core.charlm.corpus import load_corpus
from core.charlm.gallery import common_text
from core.charlm.model import CharConfig, CharRNN
from core.charlm.train import evaluate
from core.charlm.vocab import Vocab
from core.checkpoints import checkpoint_bytes
from core.seeded import build_seeded
from core.store import ModelStore
from tests.app.helpers import figure, open_page

PAGE = "pages/gallery.py"


def shakespeare_model(seed: int, scale: float) -> tuple[bytes, float]:
    """An untrained model that knows every character of Shakespeare (its scores scaled by `scale`, so that two
    seeds give clearly different losses), as checkpoint bytes, and its loss on the common text."""
    corpus = load_corpus("shakespeare")
    vocab = Vocab.from_text(corpus.train + corpus.val)
    model = build_seeded(lambda: CharRNN(CharConfig(len(vocab), "lstm", 8, 1, 4)), seed)
    with torch.no_grad():
        model.head.weight.mul_(scale)
    loss = evaluate(model, vocab.encode(common_text("shakespeare")))
    return checkpoint_bytes("charlm", model, vocab.chars, {"val_loss": 4.0}, {"corpus": "shakespeare"}), loss


def table(at) -> list[dict]:
    frames = [d.value for d in at.dataframe if "held-out loss" in d.value.columns]
    return [r for frame in frames for r in frame.to_dict("records")]


def test_saved_models_are_ranked_by_their_loss_on_the_same_text_and_their_names_stay_text():
    store = ModelStore.from_environment()  # the test run's own store (tests/conftest.py), which the page uses
    (worse, worse_loss), (better, better_loss) = shakespeare_model(1, 30.0), shakespeare_model(2, 0.01)
    assert better_loss < worse_loss
    a = store.save(worse, "wide <b>bold</b> **model**", "Ada")
    b = store.save(better, "small model", "")
    at = open_page(PAGE)
    rows = [r for r in table(at) if r["link"] in (f"sampling?model={a.id}", f"sampling?model={b.id}")]
    assert [r["model"] for r in rows] == ["small model", "wide <b>bold</b> **model**"]  # best first, names as typed
    assert [r["by"] for r in rows] == ["anonymous", "Ada"]
    assert rows[0]["held-out loss"] == round(better_loss, 3) and rows[1]["held-out loss"] == round(worse_loss, 3)
    assert rows[0]["rank"] < rows[1]["rank"] and all(r["sample"] for r in rows)
    labels = figure(at, "gallery_shakespeare")["data"][0]["y"]
    assert any("&lt;b&gt;bold&lt;/b&gt;" in y for y in labels) and not any("<b>" in y for y in labels)  # escaped
    assert not at.exception


def test_an_empty_store_says_how_to_fill_it(tmp_path, monkeypatch):
    from pages import _models

    monkeypatch.setattr(_models, "model_store", lambda: ModelStore(tmp_path, 10**9))
    at = open_page(PAGE)
    assert any("No model has been saved" in i.value for i in at.info) and not at.exception
