"""Ablation tables."""

import pytest
import json

import gluenn as gn
from gluenn.pipeline import get


@pytest.mark.slow
def test_ablate_quick_writes_a_table(tmp_path, monkeypatch):
    from gluenn.pipeline import ablate
    exp = get("hodgkin-huxley")
    small = gn.Experiment(exp.name, exp.summary, exp.parameters, exp.build,
                          presets={k: exp.presets[k] for k in ("no-physics", "pinn")})
    table = ablate(small, seeds=[0], out=tmp_path / "ab", quick=True, overrides=["width=8", "t_long=150"],
                   progress=False)
    assert "| no-physics |" in table and "| pinn |" in table and "spike_f1" in table
    data = json.loads((tmp_path / "ab" / "ablation.json").read_text())
    assert set(data["rows"]) == {"default", "no-physics", "pinn"}
