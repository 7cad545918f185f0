"""Every training command in assets/reproduce.sh still parses, with the flags built from the configs (core.flags),
into the config it recorded: a renamed field or a changed default cannot silently change what a command means."""
import shlex
from pathlib import Path

import pytest

from core.charlm.train import TrainConfig, parse_command
from core.vision.train_captioner import CaptionTrainConfig, shapes_command
from core.vision.train_vqa import VQATrainConfig

SCRIPT = Path(__file__).resolve().parents[2] / "assets" / "reproduce.sh"


def commands(prefix: str = "core.") -> list[list[str]]:
    """Each `python -m <prefix>…` command of the script, as its argument list (continuation lines joined)."""
    text = SCRIPT.read_text().replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        while words and "=" in words[0]:  # environment settings before the command
            words = words[1:]
        if words[:2] == ["python", "-m"] and words[2].startswith(prefix):
            found.append(words[2:])
    return found


def test_the_script_holds_every_shipped_training_command():
    modules = [c[0] for c in commands()]
    assert modules.count("core.charlm.train") == 3 and modules.count("core.vision.train_captioner") == 4
    assert modules.count("core.vision.train_vqa") == 4


def test_a_warm_start_comes_after_the_command_that_makes_its_weights():
    """The hard captioner starts from the soft one as it was before its last training (with the flush scenes), which
    starts from, and replaces, that same file; the hard-attention ablation runs between the two, from the same soft
    weights as the hard model: the order of the script is part of what it means."""
    made: list[str] = []
    order = [c[0] if c[0] != "core.vision.train_captioner" else c[c.index("--out") + 1] for c in commands("")]
    assert order.index("assets/captioner-hard.pt") < order.index("benchmarks.hard_attention") \
        < len(order) - 1 - order[::-1].index("assets/captioner-soft.pt"), order
    for command in commands():
        argv = command[1:]
        if "--init" in argv:
            assert argv[argv.index("--init") + 1] in made, command
        made.append(argv[argv.index("--out") + 1])
    captioners = [c[1:] for c in commands() if c[0] == "core.vision.train_captioner"]
    last = captioners[-1]
    assert last[last.index("--out") + 1] == last[last.index("--init") + 1] == "assets/captioner-soft.pt"
    assert "--flush-scenes" in last and any("--image-state" in c for c in captioners[:-1])


@pytest.mark.parametrize("command", commands(), ids=lambda c: c[c.index("--out") + 1].split("/")[-1])
def test_each_command_parses_into_the_config_it_means(command):
    module, argv = command[0], command[1:]
    if module == "core.charlm.train":
        _, cfg = parse_command(argv)
        assert isinstance(cfg, TrainConfig) and cfg.max_seconds is None and cfg.num_layers == 2
        assert cfg.max_steps == int(argv[argv.index("--steps") + 1]) and cfg.hidden_size == 512
    else:
        cls = CaptionTrainConfig if module.endswith("captioner") else VQATrainConfig
        _, args, cfg, sets = shapes_command(argv, "check", cls, {})
        assert isinstance(cfg, cls) and sets.val_scenes == 1000 and str(args.out).startswith("assets/")
        if module.endswith("captioner") and cfg.attention == "hard":
            assert cfg.samples == 2 and cfg.word_reward and cfg.expected_half and cfg.image_state
            assert cfg.init == "assets/captioner-soft.pt"


@pytest.mark.parametrize("argv, problem", [
    (["--cell", "transformer", "--out", "x.pt"], "cell must be one of"),
    (["--eval-every", "0", "--out", "x.pt"], "eval_every"),
    (["--max-seconds", "soon", "--out", "x.pt"], "invalid float value"),
])
def test_a_bad_flag_is_a_usage_error_before_anything_runs(argv, problem, capsys):
    with pytest.raises(SystemExit):
        parse_command(argv)
    assert problem in capsys.readouterr().err
