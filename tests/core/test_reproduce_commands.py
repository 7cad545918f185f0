"""Every training command in assets/reproduce.sh still parses, with the flags built from the configs (core.flags),
into the config it recorded: a renamed field or a changed default cannot silently change what a command means."""
import shlex
from pathlib import Path

import pytest

from core.charlm.train import TrainConfig, parse_command
from core.vision.train_captioner import CaptionTrainConfig, shapes_command
from core.vision.train_vqa import VQATrainConfig

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "assets" / "reproduce.sh"


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


# Every command runs where --device says (core.flags.add_device_flag), tiny settings so each takes seconds: the CPU
# here, as in CI; what a GPU would run is the same code with another device (untested on a GPU).
TINY_SETS = ["--scenes", "8", "--val-scenes", "4", "--user-scenes", "0", "--epochs", "1", "--batch", "4"]


@pytest.fixture(scope="module")
def scene_cache(tmp_path_factory):
    """A features cache of this module's own (the few scenes the tiny commands encode), not the checkout's .cache."""
    return tmp_path_factory.mktemp("features")


def test_the_character_model_command_trains_on_the_device_it_is_given(tmp_path, capsys):
    from core.charlm.train import main
    from core.checkpoints import load_checkpoint

    out = tmp_path / "tiny.pt"
    main(["--device", "cpu", "--hidden", "8", "--embed", "4", "--batch", "2", "--chunk", "8", "--steps", "2",
          "--eval-every", "1", "--eval-chars", "200", "--max-seconds", "none", "--out", str(out)])
    ck = load_checkpoint(out)
    assert ck.metrics["steps"] == 2 and "2 steps" in capsys.readouterr().out
    assert all(t.device.type == "cpu" for t in ck.model.state_dict().values())


@pytest.mark.parametrize("module", ["core.vision.train_captioner", "core.vision.train_vqa"])
def test_each_shapes_world_command_trains_on_the_device_it_is_given(module, scene_cache, tmp_path):
    import importlib

    from core.checkpoints import load_checkpoint

    out = tmp_path / "tiny.pt"
    sizes = ["--hidden", "16", "--embed", "8"] + (["--attend", "8"] if module.endswith("captioner") else [])
    importlib.import_module(module).main(["--device", "cpu", *TINY_SETS, *sizes, "--cache", str(scene_cache),
                                          "--out", str(out)])
    ck = load_checkpoint(out)
    assert ck.kind == ("captioner" if module.endswith("captioner") else "vqa") and ck.metrics["scenes"] == 8


def test_remeasure_scores_on_the_device_it_is_given(scene_cache, tmp_path, monkeypatch):
    """It rewrites the shipped files' user-style figures: here copies of one captioner and one VQA model."""
    import shutil

    import core.assets
    import core.vision.remeasure as remeasure
    from core.checkpoints import load_checkpoint
    from core.vision.shipped import CAPTIONERS, VQA_MODELS

    models = (CAPTIONERS[0], VQA_MODELS[0])
    for m in models:
        if not m.path.exists():
            pytest.skip(f"{m.path.name} is not shipped in this checkout")
        shutil.copy(m.path, tmp_path / m.filename)
    monkeypatch.setattr(core.assets, "ASSETS", tmp_path)
    monkeypatch.setattr(remeasure, "CAPTIONERS", models[:1])
    monkeypatch.setattr(remeasure, "VQA_MODELS", models[1:])
    remeasure.main(["--device", "cpu", "--scenes", "4", "--cache", str(scene_cache)])
    assert all(load_checkpoint(tmp_path / m.filename).metrics["user_scenes"] == 4 for m in models)


@pytest.mark.parametrize("module", ["core.charlm.train", "core.vision.train_captioner", "core.vision.train_vqa",
                                    "core.vision.remeasure"])
@pytest.mark.parametrize("device, problem", [("tpu", "unknown device 'tpu'"), ("cuda:x", "unknown device"),
                                             ("cuda", "no CUDA GPU")])
def test_a_device_a_command_cannot_use_is_a_usage_error_before_anything_runs(module, device, problem, capsys,
                                                                             monkeypatch):
    import importlib

    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # as in CI, also on a machine with a GPU
    with pytest.raises(SystemExit):
        importlib.import_module(module).main(["--device", device] + ([] if module.endswith("remeasure")
                                                                     else ["--out", "x.pt"]))
    assert problem in capsys.readouterr().err


BENCHMARKS_WITH_DEVICE = ("analysis", "browser", "captioning", "cluster", "drawings", "edges", "hard_attention",
                          "load", "memory_lag", "moves", "sampling", "train_3min", "vqa")  # not gradient_flow (NumPy)


@pytest.mark.parametrize("argv", [
    ["edges", "--count", "2"],
    ["drawings", "--count", "2"],
    ["vqa", "--repeats", "1"],
    ["memory_lag", "--lags", "3", "--seeds", "0", "--steps", "2", "--workers", "1"],
    ["hard_attention", "--scenes", "8", "--val-scenes", "4", "--epochs", "1", "--rows", "1"],
], ids=lambda argv: argv[0])
def test_the_quick_benchmarks_run_on_the_device_they_are_given(argv, scene_cache, capsys):
    """The benchmarks that can be run in seconds (the others take minutes or start a server; their flag is checked
    below)."""
    import importlib

    module = importlib.import_module(f"benchmarks.{argv[0]}")
    shipped = (ROOT / "assets" / "captioner-soft.pt").exists()
    if argv[0] in ("edges", "drawings", "vqa", "hard_attention") and not shipped:
        pytest.skip("the shipped models are not in this checkout")
    cache = ["--cache", str(scene_cache)] if argv[0] == "hard_attention" else []
    module.main(["--device", "cpu", *argv[1:], *cache])
    assert capsys.readouterr().out


@pytest.mark.parametrize("name", BENCHMARKS_WITH_DEVICE)
def test_every_benchmark_takes_the_device_flag_and_refuses_an_unknown_one(name, capsys, monkeypatch):
    import importlib
    import sys

    monkeypatch.setattr(sys, "argv", [name, "--device", "tpu"])  # for the mains that read sys.argv themselves
    main = importlib.import_module(f"benchmarks.{name}").main
    with pytest.raises(SystemExit):
        main(["--device", "tpu"]) if main.__code__.co_argcount else main()
    assert "unknown device 'tpu'" in capsys.readouterr().err


def test_the_deployment_command_refuses_a_device_it_cannot_use_before_starting_anything():
    """deploy/serve.py (run with --device cpu by tests/e2e/test_deploy.py) sets RNN_LAB_DEVICE for its processes."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, str(ROOT / "deploy" / "serve.py"), "--device", "tpu"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "unknown device 'tpu'" in done.stderr, done.stderr
