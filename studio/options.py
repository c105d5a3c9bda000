"""Options declared once: a dataclass field carries its default, bounds, choices and help.

`TrainConfig` (and any later settings dataclass) declares its fields with :func:`option`;
the CLI builds its flags from them (`studio.cli_helpers.add_dataclass_options`), a panel
builds its fields from them (`widgets.options`), and :func:`check_bounds` validates them.
"""

from __future__ import annotations

import dataclasses
import types
import typing

from studio.errors import StudioError


def option(default, help: str, *, min=None, max=None, choices=None, panel: str = "advanced",  # noqa: A002
           flag: str | None = None, factory=None):
    """A dataclass field with the facts the CLI and the panels need.

    ``panel`` is where a panel shows it: "main", "advanced" or "hidden"; ``flag`` is an extra
    command-line alias.
    """
    meta = {"help": help, "min": min, "max": max, "choices": choices, "panel": panel}
    if flag:
        meta["flag"] = flag
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def plain_type(annotation) -> tuple[type, bool]:
    """(the value type, whether None is allowed) of a field annotation such as ``int | None``."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        kinds = [a for a in args if a is not type(None)]
        return kinds[0], len(kinds) < len(args)
    return annotation, False


def default_of(f: dataclasses.Field):
    return f.default if f.default is not dataclasses.MISSING else f.default_factory()


def check_bounds(obj) -> None:
    """A one-line error, naming the flag, for the first field outside its declared bounds or choices."""
    for f in dataclasses.fields(obj):
        value, meta = getattr(obj, f.name), f.metadata
        if value is None or isinstance(value, (bool, list)):
            continue
        what = "--" + f.name.replace("_", "-")
        if meta.get("choices") and value not in meta["choices"]:
            raise StudioError(f"{what} must be one of {', '.join(meta['choices'])}, not {value!r}")
        if meta.get("min") is not None and value < meta["min"]:
            raise StudioError(f"{what} must be at least {meta['min']}, not {value}")
        if meta.get("max") is not None and value > meta["max"]:
            raise StudioError(f"{what} must be at most {meta['max']}, not {value}")
