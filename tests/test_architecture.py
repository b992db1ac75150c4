"""The plan of the house, enforced (docs/explanation/architecture.md describes it).

An AST walk over ``src/iej_impact`` collects every import between the package's modules: at module
level, inside functions (lazy imports) and under ``if TYPE_CHECKING``. On that graph:

- there is no import cycle, whatever kind of edge closes it;
- each subpackage imports only the packages the map allows (plots are the one deliberate
  back-edge: any module may reach ``report`` lazily, inside a plotting method);
- matplotlib is imported only in ``report``; PyYAML only in the configuration layer and the code-list
  index reader;
- no module is longer than ``MAX_MODULE_LINES`` and no function longer than ``MAX_FUNCTION_LINES`` lines
  of code (docstring excluded), apart from the listed exceptions, which may only shrink.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "iej_impact"

#: package -> packages it may import (besides itself and the core). "core" is the top-level modules
#: errors, results, inference, _bootstrap, _validation, _mestimation, _separation, _progress, _atomic_write;
#: "front" is config, runner, cli, ...
ALLOWED = {
    "core": set(),
    "data": set(),
    "preparation": {"data"},
    "indicators": {"data"},
    "observational": {"data"},
    "matching": {"observational", "data"},
    "diff_in_diff": {"matching", "observational", "data"},
    "report": set(),
    "datasets": {"data"},
    "synthesis": {"data"},
    "engines": {"diff_in_diff", "data", "indicators"},
    "front": {"data", "preparation", "indicators", "observational", "matching", "diff_in_diff", "report", "datasets",
              "engines",
              "synthesis"},
}
CORE = {
    "__init__", "errors", "results", "inference", "_bootstrap", "_validation", "_mestimation", "_separation", "_progress",
    "_atomic_write", "_params", "_file_names", "_memory", "_row_blocks",
}
FRONT = {
    "config", "runner", "cli", "_yaml", "_output_dir", "_run_data", "_config_data", "_config_grid", "_run_grid",
    "_config_report", "_run_truth", "_run_sensitivity", "_config_engine", "_run_engine",
    "_run_external",
}
MATPLOTLIB_PACKAGES = {"report"}
YAML_MODULES = {"config", "_yaml", "data._datamodel"}

MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 100
#: module -> its length today; may only shrink (remove the entry once under the limit)
MODULE_EXCEPTIONS: dict[str, int] = {}
#: "module:function" -> its length today; may only shrink
FUNCTION_EXCEPTIONS: dict[str, int] = {}
#: import cycles still to break (sorted module lists); may only shrink
KNOWN_CYCLES: list[list[str]] = []
#: modules outside ``report`` that still draw with matplotlib; may only shrink
MATPLOTLIB_EXCEPTIONS: set[str] = set()


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _package(module: str) -> str:
    head = module.split(".")[0]
    if head in CORE:
        return "core"
    if head in FRONT:
        return "front"
    return head


def _resolve(module: str, level: int, name: str | None) -> str:
    is_pkg = MODULES[module].name == "__init__.py"
    base = module.split(".") if module != "__init__" else []
    if not is_pkg:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, *(name.split(".") if name else [])])


def _target(dotted: str) -> str | None:
    """The module of the package an import refers to (longest known prefix)."""
    parts = dotted.split(".")
    for k in range(len(parts), 0, -1):
        cand = ".".join(parts[:k])
        if cand in MODULES:
            return cand
    return "__init__" if dotted == "" else None


def _imports(module: str) -> list[tuple[str, bool, int]]:
    """(imported module, lazy (inside a function), line) for every internal import of ``module``."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.ImportFrom):
                if child.level:
                    base = _resolve(module, child.level, child.module)
                elif child.module and child.module.split(".")[0] == "iej_impact":
                    base = child.module.partition(".")[2]
                else:
                    base = None
                if base is not None:
                    for alias in child.names:
                        target = _target(f"{base}.{alias.name}" if base else alias.name) or _target(base)
                        if target and target != module:
                            found.append((target, inner, child.lineno))
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == "iej_impact":
                        target = _target(alias.name.partition(".")[2])
                        if target and target != module:
                            found.append((target, inner, child.lineno))
            visit(child, inner)

    visit(tree, False)
    return found


def _external(module: str) -> set[str]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for module in MODULES:
        if module == "__init__":
            continue  # the facade re-exports everything; nothing imports it back
        for target, _lazy, _line in _imports(module):
            if target != "__init__":
                graph[module].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(MODULES):
        if v not in index:
            strong(v)
    return out


def test_the_walk_sees_the_package() -> None:
    # the checks below are vacuous if the walk finds nothing
    assert len(MODULES) > 40
    graph = _graph()
    assert sum(len(v) for v in graph.values()) > 100


def test_no_import_cycle() -> None:
    cycles = _cycles(_graph())
    new = [c for c in cycles if c not in KNOWN_CYCLES]
    assert not new, f"import cycles: {new}"
    stale = [c for c in KNOWN_CYCLES if c not in cycles]
    assert not stale, f"broken cycles still listed in KNOWN_CYCLES (remove them): {stale}"


