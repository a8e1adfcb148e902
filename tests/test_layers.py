"""The layers of `docs/architecture.md` hold: every import of one Advisor module by another (at the top of
a file or inside a function) goes to a layer the importer may use, and no modules import each other in
a cycle. Imports under `if TYPE_CHECKING:` are for the type checker only and are not counted.

The package is read as installed (`advisor`, with `advisor.pricing` and `advisor.rules` inside it), so
the test sees what users run.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
from collections.abc import Iterator

import advisor
import pytest

# (layer, the module names it holds: a name covers its submodules), from the bottom up
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "base",
        (
            "advisor",
            "advisor.model",
            "advisor.fastpickle",
            "advisor.paths",
            "advisor.deadline",
            "advisor.config",
            "advisor.cache",
            "advisor.store",
            "advisor.money",
            "advisor.display",
        ),
    ),
    ("front-ends", ("advisor.iac",)),
    ("pricing", ("advisor.pricing",)),
    ("rules", ("advisor.rules", "advisor.ignores")),
    ("engine", ("advisor.engine",)),
    (
        "computations",
        (
            "advisor.budget",
            "advisor.diff",
            "advisor.history",
            "advisor.gitread",
            "advisor.batch",
            "advisor.usage_file",
        ),
    ),
    ("report", ("advisor.report",)),
    ("explain", ("advisor.explain",)),
    ("front doors", ("advisor.cli", "advisor.commands", "advisor.lsp", "advisor.__main__")),
]

# What each layer may import besides itself (arrows point at what a layer uses).
MAY_IMPORT: dict[str, set[str]] = {
    "base": set(),
    "front-ends": {"base"},
    "pricing": {"base"},
    "rules": {"base", "pricing"},
    "engine": {"base", "front-ends", "pricing", "rules"},
    "computations": {"base", "front-ends", "pricing", "rules", "engine"},
    "report": {"base", "front-ends", "pricing", "rules", "engine", "computations"},
    "explain": {"base", "front-ends", "pricing", "rules", "engine", "computations"},
    "front doors": {name for name, _ in LAYERS},
}


def layer_of(module: str) -> str:
    """The layer of a module: the one whose longest listed name is the module or a package above it."""
    best: tuple[int, str] | None = None
    for layer, names in LAYERS:
        for name in names:
            covers = module == name or module.startswith(name + ".")
            if covers and (best is None or len(name) > best[0]):
                best = (len(name), layer)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS and to docs/architecture.md")
    return best[1]


def all_modules() -> dict[str, str]:
    """Every module of the installed package → its file (`advisor.pricing` and `advisor.rules` are
    walked on their own: an editable install keeps them in folders of their own)."""
    found = {"advisor": str(advisor.__file__)}
    for top in ("advisor", "advisor.pricing", "advisor.rules"):
        package = importlib.import_module(top)
        found[top] = str(package.__file__)
        for info in pkgutil.walk_packages(package.__path__, top + "."):
            spec = importlib.util.find_spec(info.name)
            if spec is not None and spec.origin and spec.origin.endswith(".py"):
                found[info.name] = spec.origin
    return found


def _type_checking_only(node: ast.AST) -> bool:
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    stack = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if _type_checking_only(child):
                stack.extend(child.orelse)  # type: ignore[attr-defined]
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child
            stack.append(child)


def imports_of(module: str, path: str, modules: dict[str, str]) -> dict[str, int]:
    """The Advisor modules `module` imports → the line of the first such import."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
    out: dict[str, int] = {}
    for node in _imports(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        for name in names:
            while name and name not in modules:  # `from advisor.iac import files` names a module
                name = name.rpartition(".")[0]
            if name and name != module:
                out.setdefault(name, node.lineno)
    return out


@pytest.fixture(scope="module")
def graph() -> dict[str, dict[str, int]]:
    modules = all_modules()
    return {m: imports_of(m, p, modules) for m, p in sorted(modules.items())}


def test_the_package_has_the_modules_the_layers_name(graph: dict[str, dict[str, int]]) -> None:
    expected = {"advisor.engine.session", "advisor.iac.frontend", "advisor.rules.kinds.registry"}
    assert expected | {"advisor.pricing.memo", "advisor.lsp.server", "advisor.report.html"} <= set(graph)
    for module in graph:
        layer_of(module)  # every module has a layer


def test_every_import_goes_to_a_layer_the_importer_may_use(graph: dict[str, dict[str, int]]) -> None:
    wrong = []
    for module, targets in graph.items():
        mine = layer_of(module)
        for target, line in targets.items():
            theirs = layer_of(target)
            if theirs != mine and theirs not in MAY_IMPORT[mine]:
                wrong.append(f"{module}:{line} imports {target} ({mine} → {theirs})")
    assert not wrong, "imports across the layers:\n" + "\n".join(sorted(wrong))


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(graph[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            advanced = False
            for target in edges:
                if target not in graph:
                    continue
                if target not in index:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(graph[target])))
                    advanced = True
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_modules_import_each_other_in_a_cycle(graph: dict[str, dict[str, int]]) -> None:
    assert cycles(graph) == []


def test_the_checks_catch_what_they_look_for() -> None:
    """The checks themselves: a cycle and an upward import in a made-up graph are both found."""
    made_up = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}
    assert cycles(made_up) == [["a", "b", "c"]]
    assert layer_of("advisor.engine.session") == "engine"
    assert layer_of("advisor.rules.kinds.registry") == "rules"
    assert "engine" not in MAY_IMPORT["rules"] and "report" not in MAY_IMPORT["explain"]
