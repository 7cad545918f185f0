"""What the gradient-flow page shows for one setting, computed in one call that a worker process can run
(core.offload): every chosen cell's forward and backward pass, the mechanism of the vanilla RNN and the LSTM, and the
figures, frozen (core.plots.frozen)."""
from __future__ import annotations

from dataclasses import dataclass, replace

from core.gradients.flow import FlowConfig, eigenvalues, mechanism, run_flow
from core.plots.frozen import FrozenFigure
from core.plots.gradients import eigenvalues_figure, gradient_norms_figure, mechanism_figure

LABELS = {"tanh": "vanilla RNN (tanh)", "relu": "vanilla RNN (ReLU)", "linear": "linear RNN", "lstm": "LSTM",
          "gru": "GRU"}


@dataclass(frozen=True)
class Experiment:
    """Three figures, and per cell how much of the gradient at the last step reaches the first ("overflow" past
    float64) and whether float32 would have overflowed."""

    norms: FrozenFigure
    eigenvalues: FrozenFigure
    mechanism: FrozenFigure | None  # None without the vanilla RNN and the LSTM
    reach: dict[str, str]
    broken: list[str]


def flow_experiment(base: FlowConfig, kinds: tuple[str, ...]) -> Experiment:
    """The experiment for the setting `base` over the cells `kinds` (each a FlowConfig.cell)."""
    flows = {LABELS[k]: run_flow(replace(base, cell=k)) for k in kinds}
    mechanisms = {f.config.cell: mechanism(f) for f in flows.values() if f.config.cell != "gru"}
    vanilla = next((m for cell, m in mechanisms.items() if cell in ("tanh", "relu", "linear")), None)
    lstm = mechanisms.get("lstm")
    reach = {label: flow.reach for label, flow in flows.items()}
    return Experiment(FrozenFigure(gradient_norms_figure(flows)),
                      FrozenFigure(eigenvalues_figure(eigenvalues(base), base.rho)),
                      None if vanilla is None and lstm is None else
                      FrozenFigure(mechanism_figure(vanilla, lstm, LABELS[base.cell])),
                      reach, [label for label, flow in flows.items() if flow.overflows_float32])
