"""The layers of the engine, drawn from the imports: each layer imports only the layers below it, no cycles.

The graph is read from the source with ``ast`` (nothing is imported), so a violation is found even in
code that no test runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests_selftest.harness import ROOT

PACKAGES = ("iam_compliance", "fixtures", "checks")

# Layer -> the layers it may import. "base" is what every layer may use.
BASE = "base"
ALLOWED: dict[str, set[str]] = {
    BASE: set(),
    "snapshot": {BASE},
    "collection": {BASE, "snapshot"},
    "model": {BASE, "snapshot"},
    "analysis": {BASE, "snapshot", "model"},
    "controls": {BASE, "model", "analysis"},
    "results": {BASE, "model", "controls"},
    "rendering": {BASE, "snapshot", "model", "controls", "results"},
    "simulated": {BASE, "snapshot", "collection"},
    "fixtures": {BASE, "snapshot", "collection", "model", "analysis", "controls", "results", "simulated"},
    "plugins": {BASE, "snapshot", "model", "controls", "results", "rendering", "fixtures"},
    "checks": {BASE, "model", "analysis", "controls"},
}
# Imports inside functions hide cycles; the only ones allowed load the optional simulator (moto) on demand.
LAZY_IMPORTS_ALLOWED = ("iam_compliance.simulated",)


def layer_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] in ("fixtures", "checks"):
        return parts[0]
    if len(parts) == 1 or parts[1] in ("timeutil", "jsonio", "settings"):
        return BASE
    if parts[1] == "remediation":  # fix commands built from the model's views
        return "model"
    if parts[1] in ("controls", "applicability", "frameworks"):
        return "controls"
    return parts[1]


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def imports_of(path: Path, modules: dict[str, Path]) -> tuple[set[str], set[str]]:
    """(module-level imports, function-level imports) of project modules."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top: set[str] = set()
    lazy: set[str] = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]

    def targets(node: ast.Import | ast.ImportFrom) -> set[str]:
        if isinstance(node, ast.Import):
            names = {alias.name for alias in node.names}
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            submodules = {f"{base}.{alias.name}" for alias in node.names}
            # "from package import module" imports the module; "from module import name" the module.
            names = {name for name in submodules if name in modules} or {base}
        found = set()
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
        return found

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                (lazy if in_function else top).update(targets(child))
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(tree, False)
    return top, lazy


def import_graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    modules = project_modules()
    graph, lazy = {}, {}
    for name, path in modules.items():
        top, inner = imports_of(path, modules)
        graph[name] = {m for m in top if m != name}
        lazy[name] = {m for m in inner if m != name}
    return graph, lazy


def test_the_graph_covers_every_layer():
    graph, _ = import_graph()
    assert {layer_of(m) for m in graph} == set(ALLOWED)


def test_layers_import_only_downward():
    graph, lazy = import_graph()
    upward = [
        f"{module} ({layer_of(module)}) imports {target} ({layer_of(target)})"
        for module, targets in sorted(graph.items()) for target in sorted(targets | lazy[module])
        if layer_of(target) != layer_of(module) and layer_of(target) not in ALLOWED[layer_of(module)]
    ]
    assert not upward, "imports against the layering:\n" + "\n".join(upward)


def test_no_function_level_imports_of_the_project():
    _, lazy = import_graph()
    hidden = [f"{module} imports {target} inside a function" for module, targets in sorted(lazy.items())
              for target in sorted(targets) if not target.startswith(LAZY_IMPORTS_ALLOWED)]
    assert not hidden, "\n".join(hidden)


def test_no_import_cycles():
    graph, _ = import_graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append(path[path.index(target):] + [target])
            elif target not in state:
                walk(target, path + [target])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_reports_folder_holds_no_code():
    """reports/ is where runs write; deleting it must lose nothing."""
    assert not (ROOT / "reports").exists() or not list((ROOT / "reports").rglob("*.py"))
