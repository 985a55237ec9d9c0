"""The layering the README draws, checked on the source: dependencies point one way
(engine ← glue, node ← pipeline ← cli), no private name crosses a package, functions of the
engine, pipeline and CLI fit on a screen, experiment files stay small."""

import ast
import pathlib
import re

SRC = pathlib.Path(__file__).resolve().parents[1] / "src" / "gluenn"
#: what each package may import from gluenn (besides the foundation modules _errors, _io, _params)
ALLOWED = {
    "engine": set(),
    "glue": {"engine"},
    "reference": {"glue"},
    "metrics": set(),
    "node": {"engine", "metrics"},
    "baselines": {"engine", "glue", "node"},
    "systems": {"reference", "glue"},
    "pipeline": {"engine", "glue", "node", "baselines", "metrics", "reference", "experiments"},
}


def _package(path: pathlib.Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _gluenn_imports(path: pathlib.Path):
    """``(target package, names)`` of every relative import in `path`."""
    depth = len(path.relative_to(SRC).parts) - 1
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            if node.level > depth:             # reaches the gluenn package itself
                target = (node.module or "").split(".")[0] or node.names[0].name
            else:
                target = _package(path)
            yield target, [a.name for a in node.names], node.module


def test_dependencies_point_one_way():
    wrong = []
    for path in SRC.rglob("*.py"):
        pkg = _package(path)
        if pkg not in ALLOWED:
            continue
        for target, _, _ in _gluenn_imports(path):
            if target != pkg and not target.startswith("_") and target not in ALLOWED[pkg]:
                wrong.append(f"{path.relative_to(SRC)} imports {target}")
    assert not wrong, wrong


def test_no_private_name_crosses_a_package():
    wrong = []
    for path in SRC.rglob("*.py"):
        for target, names, module in _gluenn_imports(path):
            crossing = target != _package(path)
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if crossing and (private or
                             (module and re.search(r"\._", "." + module) and not module.startswith("_"))):
                wrong.append(f"{path.relative_to(SRC)}: from {module} import {names}")
    assert not wrong, wrong


def test_functions_of_the_engine_pipeline_and_cli_fit_on_a_screen():
    long = []
    for path in [*(SRC / "engine").rglob("*.py"), *(SRC / "pipeline").rglob("*.py"), SRC / "cli.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 60:
                long.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name}")
    assert not long, long


def test_experiment_files_are_small_declarations():
    sizes = {p.name: len(p.read_text().splitlines()) for p in (SRC / "experiments").glob("*.py")}
    assert max(sizes.values()) <= 150, sizes


def test_every_script_outside_the_package_compiles():
    """Benchmarks and examples are run by hand or in the slow set only; a syntax error there must
    still fail the fast set (one landed once: ``benchmarks/zoo.py``, a string broken over two lines)."""
    root = SRC.parents[1]
    scripts = [p for d in ("benchmarks", "examples", "tests") for p in (root / d).rglob("*.py")]
    assert len(scripts) > 10
    for path in scripts:
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_no_benchmark_script_shadows_a_standard_library_module():
    """A benchmark runs as ``python benchmarks/SCRIPT.py``, so its folder comes first on the
    import path: a ``profile.py`` there broke PyTorch's ``import cProfile`` in every peer benchmark."""
    import sys
    scripts = (SRC.parents[1] / "benchmarks").glob("*.py")
    assert not [p.name for p in scripts if p.stem in sys.stdlib_module_names]


def test_a_glue_run_does_not_import_the_ode_solver_library():
    """Diffrax (~0.2 s to import) is for the neural ODE only: importing gluenn and its CLI must
    not load it (it is imported on first use in ``gluenn.node._solve``)."""
    import subprocess
    import sys

    code = "import sys, gluenn.cli; print(sorted(m for m in ('diffrax', 'lineax', 'optimistix') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out
