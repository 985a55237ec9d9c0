"""The sweep's table: one row per point, from its ``metrics.json`` (or why it failed), written
to ``sweep.json`` and ``sweep.csv`` (atomically, every time a point finishes)."""

from __future__ import annotations

import io
import pathlib
from collections.abc import Mapping, Sequence

from .._io import atomic_write_text, jsonable, write_json

#: a point's state in the table
PENDING, DONE, FAILED = "pending", "done", "failed"


def _head(point, folder: pathlib.Path, status: str) -> dict:
    return {"point": point.name, "status": status, **dict(point.values), "seed": point.seed,
            "folder": str(folder), "error": None}


def failed_row(point, folder: pathlib.Path, error: str) -> dict:
    """The row of a point that could not run: its message says why."""
    return {**_head(point, folder, FAILED), "error": error}


def pending_row(point, folder: pathlib.Path) -> dict:
    return _head(point, folder, PENDING)


def metrics_row(point, folder: pathlib.Path, metrics: Mapping, wall: float | None = None,
                reused: bool = False) -> dict:
    """A finished point: every read-out (``pred``, ``_true``, ``_rel_err``, ``_std``), the solution
    errors, the trust verdict, how training stopped, the timings."""
    row = _head(point, folder, DONE)
    for k, v in metrics.get("readouts", {}).items():
        if isinstance(v, Mapping) and "pred" in v:
            row[k], row[f"{k}_true"], row[f"{k}_rel_err"] = v["pred"], v.get("true"), v.get("rel_err")
            if "std" in v:
                row[f"{k}_std"] = v["std"]
        elif isinstance(v, (int, float)) or v is None:
            row[k] = v
    row.update(_solution(metrics.get("solution", {})))
    trust = metrics.get("trust")
    if trust is not None:
        row["trusted"] = bool(trust["trusted"])
        row["trust_reasons"] = "; ".join(trust.get("reasons", []))
    train = metrics.get("train", {})
    stop = train.get("stop_reason")
    row["stop_reason"] = "; ".join(f"{k}: {v}" for k, v in stop.items()) if isinstance(stop, Mapping) else stop
    row["train_seconds"] = train.get("seconds")
    row["compile_seconds"] = train.get("compile_seconds")
    row["total_seconds"] = metrics.get("seconds_total")
    row["wall_seconds"] = None if wall is None else round(wall, 3)
    row["reused"] = reused
    return row


def _solution(s: Mapping) -> dict:
    """The largest error over max|y| of the solution (and of each component, if several)."""
    if "max_abs_err_over_max" in s:
        return {"solution_err": s["max_abs_err_over_max"]}
    out = {f"solution_{k}_err": v["max_abs_err_over_max"] for k, v in s.items()
           if isinstance(v, Mapping) and "max_abs_err_over_max" in v}
    if "max_abs_err_over_max_norm" in s:
        out["solution_err"] = s["max_abs_err_over_max_norm"]
    return out


def frame(rows: Sequence[Mapping]):
    """The rows as a pandas DataFrame (columns in first-seen order)."""
    import pandas as pd
    columns = list(dict.fromkeys(k for r in rows for k in r))
    return pd.DataFrame([dict(r) for r in rows], columns=columns)


def write_table(out_dir: pathlib.Path, spec: Mapping, rows: Sequence[Mapping]) -> None:
    """``sweep.json`` (the sweep's specification and every row) and ``sweep.csv`` (the rows)."""
    write_json(out_dir / "sweep.json", {**dict(spec), "counts": counts(rows), "rows": jsonable(list(rows))})
    buf = io.StringIO()
    frame(rows).to_csv(buf, index=False)
    atomic_write_text(out_dir / "sweep.csv", buf.getvalue())


def counts(rows: Sequence[Mapping]) -> dict:
    """How many points are done, failed, pending (and how many done ones are not trusted)."""
    c = {s: sum(r["status"] == s for r in rows) for s in (DONE, FAILED, PENDING)}
    c["untrusted"] = sum(r["status"] == DONE and r.get("trusted") is False for r in rows)
    return c
