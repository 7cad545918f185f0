"""The one training loop (core.training) and the flags built from configs (core.flags)."""
import argparse
import math
from dataclasses import dataclass, fields

import pytest
import torch

from core.flags import add_config_flags, config_from_flags
from core.training import Loop, clip_gradients, cosine_rate, epoch_order, run_loop


def regression(seed: int = 0):
    """A linear model and a loss over fixed data: what every loop test trains."""
    g = torch.Generator().manual_seed(seed)
    x, y = torch.randn(64, 3, generator=g), torch.randn(64, 1, generator=g)
    model = torch.nn.Linear(3, 1)
    return model, (lambda step: torch.nn.functional.mse_loss(model(x), y))


def test_every_step_is_heard_and_evaluations_come_every_k_steps_and_at_the_end():
    model, loss = regression()
    steps, evals = [], []
    run = run_loop(model, torch.optim.SGD(model.parameters(), lr=0.1), Loop(10, 0.1, eval_every=4), loss,
                   evaluate=lambda step: {"score": -step}, on_step=lambda s, r: steps.append(r),
                   on_eval=lambda s, r: evals.append(r))
    assert [r["step"] for r in steps] == list(range(1, 11)) and run.status == "finished"
    assert [r["step"] for r in run.history] == [4, 8, 10] and evals == run.history
    assert steps[3]["score"] == -4 and "score" not in steps[0]  # an evaluated step's row carries the evaluation
    assert run.losses[-1] < run.losses[0] and len(run.grad_norms) == 10 and not model.training


def test_stop_and_the_time_limit_end_a_run():
    model, loss = regression()
    calls = []
    run = run_loop(model, torch.optim.SGD(model.parameters(), lr=0.1), Loop(100, 0.1), loss,
                   should_stop=lambda: calls.append(1) or len(calls) >= 3)
    assert run.status == "stopped" and len(run.steps) == 3
    run = run_loop(model, torch.optim.SGD(model.parameters(), lr=0.1), Loop(10**6, 0.1, max_seconds=0.05), loss)
    assert run.status == "finished" and 0 < len(run.steps) < 10**6 and run.seconds >= 0.05


def test_a_loss_that_is_not_finite_or_that_the_trainer_refuses_ends_the_run_as_diverged():
    model, loss = regression()
    before = [p.detach().clone() for p in model.parameters()]
    run = run_loop(model, torch.optim.SGD(model.parameters(), lr=0.1), Loop(5, 0.1),
                   lambda step: loss(step) * (float("nan") if step == 3 else 1.0))
    assert run.status == "diverged" and "step 3" in run.message and len(run.steps) == 2
    run = run_loop(model, torch.optim.SGD(model.parameters(), lr=0.1), Loop(5, 0.1), loss,
                   diverged=lambda step, value: "too big" if step == 1 else None)
    assert run.status == "diverged" and "too big" in run.message and run.steps == []
    # a finite loss whose gradient is not: d/dw sqrt(0 · w) = 0 / 0 on step 2
    bad_grad = run_loop(model, torch.optim.SGD(model.parameters(), lr=0.1), Loop(5, 0.1),
                        lambda step: loss(step) + (torch.sqrt(model.weight.sum() * 0) if step == 2 else 0))
    assert bad_grad.status == "diverged" and "step 2: the gradient norm" in bad_grad.message
    assert run.status == "diverged" and "too big" in run.message and run.steps == []
    assert not all(torch.equal(p, b) for p, b in zip(model.parameters(), before))  # the first run's two steps


def test_the_gradient_norm_is_recorded_before_clipping_and_the_update_is_clipped():
    model, loss = regression()
    before = torch.cat([p.detach().flatten().clone() for p in model.parameters()])
    run = run_loop(model, torch.optim.SGD(model.parameters(), lr=1.0), Loop(1, 1.0, clip="norm", clip_value=1e-3), loss)
    after = torch.cat([p.detach().flatten() for p in model.parameters()])
    assert run.grad_norms[0] > 1e-3 and float((after - before).norm()) == pytest.approx(1e-3, rel=1e-3)  # clipped
    p = torch.nn.Parameter(torch.zeros(2))
    p.grad = torch.tensor([3.0, -4.0])
    assert clip_gradients([p], "value", 1.0) == pytest.approx(5.0) and p.grad.tolist() == [1.0, -1.0]
    assert clip_gradients([p], "none", 0.1) == pytest.approx(math.sqrt(2)) and p.grad.tolist() == [1.0, -1.0]


def test_the_schedules_set_the_rate_each_step():
    model, loss = regression()
    run = run_loop(model, torch.optim.SGD(model.parameters(), lr=0.1), Loop(5, 0.1, "cosine", 0.1), loss)
    assert [r["lr"] for r in run.steps] == [cosine_rate(0.1, 0.1, k, 5) for k in range(5)]
    assert run.steps[0]["lr"] == 0.1 and cosine_rate(0.1, 0.1, 5, 5) == pytest.approx(0.01)
    assert cosine_rate(0.1, 0.0, 1, 100, time_used=1.0) == pytest.approx(0.0)  # time further along than the steps
    run = run_loop(model, torch.optim.Adam(model.parameters(), lr=0.1), Loop(20, 0.1, "onecycle"), loss)
    rates = [r["lr"] for r in run.steps]
    assert rates[0] == pytest.approx(0.1 / 25) and max(rates) == pytest.approx(0.1, rel=0.05) and rates[-1] < rates[0]
    with pytest.raises(ValueError):
        Loop(5, 0.1, "linear")


def test_epoch_order_visits_every_example_once_an_epoch_and_reshuffles():
    batch_at = epoch_order(10, 4, torch.Generator().manual_seed(0))
    epochs = [torch.cat([batch_at(s) for s in range(e * 3 + 1, e * 3 + 4)]) for e in range(2)]
    assert all(sorted(e.tolist()) == list(range(10)) for e in epochs) and not torch.equal(*epochs)
    again = epoch_order(10, 4, torch.Generator().manual_seed(0))
    assert torch.equal(torch.cat([again(s) for s in range(1, 4)]), epochs[0])


@dataclass(frozen=True)
class Settings:
    hidden_size: int = 8
    rate: float = 0.5
    limit: float | None = 3.0
    name: str = "x"
    fancy: bool = False

    def __post_init__(self) -> None:
        if self.hidden_size < 1:
            raise ValueError("hidden_size must be at least 1")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(exit_on_error=False)
    add_config_flags(p, Settings, aliases={"hidden_size": "hidden"}, helps={"rate": "how fast"})
    return p


def test_flags_come_from_the_config_with_its_defaults():
    p = parser()
    assert config_from_flags(p, Settings, p.parse_args([])) == Settings()  # no default can drift
    got = config_from_flags(p, Settings, p.parse_args(["--hidden", "4", "--rate", "0.1", "--limit", "none",
                                                        "--name", "y", "--fancy"]))
    assert got == Settings(4, 0.1, None, "y", True)
    assert config_from_flags(p, Settings, p.parse_args(["--hidden-size", "5"])).hidden_size == 5
    assert {f"--{f.name.replace('_', '-')}" for f in fields(Settings)} <= set(p._option_string_actions)


def test_a_value_the_config_refuses_is_a_usage_error(capsys):
    p = parser()
    with pytest.raises(SystemExit):
        config_from_flags(p, Settings, p.parse_args(["--hidden", "0"]))
    assert "hidden_size must be at least 1" in capsys.readouterr().err
    with pytest.raises((SystemExit, argparse.ArgumentError)):
        p.parse_args(["--rate", "fast"])
