"""The documentation site: it builds with ``mkdocs build --strict`` (a broken link, a missing
page or API object fails), every public name has an API entry, the README fits one screen, and
every tutorial's code runs as printed with its numbers checked (slow: the tutorials train).

A tutorial's ```` ```python ```` blocks run in order in one namespace, in an empty folder. Each
checks its own numbers against the exact answers the page states (``assert`` lines a reader
sees). A ```` ```text ```` block right after a code block is the output the page shows: the run must
print the same lines, words equal and numbers within 5 % or one unit of their last shown digit (or both below 1e-3 in size), so that
the page cannot silently rot.
"""

import contextlib
import io
import os
import pathlib
import re
import subprocess
import sys
import zlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
TUTORIALS = sorted((ROOT / "docs" / "tutorials").glob("[0-9]*.md"))
PAGES_WITH_CODE = [ROOT / "docs" / "index.md", *TUTORIALS]   # the landing page's example runs too
_BLOCK = re.compile(r"^```(python|text)[^\n]*\n(.*?)^```", re.S | re.M)
_NUMBER = re.compile(r"[-+−]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+−]?\d+)?")


def _inventory(site: pathlib.Path) -> set[str]:
    _, _, body = (site / "objects.inv").read_bytes().partition(b"zlib.\n")
    return {line.split()[0] for line in zlib.decompress(body).decode().splitlines() if line.strip()}


def test_site_builds_strict_and_documents_every_public_name(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    documented = _inventory(tmp_path / "site")
    import gluenn
    missing = []
    for package in ["gluenn", *(f"gluenn.{m}" for m in ("glue", "node", "engine", "pipeline", "reference", "metrics",
                                                       "baselines", "systems"))]:
        module = sys.modules[package] if package in sys.modules else __import__(package, fromlist=["_"])
        for name in module.__all__:
            obj = getattr(module, name)
            owner = getattr(obj, "__module__", "") or ""
            home = owner.split("._")[0] if owner.startswith("gluenn") else package
            if not {f"{package}.{name}", f"{home}.{name}", f"gluenn.{name}"} & documented:
                missing.append(f"{package}.{name}")
    assert not missing, f"no API entry for {missing}: add them to a page under docs/api/"


def test_readme_fits_one_screen():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 120, f"README.md has {len(lines)} lines; move detail into docs/"


def test_every_tutorial_is_in_the_site_navigation():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert len(TUTORIALS) == 7
    for page in TUTORIALS:
        assert f"tutorials/{page.name}" in nav, page.name


def _same(shown: str, printed: str) -> bool:
    a, b = shown.strip().splitlines(), printed.strip().splitlines()
    if len(a) != len(b):
        return False
    for line_a, line_b in zip(a, b):
        if _NUMBER.sub("#", line_a).split() != _NUMBER.sub("#", line_b).split():
            return False
        for text, other in zip(_NUMBER.findall(line_a), _NUMBER.findall(line_b)):
            x, y = (float(v.replace("−", "-")) for v in (text, other))
            if not (abs(x - y) <= max(0.05 * max(abs(x), abs(y)), _unit(text)) or max(abs(x), abs(y)) < 1e-3):
                return False
    return True


def _unit(number: str) -> float:
    """One unit in the last digit `number` shows: ``0.003`` → 0.001, ``4.2e-02`` → 0.001."""
    mantissa, _, exponent = number.replace("−", "-").lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - decimals)


def run_page(page: pathlib.Path) -> None:
    """Run a tutorial's code blocks in order; check each shown output against what it printed."""
    source = page.read_text(encoding="utf-8")
    blocks = list(_BLOCK.finditer(source))
    assert blocks and blocks[0].group(1) == "python", f"{page.name} has no code"
    scope: dict = {"__name__": "__main__"}  # as a script would run it
    printed = ""
    for block in blocks:
        kind, text = block.groups()
        if kind == "python":
            out = io.StringIO()
            lines_before = source.count("\n", 0, block.start(2))  # tracebacks point at the page's own lines
            with contextlib.redirect_stdout(out):
                exec(compile("\n" * lines_before + text, str(page), "exec"), scope)
            printed = out.getvalue()
        else:
            assert _same(text, printed), f"{page.name}: the page shows\n{text}\nbut the code printed\n{printed}"


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=lambda p: p.stem)
def test_tutorial_runs_as_printed(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_page(page)
