"""The VQA training loop: held-out accuracy is split by question kind, and the command line trains and saves a
checkpoint the loader accepts."""
import torch

from core.vision.captioner import FEATURE_SIZE
from core.vision.dataset import GRID, CaptionData
from core.vision.questions import ANSWERS, KINDS, RELATIONAL
from core.vision.vqa import VQAConfig, VQAModel, build_questions
from core.vision.train_vqa import evaluate_vqa


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

    main(["--model", "attention", "--scenes", "24", "--val-scenes", "8", "--epochs", "1", "--hidden", "16",
          "--cache", str(tmp_path / "cache"), "--out", str(tmp_path / "vqa.pt")])
    ck = load_checkpoint(tmp_path / "vqa.pt")
    assert ck.kind == "vqa" and ck.model.config.model == "attention" and ck.metrics["scenes"] == 24
    assert 0.0 <= ck.metrics["relational"] <= 1.0 and ck.metrics["held_out_questions"] > 8
