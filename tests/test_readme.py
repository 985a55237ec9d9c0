"""The README's "your own equation" block, run exactly as printed (slow: one full fit)."""

import pathlib
import re

import numpy as np
import pytest

pytestmark = pytest.mark.slow

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_the_own_equation_example_runs_as_printed_and_is_right(capsys):
    """The frozen-out yield the block prints is within 0.1 % of its SciPy value, and it is trusted."""
    block = re.search(r"## Your own equation in 15 lines.*?```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert block, "the README lost its own-equation example"
    scope: dict = {}
    exec(compile(block.group(1), "README.md", "exec"), scope)
    learned, exact = (float(v) for v in capsys.readouterr().out.splitlines()[0].split())
    assert abs(learned / exact - 1) < 1e-3
    assert scope["fit"].trust.trusted
    x = np.geomspace(1, 31, 200)
    assert np.max(np.abs(scope["ev"].y / scope["truth"].y(x) - 1)) < 1e-2
