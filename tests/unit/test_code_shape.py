"""How the code is arranged (docs/DESIGN.md): services with public faces, layers that import
downward, no demo data in the core, small files. Checked on the source, so a change that breaks
the arrangement fails here rather than in a reviewer's reading."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "studio").rglob("*.py"), *(ROOT / "widgets").rglob("*.py")])


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every studio module this file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return {m for m in found if m.split(".")[0] in ("studio", "widgets")}


MODULES = {_module(p): p for p in SOURCES}


def _graph() -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        targets = {m for m in _imports(path) if m in MODULES}
        # a module imports its parent packages implicitly; that is not a cycle in the design
        graph[name] = {t for t in targets if not name.startswith(t + ".") and t != name}
    return graph


def test_no_module_outside_home_reaches_into_the_studio():
    pattern = re.compile(r"\b(st|self\.st|studio)\._[a-z]")
    offenders = [f"{p.relative_to(ROOT)}:{i}" for p in SOURCES if p.name != "home.py" or p.parent.name != "studio"
                 for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert offenders == []


def test_only_the_samples_and_the_samples_command_know_the_sample_data():
    users = {name for name, path in MODULES.items() if any(m.startswith("studio.samples") for m in _imports(path))
             and not name.startswith("studio.samples.")}
    assert users <= {"studio.samples", "studio.cli"}, users


def test_no_import_cycles_among_studio_modules():
    graph, cycles = _graph(), []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_layers_import_downward():
    """Base models < inference < training and quality < the marketplace; the core never imports a view."""
    layer = {"studio.models": 0, "studio.text": 0, "studio.inference": 1, "studio.training": 2, "studio.quality": 3,
             "studio.marketplace": 4}

    def level(module: str) -> int | None:
        return next((v for k, v in layer.items() if module == k or module.startswith(k + ".")), None)

    upward = []
    for name, targets in _graph().items():
        if name.startswith("studio.") and any(t.startswith("widgets") for t in targets):
            upward.append((name, "widgets"))
        own = level(name)
        if own is None or name.endswith(".cli"):  # command modules sit on top of everything
            continue
        upward += [(name, t) for t in targets if (level(t) or -1) > own]
    assert upward == []


def test_the_runtime_never_imports_the_build_tools():
    build = ("studio.models.build", "studio.text.build")
    users = {name for name, path in MODULES.items() if not name.startswith(build)
             and any(m.startswith(build) for m in _imports(path))}
    assert users == set()


def test_no_python_file_is_over_450_lines():
    long = {str(p.relative_to(ROOT)): n for p in SOURCES if (n := len(p.read_text().splitlines())) > 450}
    assert long == {}
