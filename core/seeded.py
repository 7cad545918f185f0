"""Building a model with seeded initial weights without touching torch's global random generator.

The app trains in background threads while other sessions sample and analyse in theirs; all of them share torch's
global generator, so seeding that generator in one thread changes what another draws (and another's draws change
this run's weights). `build_seeded` builds the module, then draws every parameter again from a generator of its
own with PyTorch's default initialisation, module by module in construction order: the same numbers as seeding the
global generator with `seed` and then building the module (tests/core/test_seeded.py), so seeded commands keep
reproducing the shipped checkpoints.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import torch
from torch import nn

M = TypeVar("M", bound=nn.Module)


def _reset(module: nn.Module, g: torch.Generator) -> None:
    """PyTorch's `reset_parameters` of one layer, drawn from `g`."""
    if isinstance(module, nn.Embedding):
        module.weight.normal_(0.0, 1.0, generator=g)
        if module.padding_idx is not None:
            module.weight[module.padding_idx].zero_()
    elif isinstance(module, nn.Linear):  # kaiming_uniform_(a=√5) and the bias: both U(±1/√fan_in)
        bound = module.in_features ** -0.5 if module.in_features > 0 else 0.0
        module.weight.uniform_(-bound, bound, generator=g)
        if module.bias is not None:
            module.bias.uniform_(-bound, bound, generator=g)
    elif isinstance(module, (nn.RNNBase, nn.RNNCellBase)):  # every weight and bias U(±1/√hidden)
        bound = module.hidden_size ** -0.5 if module.hidden_size > 0 else 0.0
        for p in module.parameters(recurse=False):
            p.uniform_(-bound, bound, generator=g)
    elif any(True for _ in module.parameters(recurse=False)):
        raise TypeError(f"build_seeded does not know how PyTorch initialises {type(module).__name__}")


def build_seeded(factory: Callable[[], M], seed: int) -> M:
    """`factory()` with its weights drawn from a generator seeded with `seed`: equal to seeding the global generator
    with `seed` and then calling `factory()`, without touching the global generator's seed (building the module
    still draws from it, and those numbers are overwritten)."""
    model = factory()  # its own draws are replaced below; its buffers (computed, not drawn) are kept
    reseed(model, seed)
    return model


def reseed(model: nn.Module, seed: int) -> None:
    """Draw every parameter of `model` again with PyTorch's default initialisation, layer by layer in construction
    order, from a generator seeded with `seed` (the global generator is not touched)."""
    g = torch.Generator().manual_seed(int(seed))
    with torch.no_grad():
        for module in model.modules():
            _reset(module, g)
