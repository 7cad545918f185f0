"""Choosing the next token from logits: temperature sampling by the Gumbel-max trick.

argmax(logits + T * g), with g ~ Gumbel(0, 1) drawn once per step, is an exact sample from
softmax(logits / T) for T > 0 and is the argmax at T = 0. Drawing the noise g up front from a
seeded generator means the same seed uses the *same* random numbers at every temperature, so a
change of temperature changes the sample only through the temperature itself.
"""
from __future__ import annotations

import torch


def gumbel_noise(shape: tuple[int, ...], seed: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Standard Gumbel noise -log(-log U) of the given shape, deterministic for a seed."""
    generator = torch.Generator().manual_seed(int(seed))
    u = torch.rand(shape, generator=generator, dtype=dtype)
    tiny = torch.finfo(dtype).tiny
    return -torch.log(-torch.log(u.clamp(min=tiny, max=1.0 - torch.finfo(dtype).eps)))


def _check_temperature(temperature: float) -> None:
    if not temperature >= 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")


def pick_next(logits: torch.Tensor, temperature: float | torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """Index of the chosen token along the last axis: a softmax(logits/T) sample; argmax at T = 0.

    logits and noise have the same shape (..., V); temperature is a number or a tensor that broadcasts
    against them (e.g. (B, 1): one temperature per row). Returns (...,) int64. argmax(y + T g) equals
    argmax(y / T + g) for T > 0 and is exactly the argmax at T = 0.
    """
    if isinstance(temperature, torch.Tensor):  # the caller checked the values once, outside its loop
        return torch.addcmul(logits, temperature, noise).argmax(dim=-1)
    _check_temperature(temperature)
    return (logits + temperature * noise).argmax(dim=-1)


def softmax_with_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """softmax(logits / T) along the last axis; at T = 0 a one-hot on the argmax."""
    _check_temperature(temperature)
    if temperature == 0:
        return torch.nn.functional.one_hot(logits.argmax(dim=-1), logits.shape[-1]).to(logits.dtype)
    return torch.softmax(logits / temperature, dim=-1)
