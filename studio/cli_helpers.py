"""What every `studio` subcommand module shares: output, opening the home, flags from a dataclass.

Area command modules (`studio.training.cli`, `studio.pricing.cli`, ...) import this module;
none imports the entry point `studio.cli`, which imports them.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import typing
from typing import Any

from studio.options import default_of, plain_type


class Output:
    """Prints a result as JSON (--json) or as human text."""

    def __init__(self, as_json: bool):
        self.as_json = as_json

    def emit(self, data: Any, text: str | None = None) -> None:
        if self.as_json:
            print(json.dumps(data, indent=2, default=str, ensure_ascii=False))
        elif text is not None:
            print(text)

    def warn(self, line: str) -> None:
        print(line, file=sys.stderr)


def open_studio(args):
    import studio

    return studio.open(args.home)


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_dataclass_options(parser: argparse.ArgumentParser, cls, skip: tuple[str, ...] = ()) -> None:
    """One flag per dataclass field, from the field's own default, bounds and help.

    Field metadata: ``help`` (text), ``choices``, ``flag`` (an extra alias such as "--no-cache").
    A bool field that defaults to True gets ``--no-NAME``; one that defaults to False gets ``--NAME``.
    Every flag's default is None, so only what the user typed overrides the dataclass default.
    """
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        meta = f.metadata
        kind, _optional = plain_type(hints[f.name])
        default = default_of(f)
        text = meta.get("help", "")
        if kind is bool:
            names = [flag(("no_" if default else "") + f.name)] + ([meta["flag"]] if "flag" in meta else [])
            parser.add_argument(*names, dest=f.name, action="store_const", const=not default, default=None,
                                help=text)
            continue
        names = [flag(f.name)] + ([meta["flag"]] if "flag" in meta else [])
        shown = "" if default in (None, []) else f" (default: {default})"
        if typing.get_origin(kind) is list:
            parser.add_argument(*names, dest=f.name, nargs="+", default=None, metavar="TEXT", help=text + shown)
            continue
        parser.add_argument(*names, dest=f.name, type=kind, default=None, choices=meta.get("choices"),
                            metavar=f.name.upper() if meta.get("choices") is None else None, help=text + shown)


def dataclass_options(args: argparse.Namespace, cls) -> dict[str, Any]:
    """The fields the user set on the command line (flags left out keep the dataclass default)."""
    return {f.name: getattr(args, f.name) for f in dataclasses.fields(cls)
            if getattr(args, f.name, None) is not None}
