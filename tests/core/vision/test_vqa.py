"""VQA models: shapes, what each ablation can and cannot see, attention maps are distributions, and every model
that sees both inputs learns a task that needs both."""
import pytest
import torch

from core.vision.captioner import FEATURE_SIZE
from core.vision.dataset import GRID, box_cells
from core.vision.questions import ANSWERS, KINDS, QuestionError, questions_about
from core.vision.shapes import layout
from core.vision.vqa import (
    MAX_QUESTION,
    QUESTION_VOCAB,
    VQAConfig,
    VQAModel,
    build_questions,
    encode_question,
    question_ids,
    reply,
)


def inputs(b=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    mid = torch.randn(b, FEATURE_SIZE, GRID, GRID, generator=g)
    pooled = torch.randn(b, 1280, generator=g)
    questions = torch.cat([question_ids("what colour is the large circle?"), question_ids("how many squares are there"),
                           question_ids("is the red object on the left?")])[:b]
    return mid, pooled, questions


def test_typed_questions_become_padded_ids_or_a_message():
    ids = question_ids("What color is the big circle?")
    assert ids.shape == (1, MAX_QUESTION)
    assert [QUESTION_VOCAB[i] for i in ids[0, :6]] == ["what", "colour", "is", "the", "large", "circle"]
    assert (ids[0, 6:] == 0).all()
    with pytest.raises(QuestionError, match="did you mean"):
        question_ids("what colour is the larg circle")
    assert len(encode_question(["the"] * 40)) == MAX_QUESTION
    with pytest.raises(QuestionError, match="17 words; the models read at most 16"):
        question_ids("what " * 17)  # answering its first 16 words without a word would mislead


@pytest.mark.parametrize("kind", ["lecture", "attention", "question", "image"])
def test_every_model_scores_every_answer(kind):
    torch.manual_seed(0)
    model = VQAModel(VQAConfig(kind, hidden=16, embed=8)).eval()
    mid, pooled, questions = inputs()
    out = model(mid, pooled, questions)
    assert out.logits.shape == (3, len(ANSWERS))
    assert (out.maps is None) == (kind != "attention")
    if kind == "attention":
        assert out.maps.shape == (3, 2, GRID * GRID)
        assert torch.allclose(out.maps.sum(-1), torch.ones(3, 2), atol=1e-5)
    with torch.no_grad():  # the ablations really do not see what they are not given
        other_image = model(mid + 1.0, pooled + 1.0, questions).logits
        other_question = model(mid, pooled, questions.roll(1, 0)).logits  # each image with another question
    assert torch.allclose(other_image, out.logits) == (kind == "question")
    assert torch.allclose(other_question, out.logits) == (kind == "image")


@pytest.mark.parametrize("kind", ["lecture", "attention"])
def test_models_that_see_both_learn_an_answer_that_needs_both(kind):
    """Two images × two questions, four different answers: neither input alone is enough."""
    torch.manual_seed(0)
    model = VQAModel(VQAConfig(kind, hidden=32, embed=8))
    mid = torch.stack([torch.full((FEATURE_SIZE, GRID, GRID), s) for s in (1.0, -1.0)]).repeat(2, 1, 1, 1)
    pooled = torch.stack([torch.full((1280,), s) for s in (1.0, -1.0)]).repeat(2, 1)
    questions = torch.cat([question_ids("what colour is the circle")] * 2
                          + [question_ids("what shape is the object")] * 2)
    answers = torch.tensor([ANSWERS.index(a) for a in ("red", "blue", "circle", "square")])
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(150):
        loss = torch.nn.functional.cross_entropy(model(mid, pooled, questions).logits, answers)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert model(mid, pooled, questions).logits.argmax(-1).tolist() == answers.tolist()


def test_built_questions_are_the_generated_ones():
    seeds = [5, 6, 7]
    data = build_questions(seeds)
    expected = [(k, q) for k, s in enumerate(seeds) for q in questions_about(layout(s)[0], s)]
    assert len(data) == len(expected)
    for row, (k, q) in enumerate(expected):
        assert int(data.scene[row]) == k and ANSWERS[int(data.answers[row])] == q.answer
        assert KINDS[int(data.kinds[row])] == q.kind
        assert data.questions[row].tolist() == encode_question(q.words)


def test_each_hop_is_told_to_look_at_the_named_object_and_at_the_one_the_answer_is_read_off():
    seeds = [5, 6, 7, 8]
    data = build_questions(seeds)
    mask = data.look_mask(torch.arange(len(data)))
    assert mask.shape == (len(data), 2, GRID * GRID)
    rows = [(k, q) for k, s in enumerate(seeds) for q in questions_about(layout(s)[0], s)]
    assert any(q.kind == "closest" for _, q in rows) and any(q.kind == "count" for _, q in rows)
    for row, (k, q) in enumerate(rows):
        things = layout(seeds[k])[0]
        for hop, obj in enumerate((q.subject, q.target)):
            expected = (torch.zeros(GRID * GRID, dtype=torch.bool) if obj is None
                        else box_cells(things[obj].box, tolerance=0))
            assert torch.equal(mask[row, hop], expected), (q, hop)


@pytest.mark.parametrize("kind", ["lecture", "attention", "question", "image"])
def test_a_reply_ranks_every_answer_and_carries_what_the_page_draws(kind):
    torch.manual_seed(0)
    model = VQAModel(VQAConfig(kind, hidden=16, embed=8)).eval()
    mid, pooled, _ = inputs(1)
    r = reply(model, mid, pooled, "What shape is the object closest to the red object?")
    probs = [p for _, p in r.answers]
    assert sorted(a for a, _ in r.answers) == sorted(ANSWERS) and probs == sorted(probs, reverse=True)
    assert abs(sum(probs) - 1) < 1e-5 and r.best == r.answers[0][0]
    with torch.no_grad():
        logits = model(mid, pooled, question_ids("what shape is the object closest to the red object")).logits[0]
    assert r.best == ANSWERS[int(logits.argmax())]
    assert (r.maps is None) == (kind != "attention")
    if kind == "attention":
        assert r.maps.shape == (2, GRID, GRID) and abs(r.maps.sum() - 2) < 1e-4
    assert (r.question is None) == (kind == "image") and (r.image is None) == (kind == "question")
    with pytest.raises(QuestionError, match="does not know"):
        reply(model, mid, pooled, "what is the meaning of life")


@pytest.mark.parametrize("kind", ["question", "lecture", "image", "attention"])
def test_the_traced_answer_is_the_models_own_for_questions_of_any_length(kind):
    """reply() answers through the model's forward pass traced once (core.vision.vqa.answer): for every kind of model
    and questions longer and shorter than the one it was traced with, every output equals calling the model."""
    from core.vision.vqa import answer, question_ids

    torch.manual_seed(2)
    model = VQAModel(VQAConfig(model=kind, hidden=16, embed=8)).eval()
    mid, pooled = torch.randn(1, FEATURE_SIZE, GRID, GRID), torch.randn(1, 1280)
    for text in ("what colour is the circle", "how many", "what colour is the object closest to the red circle"):
        q = question_ids(text)
        with torch.inference_mode():
            got, want = answer(model, mid, pooled, q), model(mid, pooled, q)
        for name in ("logits", "question", "image", "maps"):
            a, b = getattr(got, name), getattr(want, name)
            assert (a is None and b is None) or torch.equal(a, b), name
