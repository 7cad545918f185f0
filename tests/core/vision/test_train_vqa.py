"""The VQA training loop: held-out accuracy is split by question kind, and the command line trains and saves a
checkpoint the loader accepts."""
import pytest
import torch

from core.vision.captioner import FEATURE_SIZE
from core.vision.dataset import GRID, CaptionData
from core.vision.questions import ANSWERS, KINDS, RELATIONAL
from core.vision.train_vqa import VQATrainConfig, evaluate_vqa, look_loss, train_vqa
from core.vision.vqa import VQAConfig, VQAModel, build_questions


def test_accuracy_is_split_into_non_relational_and_relational_questions():
    questions = build_questions(list(range(40)))
    n_scenes = int(questions.scene.max()) + 1
    features = CaptionData(torch.arange(n_scenes), torch.zeros(n_scenes, FEATURE_SIZE, GRID, GRID).half(),
                           torch.zeros(n_scenes, 1280), torch.zeros(n_scenes, 2, dtype=torch.long),
                           torch.zeros(n_scenes, 2, 1, dtype=torch.bool))
    relational = torch.tensor([k in RELATIONAL for k in KINDS])[questions.kinds]
    truth = questions.answers.clone()

    class RightOnNonRelational(VQAModel):
        calls = 0

        def forward(self, mid, pooled, q):
            out = super().forward(mid, pooled, q)
            start = RightOnNonRelational.calls
            RightOnNonRelational.calls += len(q)
            rows = slice(start, start + len(q))
            wrong = (truth[rows] + 1) % len(ANSWERS)
            answer = torch.where(relational[rows], wrong, truth[rows])
            out.logits = torch.nn.functional.one_hot(answer, len(ANSWERS)).float()
            return out

    figures = evaluate_vqa(RightOnNonRelational(VQAConfig("question", hidden=8, embed=4)), features, questions,
                           batch=64)
    assert figures["non_relational"] == 1.0 and figures["relational"] == 0.0
    assert figures["acc_colour"] == 1.0 and figures["acc_closest"] == 0.0
    assert figures["accuracy"] == float((~relational).float().mean())


def test_the_command_line_trains_and_saves_a_loadable_checkpoint(tmp_path):
    from core.checkpoints import load_checkpoint
    from core.vision.train_vqa import main

    main(["--model", "attention", "--scenes", "24", "--styled-scenes", "6", "--val-scenes", "8", "--user-scenes", "4",
          "--epochs", "1", "--hidden", "16", "--cache", str(tmp_path / "cache"), "--out", str(tmp_path / "vqa.pt")])
    ck = load_checkpoint(tmp_path / "vqa.pt")
    assert ck.kind == "vqa" and ck.model.config.model == "attention" and ck.metrics["scenes"] == 24
    assert ck.metrics["styled_scenes"] == 6
    assert 0.0 <= ck.metrics["relational"] <= 1.0 and ck.metrics["held_out_questions"] > 8
    assert 0.0 <= ck.metrics["user_accuracy"] <= 1.0  # also scored on the user-style test set
    with pytest.raises(SystemExit):  # the flush scenes are the captioners' (no questions are built for them)
        main(["--flush-scenes", "3", "--out", str(tmp_path / "bad.pt")])


def test_the_look_loss_is_small_when_each_hop_looks_at_its_object_and_ignores_hops_without_one():
    mask = torch.zeros(2, 2, 4, dtype=torch.bool)
    mask[0, 0, 1] = mask[0, 1, 2] = True  # question 0: hop 1 should find cell 1, hop 2 cell 2; question 1: nothing
    on = torch.zeros(2, 2, 4)
    on[0, 0, 1] = on[0, 1, 2] = 1.0
    on[1] = 0.25
    spread = torch.full((2, 2, 4), 0.25)
    assert look_loss(on, mask) < 1e-4
    assert abs(float(look_loss(spread, mask)) - float(torch.log(torch.tensor(4.0)))) < 1e-5  # −log ¼
    assert float(look_loss(spread, torch.zeros_like(mask))) == 0.0


def attribute_features(seeds):
    """Hand-made features: one channel per colour, shape and size, lit over the cells of each object that has it."""
    from core.vision.shapes import COLOURS, SHAPES, SIZES, layout

    data = build_questions(seeds)
    channels = [*COLOURS, *SHAPES, *SIZES]
    mid = torch.zeros(len(seeds), FEATURE_SIZE, GRID * GRID)
    for k, seed in enumerate(seeds):
        for j, t in enumerate(layout(seed)[0]):
            for attribute in (t.colour, t.shape, t.size):
                mid[k, channels.index(attribute)] += 5.0 * data.cells[k, j]
    mid = mid.reshape(len(seeds), FEATURE_SIZE, GRID, GRID)
    return CaptionData(torch.tensor(seeds), mid.half(), torch.zeros(len(seeds), 1280),
                       torch.zeros(len(seeds), 2, dtype=torch.long),
                       torch.zeros(len(seeds), 2, 1, dtype=torch.bool)), data


def test_attention_supervision_teaches_hop_1_to_find_the_named_object():
    """On a small training set, hop 1 ends up on the object the question names far more often with the look loss
    than when it must learn where to look from the answers alone."""
    train, val = attribute_features(list(range(300))), attribute_features(list(range(1000, 1030)))
    figures = {}
    for weight in (0.0, 3.0):
        cfg = VQATrainConfig(model="attention", hidden=16, embed=8, epochs=10, batch=32, lr=2e-2, look_weight=weight)
        figures[weight] = train_vqa(cfg, train, val).history[-1]["hop1_pointing"]
    assert figures[3.0] > 0.75 and figures[3.0] > figures[0.0] + 0.2, figures  # measured: 0.87 against 0.51


def test_joined_questions_point_at_their_own_scenes_features():
    """Questions of plain scenes and of styled ones, joined in the order their features are: each question still
    asks about its own scene (its objects' cells and answers unchanged), moved past the scenes before it."""
    import torch

    from core.vision.vqa import VQAData, build_questions

    plain, styled = build_questions([0, 1, 2]), build_questions([3_000_000, 3_000_001], "train")
    both = VQAData.joined([plain, styled])
    assert len(both) == len(plain) + len(styled) and both.cells.shape[0] == 5
    tail = slice(len(plain), None)
    assert torch.equal(both.scene[tail], styled.scene + 3)
    assert torch.equal(both.cells[both.scene[tail]], styled.cells[styled.scene])
    assert (torch.equal(both.answers[tail], styled.answers)
            and torch.equal(both.look_mask(torch.arange(len(both)))[tail],
                            styled.look_mask(torch.arange(len(styled)))))
