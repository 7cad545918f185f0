"""Command-line flags built from a config dataclass, so a command's flags and defaults cannot drift from the config.

Every field becomes `--field-name` (plus any short aliases a command keeps, e.g. `--hidden` for `hidden_size`),
typed and defaulted from the field; a field that may be None takes the word "none"; a bool becomes
`--name / --no-name`. The config's own checks (`__post_init__`) judge the values: a bad one is a usage error.
`--device` (add_device_flag) is the one flag that is no config's field: where a command runs is not part of what
it makes, and no checkpoint records it.
"""
from __future__ import annotations

import argparse
import types
import typing
from dataclasses import MISSING, fields
from typing import Any, TypeVar

C = TypeVar("C")


def _parser(kind: type, optional: bool):
    def parse(text: str):
        if optional and text.strip().lower() == "none":
            return None
        return kind(text)

    parse.__name__ = kind.__name__  # argparse names the type in its error messages
    return parse


def add_config_flags(parser: argparse.ArgumentParser, cls: type, aliases: dict[str, str] | None = None,
                     helps: dict[str, str] | None = None, skip: tuple[str, ...] = ()) -> None:
    """Add a flag for every field of the dataclass `cls` but those in `skip`; `aliases` maps a field to a short
    flag name kept beside the long one, `helps` a field to its help text."""
    aliases, helps = aliases or {}, helps or {}
    hints = typing.get_type_hints(cls)
    group = parser.add_argument_group(f"{cls.__name__} (each flag sets the field of the same name)")
    for f in fields(cls):
        if f.name in skip or not f.init:
            continue
        names = [f"--{f.name.replace('_', '-')}"] + ([f"--{aliases[f.name]}"] if f.name in aliases else [])
        default = f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]
        kind, optional = hints[f.name], False
        if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
            args = [a for a in typing.get_args(kind) if a is not type(None)]
            kind, optional = args[0], len(args) < len(typing.get_args(kind))
        text = helps.get(f.name, "")
        if kind is bool:
            group.add_argument(*names, dest=f.name, action=argparse.BooleanOptionalAction, default=default, help=text)
        else:
            shown = "none" if default is None else default
            group.add_argument(*names, dest=f.name, type=_parser(kind, optional), default=default,
                               metavar=kind.__name__.upper(), help=f"{text} (default: {shown})".strip())


def config_from_flags(parser: argparse.ArgumentParser, cls: type[C], args: argparse.Namespace,
                      **override: Any) -> C:
    """The `cls` config the parsed `args` describe (fields not given as flags keep their defaults; `override` sets
    fields directly); a value the config refuses is reported as a usage error by `parser`."""
    values = {f.name: getattr(args, f.name) for f in fields(cls) if f.init and hasattr(args, f.name)}
    try:
        return cls(**{**values, **override})
    except (TypeError, ValueError) as e:
        parser.error(str(e))
        raise  # parser.error exits; this only satisfies the type checker


def add_device_flag(parser: argparse.ArgumentParser, server: bool = False, where: str | None = None) -> None:
    """Add `--device auto|cpu|cuda|cuda:N` (default auto: CUDA when present, core.runtime.pick_device), the same on
    every command; `server`: the command starts an app server, whose RNN_LAB_DEVICE the flag sets; `where`: the
    help's own words for what the device is for."""
    where = where or ("where the app server it starts runs its models (its RNN_LAB_DEVICE; a server given by --url "
                      "keeps its own)" if server else "where the models run")
    parser.add_argument("--device", default="auto", metavar="DEVICE",
                        help=f"{where}: auto (CUDA when present, else the CPU), cpu, cuda or cuda:N (default: auto)")


def device_from_flags(parser: argparse.ArgumentParser, args: argparse.Namespace):
    """The torch.device `--device` (add_device_flag) names; one that is unknown or absent here is a usage error."""
    from core.runtime import pick_device

    try:
        return pick_device(args.device)
    except ValueError as e:
        parser.error(str(e))
        raise  # parser.error exits; this only satisfies the type checker
