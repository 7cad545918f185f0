"""The character models shipped in assets/, and the commands that reproduce them (assets/reproduce.sh)."""
from __future__ import annotations

import math

from core.assets import ShippedModel, present

SHIPPED: tuple[ShippedModel, ...] = (
    ShippedModel("shakespeare-lstm", "charlm-shakespeare-lstm.pt", "Shakespeare · LSTM 2×512", "shakespeare"),
    ShippedModel("shakespeare-rnn", "charlm-shakespeare-rnn.pt", "Shakespeare · vanilla RNN 2×512", "shakespeare"),
    ShippedModel("python-lstm", "charlm-python-lstm.pt", "Python code · LSTM 2×512", "python"),
)


def available_models() -> list[ShippedModel]:
    """The shipped models whose checkpoint file is present."""
    return present(SHIPPED)


def describe(title: str, metrics: dict, config: dict) -> dict[str, object]:
    """One row of the models table: what the model is and how well it predicts held-out text."""
    val = metrics.get("val_loss")
    return {
        "model": title,
        "cell": config.get("cell", "?"),
        "layers × units": f"{config.get('num_layers', '?')} × {config.get('hidden_size', '?')}",
        "parameters": metrics.get("parameters"),
        "validation nats/char": None if val is None else round(val, 3),
        "bits/char": None if val is None else round(metrics.get("val_bits", val / math.log(2)), 3),
        "training steps": metrics.get("steps"),
        "training minutes": None if "seconds" not in metrics else round(metrics["seconds"] / 60, 1),
    }
