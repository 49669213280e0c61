"""The package's layering: no import cycles (function-local and type-only imports count),
and no module so long that it holds more than one job.

The graph is read from the source with ``ast``, so an import hidden inside a function or
under ``if TYPE_CHECKING:`` is an edge like any other: hiding an import changes when it
runs, not which module depends on which.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator
from pathlib import Path

PACKAGE = "modelstudio_widget"
PACKAGE_DIR = Path(__file__).resolve().parent.parent / PACKAGE
MAX_LINES = 450



def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE_DIR.rglob("*.py"))}


def imported_names(tree: ast.Module, module: str, is_package: bool) -> Iterator[str]:
    """Every dotted name an import statement anywhere in ``tree`` loads: ``from x import y``
    gives ``x.y``, which is a module when ``y`` is a submodule and else resolves to ``x``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                prefix = ".".join(base[:len(base) - node.level + is_package])
                source = f"{prefix}.{node.module}" if node.module else prefix
            else:
                source = node.module or ""
            yield from (f"{source}.{alias.name}" for alias in node.names)


def imported_modules(tree: ast.Module, module: str, is_package: bool,
                     modules: Collection[str]) -> set[str]:
    """The package modules ``tree`` imports: for each name, the longest prefix that is one."""
    targets = set()
    for dotted in imported_names(tree, module, is_package):
        parts = dotted.split(".")
        for end in range(len(parts), 0, -1):
            candidate = ".".join(parts[:end])
            if candidate in modules:
                targets.add(candidate)
                break
    targets.discard(module)
    return targets


def import_graph() -> dict[str, set[str]]:
    """module -> the package modules it imports."""
    modules = package_modules()
    return {name: imported_modules(ast.parse(path.read_text(), filename=str(path)), name,
                                   path.name == "__init__.py", modules)
            for name, path in modules.items()}


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the groups of modules that reach each other (size > 1)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def one_cycle(graph: dict[str, set[str]], group: list[str]) -> list[str]:
    """A concrete path start -> ... -> start inside a strongly connected group."""
    members = set(group)
    start = group[0]
    path, seen = [start], {start}
    while True:
        step = sorted(graph[path[-1]] & members)
        back = [w for w in step if w in seen]
        if back:
            return path[path.index(back[0]):] + [back[0]]
        path.append(step[0])
        seen.add(step[0])


def cycles() -> dict[str, list[str]]:
    graph = import_graph()
    return {" <-> ".join(g): one_cycle(graph, g) for g in strongly_connected(graph)}


def long_files() -> dict[str, int]:
    found = {}
    for path in package_modules().values():
        lines = len(path.read_text().splitlines())
        if lines > MAX_LINES:
            found[path.relative_to(PACKAGE_DIR).as_posix()] = lines
    return found


def test_the_graph_sees_function_local_and_type_only_imports() -> None:
    tree = ast.parse("from typing import TYPE_CHECKING\n"
                     "if TYPE_CHECKING:\n    from .rules import Analysis\n"
                     "def f():\n    from modelstudio_widget.build import codegen\n"
                     "    import modelstudio_widget.store\n"
                     "from modelstudio_widget import game\n"
                     "from .. import ids\n")
    found = imported_modules(tree, "modelstudio_widget.design.estimate", False,
                             package_modules())
    assert found == {"modelstudio_widget.design.rules", "modelstudio_widget.build.codegen",
                     "modelstudio_widget.store", "modelstudio_widget.game",
                     "modelstudio_widget.ids"}


def test_importing_a_submodule_is_no_edge_to_its_package() -> None:
    tree = ast.parse("from modelstudio_widget.game import engine\n")
    assert imported_modules(tree, "modelstudio_widget.game.env", False,
                            package_modules()) == {"modelstudio_widget.game.engine"}


def test_a_cycle_is_found_and_spelled_out() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    groups = strongly_connected(graph)
    assert groups == [["a", "b", "c"]]
    assert one_cycle(graph, groups[0]) == ["a", "b", "c", "a"]


def test_no_module_imports_a_module_that_imports_it_back() -> None:
    found = cycles()
    assert not found, "import cycles:\n" + "\n".join(
        "  " + " -> ".join(path) for path in found.values())


def test_no_module_is_longer_than_the_limit() -> None:
    found = long_files()
    assert not found, f"over {MAX_LINES} lines: " + ", ".join(
        f"{path} ({n})" for path, n in sorted(found.items()))
