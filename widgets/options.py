"""Form fields built from a dataclass's own declarations (default, bounds, help, choices).

The Train panel's fields come from `studio.training.TrainConfig` this way, as the
`studio train` flags do (`studio.cli_helpers.add_dataclass_options`): one source for each option.
"""

from __future__ import annotations

import dataclasses
import typing

import ipywidgets as w

from studio.options import default_of, plain_type

WIDE = w.Layout(width="420px")
NARROW = w.Layout(width="220px")


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def option_widget(f: dataclasses.Field, kind, optional: bool, value):
    """One widget for one field: numbers bounded as declared, 'auto' for optional ones."""
    meta, label = f.metadata, _label(f.name)
    common = dict(description=label, description_tooltip=meta.get("help", ""), style={"description_width": "110px"})
    if kind is bool:
        return w.Checkbox(value=bool(value), indent=False, **common)
    if meta.get("choices"):
        return w.Dropdown(options=list(meta["choices"]), value=value, layout=NARROW, **common)
    if typing.get_origin(kind) is list:
        return w.Textarea(value="\n".join(value or []), placeholder="one per line (default: automatic)",
                          layout=WIDE, **common)
    if kind in (int, float) and not optional:
        cls = w.BoundedIntText if kind is int else w.BoundedFloatText
        lo = meta["min"] if meta.get("min") is not None else -1e12
        hi = meta["max"] if meta.get("max") is not None else 1e12
        return cls(value=value, min=lo, max=hi, layout=NARROW, **common)
    text = "" if value is None else str(value)
    placeholder = "auto" if optional and kind in (int, float) else ("none" if optional else "")
    return w.Text(value=text, placeholder=placeholder, layout=WIDE if kind is str else NARROW, **common)


def option_widgets(cls, values: dict | None = None, panels=("main", "advanced")) -> dict[str, w.Widget]:
    """A widget per field of ``cls`` shown in ``panels``, named ``studio-<field-name>`` for tests."""
    hints, values = typing.get_type_hints(cls), values or {}
    out = {}
    for f in dataclasses.fields(cls):
        if f.metadata.get("panel", "advanced") not in panels:
            continue
        kind, optional = plain_type(hints[f.name])
        default = default_of(f)
        widget = option_widget(f, kind, optional, values.get(f.name, default))
        widget.add_class("studio-train-" + f.name.replace("_", "-"))
        out[f.name] = widget
    return out


def read_options(cls, widgets: dict[str, w.Widget]) -> dict:
    """The values typed into ``widgets``, converted to the field types; a ValueError names the field."""
    hints, out = typing.get_type_hints(cls), {}
    for name, widget in widgets.items():
        kind, optional = plain_type(hints[name])
        value = widget.value
        if typing.get_origin(kind) is list:
            value = [line.strip() for line in value.splitlines() if line.strip()]
        elif isinstance(value, str):
            value = value.strip()
            if value in ("", "auto", "none") and optional:
                value = None
            elif kind in (int, float):
                try:
                    value = kind(value)
                except ValueError:
                    raise ValueError(f"{_label(name)} must be a number or 'auto', not {value!r}") from None
        out[name] = value
    return out