def test_packages_import_only_what_the_map_allows() -> None:
    bad = []
    for module in MODULES:
        if module == "__init__":
            continue
        pkg = _package(module)
        for target, lazy, line in _imports(module):
            tpkg = _package(target)
            if tpkg in {pkg, "core"} or tpkg in ALLOWED[pkg]:
                continue
            if tpkg == "report" and lazy:
                continue  # plotting methods reach the report package lazily (documented back-edge)
            bad.append(f"{module}:{line} imports {target} ({pkg} -> {tpkg})")
    assert not bad, "\n".join(bad)


def test_matplotlib_only_in_report_and_yaml_only_in_the_config_layer() -> None:
    bad = []
    for module in MODULES:
        ext = _external(module)
        if "matplotlib" in ext and _package(module) not in MATPLOTLIB_PACKAGES and module not in MATPLOTLIB_EXCEPTIONS:
            bad.append(f"{module} imports matplotlib")
        if module in MATPLOTLIB_EXCEPTIONS and "matplotlib" not in ext:
            bad.append(f"{module} no longer imports matplotlib: remove it from MATPLOTLIB_EXCEPTIONS")
        if "yaml" in ext and module not in YAML_MODULES:
            bad.append(f"{module} imports yaml")
    assert not bad, bad


def _function_lengths(path: Path) -> dict[str, int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                    and isinstance(body[0].value.value, str):
                body = body[1:]
            if not body:
                continue
            lines = set()
            for stmt in body:
                for sub in ast.walk(stmt):
                    if hasattr(sub, "lineno"):
                        lines.update(range(sub.lineno, (getattr(sub, "end_lineno", None) or sub.lineno) + 1))
            out[node.name] = len(lines)
    return out


def test_module_sizes() -> None:
    too_long = {}
    for module, path in MODULES.items():
        n = len(path.read_text(encoding="utf-8").splitlines())
        limit = MODULE_EXCEPTIONS.get(module, MAX_MODULE_LINES)
        if n > limit:
            too_long[module] = n
        if module in MODULE_EXCEPTIONS and n <= MAX_MODULE_LINES:
            too_long[module] = f"{n}: under the limit now, remove it from MODULE_EXCEPTIONS"
    gone = [m for m in MODULE_EXCEPTIONS if m not in MODULES]
    assert not gone, f"exceptions for modules that no longer exist (remove them): {gone}"
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines (or grown past their exception): {too_long}"


def test_function_sizes() -> None:
    too_long = {}
    for module, path in MODULES.items():
        for name, n in _function_lengths(path).items():
            key = f"{module}:{name}"
            if n > FUNCTION_EXCEPTIONS.get(key, MAX_FUNCTION_LINES):
                too_long[key] = n
            elif key in FUNCTION_EXCEPTIONS and n <= MAX_FUNCTION_LINES:
                too_long[key] = f"{n}: under the limit now, remove it from FUNCTION_EXCEPTIONS"
    missing = [
        k for k in FUNCTION_EXCEPTIONS
        if k.split(":")[0] not in MODULES or k.split(":")[1] not in _function_lengths(MODULES[k.split(":")[0]])
    ]
    assert not missing, f"exceptions for modules that no longer exist (remove them): {missing}"
    assert not too_long, f"functions over {MAX_FUNCTION_LINES} code lines: {too_long}"


@pytest.mark.parametrize("module", ["matching._match", "data._io"])
def test_the_walk_finds_known_edges(module: str) -> None:
    # a known lazy or module-level edge from each, so the walk is not silently blind
    targets = {t for t, _lazy, _line in _imports(module)}
    assert "errors" in targets


def test_the_map_in_the_docs_is_the_map_the_test_enforces() -> None:
    """docs/explanation/architecture.md's package table says exactly what ALLOWED, CORE and FRONT say."""
    import re

    doc = (SRC.parents[1] / "docs" / "explanation" / "architecture.md").read_text(encoding="utf-8")
    table = doc.split("## The package map", 1)[1].split("\n\n", 2)[1]
    rows = [line.split("|")[1:3] for line in table.splitlines()[2:] if line.startswith("|")]
    packages = {p for p in ALLOWED if p not in {"core", "front"}}
    documented = {}
    for left, right in rows:
        names = re.findall(r"`([^`]+)`", left)
        if left.strip().startswith("core:"):
            assert set(names) == CORE, f"core modules in the doc {sorted(names)} vs the test {sorted(CORE)}"
            key = "core"
        elif left.strip().startswith("front door:"):
            assert set(names) == FRONT, f"front-door modules in the doc {sorted(names)} vs the test {sorted(FRONT)}"
            key = "front"
        else:
            (key,) = names
        allowed = set(re.findall(r"`([^`]+)`", right))
        documented[key] = packages if right.strip().startswith("every package") else allowed
    assert documented == ALLOWED
