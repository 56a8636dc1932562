"""The package's layers: imports run only downward, and no module imports itself back.

Layer order, lowest first (a module may import its own layer and the ones below it):

    0 base      cbow (the package), errors, numerics, atomic, scratch, interrupts, wording, corpora
    1 data      text -> ids
    2 vectors   finished vectors: KeyedVectors, formats, query, evaluation
    3 model     the math: hidden layer, objectives, steps
    4 check     gradient checks
    5 training  config, schedule, run, callbacks, engines, checkpoints
    6 explore   the local web page over vectors files (reads training logs)
    7 cli       the command line (and __main__)

Every import counts, module-level or inside a function, except those under
`if TYPE_CHECKING:` (annotations only, never executed). `cbow/__init__.py` names its public
objects by string (`import_module` on first use), which this walk does not see: the
package's face may point anywhere.
"""

from __future__ import annotations

import ast
from pathlib import Path

import cbow

PACKAGE_DIR = Path(cbow.__file__).parent
LAYERS = ["base", "data", "vectors", "model", "check", "training", "explore", "cli"]
BASE_MODULES = {"cbow", "cbow.errors", "cbow.numerics", "cbow.atomic", "cbow.scratch", "cbow.interrupts",
                "cbow.wording", "cbow.corpora", "cbow.corpora.planted"}


def module_files() -> dict[str, Path]:
    """Dotted name -> file, for every module of the installed package (corpora included)."""
    files = {}
    for path in PACKAGE_DIR.rglob("*.py"):
        parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        files[name] = path
    import cbow.corpora.planted as planted

    files["cbow.corpora.planted"] = Path(planted.__file__)
    files["cbow.corpora"] = Path(planted.__file__).with_name("__init__.py")
    return files


def layer_of(module: str) -> int:
    if module in BASE_MODULES:
        return 0
    top = module.split(".")[1]
    if top == "__main__":
        return LAYERS.index("cli")
    assert top in LAYERS, f"{module}: in no layer; add it to this test's table"
    return LAYERS.index(top)


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """The cbow modules `name` imports (executed imports only)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:  # `from cbow.model import step` imports cbow.model.step
                if f"{source}.{alias.name}" in known:
                    found.add(f"{source}.{alias.name}")
                elif source in known:
                    found.add(source)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    files = module_files()
    known = set(files)
    return {name: imported_modules(name, path, known) for name, path in files.items()}


def test_imports_run_only_downward():
    upward = [f"{module} ({LAYERS[layer_of(module)]}) imports {target} ({LAYERS[layer_of(target)]})"
              for module, targets in import_graph().items() for target in sorted(targets)
              if layer_of(target) > layer_of(module)]
    assert upward == []


def test_no_import_cycles():
    graph = import_graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles = []

    def walk(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                walk(target, path + [target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    assert cycles == []


def test_the_walk_sees_imports_at_every_depth():
    """The checks above cannot pass by seeing nothing: known edges, lazy ones included."""
    graph = import_graph()
    assert "cbow.model.step" in graph["cbow.training.schedule"]  # module level
    assert "cbow.training.parallel.child" in graph["cbow.training.parallel.pool"]  # inside a function
    assert "cbow.training.callbacks" not in graph["cbow.training.run"]  # TYPE_CHECKING only
    assert len(graph) > 60


def test_the_package_exports_the_train_function_and_callback():
    """`cbow.train` is the function (no submodule of that name shadows it), before and
    after other public names are touched, and twice in one process."""
    import importlib

    fresh = importlib.reload(cbow)
    from cbow import Callback, train

    assert callable(train) and train.__name__ == "train" and isinstance(Callback, type)
    fresh.TrainConfig()
    from cbow.corpora import planted

    lines = list(planted.generate_lines(n_sentences=300, seed=1))
    config = fresh.TrainConfig(size=8, window=2, min_count=2, epochs=1)
    first, second = fresh.train(lines, config), fresh.train(lines, config)
    assert (first.W_in == second.W_in).all()
    assert fresh.train is train
