"""Sweeps: many ordinary runs of one experiment — over parameters (Latin hypercube, grid) and seeds —
on Dask, into one folder with one table.

Layout of ``out/``: ``points/<hash>/`` (one ``gluenn run`` folder per point, the usual contract),
``sweep.json`` and ``sweep.csv`` (the table, rewritten atomically as points finish), and the
figures ``sweep-<read-out>.png``. Re-running the same sweep reuses every point whose folder holds
a complete run of that point's configuration; ``Ctrl-C`` keeps every finished point.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import shutil
import sys
import time
from collections.abc import Mapping, Sequence

from .._errors import ConfigError, Interrupted, require
from .._io import jsonable, prepare_out_dir
from ._experiment import Experiment
from ._folder import MANIFEST, read_complete, take_lock
from ._registry import get
from ._sweep_plan import Point, Vary, parse_grid, parse_seeds, plan
from ._sweep_table import DONE, FAILED, PENDING, counts, failed_row, frame, metrics_row, pending_row, write_table

SWEEP_LOCK = ".gluenn-sweep.lock"
POINTS = "points"


@dataclasses.dataclass(frozen=True)
class Workers:
    """Where the points run. `n`: worker processes of an embedded Dask ``LocalCluster`` (``None``:
    one per core; ``0``: no Dask, one point after another in this process); `scheduler`: the
    address of a running Dask cluster instead; `client`: a ``distributed.Client`` you made (it is
    not closed); `retries`: how often a point that raises is retried."""

    n: int | None = None
    scheduler: str | None = None
    client: object = None
    retries: int = 2

    def __post_init__(self):
        require(self.n is None or (isinstance(self.n, int) and 0 <= self.n <= 1024), "--workers", self.n,
                "give a whole number of worker processes in [0, 1024] (0: no Dask, in this process)")
        require(self.n is None or self.scheduler is None, "--workers", self.n,
                "--workers starts a local cluster; with --scheduler the cluster's own workers run the points")
        require(isinstance(self.retries, int) and 0 <= self.retries <= 10, "retries", self.retries, "use 0..10")

    def start(self, points: int):
        from ._sweep_exec import InProcess, OnDask, connect, local_cluster
        if self.client is not None:
            ex = OnDask(self.client, self.retries)
            ex.close = lambda: None  # the caller's client stays open
            return ex
        if self.scheduler is not None:
            return connect(self.scheduler)
        if self.n == 0:
            return InProcess()
        return local_cluster(self.n, points)


def sweep(experiment: Experiment | str, *, out, vary: Sequence[Vary | str] = (), grid=None,
          points: int | None = None, seeds="0", sample_seed: int = 0, overrides: Sequence[str] = (),
          preset: str | None = None, weights: str = "fixed", workers: Workers | int | None = None,
          progress: bool = True, overwrite: bool = False, announce=None):
    """Run `experiment` at every point of a sweep and return the table (a pandas ``DataFrame``).

    **Arguments:** `vary` (``"eta=1e3:1e6:log"`` or :class:`Vary`; sampled by a Latin hypercube of
    `points` points, seeded by `sample_seed`); `grid` (``{"eta": [1e3, 1e4]}`` or
    ``["eta=1e3,1e4"]``; the Cartesian product); `seeds` (``"0-9"``, ``"0,2"`` or a list); every
    point is (hypercube point) × (grid point) × seed. `overrides`, `preset`, `weights`: as for
    :func:`run_experiment`, applied to every point. `workers`: a :class:`Workers` or a number of
    local worker processes. `out`: the sweep's folder (see the module notes); `overwrite`: replace
    a folder that holds another sweep (its points that this sweep does not have are deleted);
    `announce`: called when everything is checked and the workers are up, before any run.

    **Returns:** one row per point: the swept values, ``seed``, ``status`` (done / failed /
    pending), every read-out with ``_true`` and ``_rel_err``, ``solution_err``, ``trusted``,
    ``stop_reason``, timings, ``folder`` and ``error``. **Raises:** :class:`~gluenn.ConfigError`
    before any run for a malformed sweep (points whose own configuration is invalid are failed
    rows instead); :class:`~gluenn.Interrupted` on ``Ctrl-C`` (finished points are kept).
    """
    exp = get(experiment) if isinstance(experiment, str) else experiment
    vary = [v if isinstance(v, Vary) else Vary.parse(v) for v in vary]
    grid = dict(parse_grid(g) for g in grid) if grid is not None and not isinstance(grid, Mapping) else grid
    seeds = parse_seeds(seeds)
    pts = plan(exp, vary=vary, grid=grid, points=points, seeds=seeds, sample_seed=sample_seed,
               overrides=overrides, preset=preset, weights=weights)
    spec = {"experiment": exp.name, "vary": [dataclasses.asdict(v) for v in vary],
            "grid": {k: list(v) for k, v in (grid or {}).items()}, "points": points, "sample_seed": sample_seed,
            "seeds": list(seeds), "overrides": list(overrides), "preset": preset, "weights": weights}
    rows = run_points(exp, pts, out, spec, workers=workers, progress=progress, overwrite=overwrite, announce=announce)
    table = frame(rows)
    from ._sweep_plots import sweep_figures
    sweep_figures(pathlib.Path(out), table, [v.name for v in vary] + list(grid or {}), [v.name for v in vary if v.log])
    return table


def run_points(experiment: Experiment, points: Sequence[Point], out, spec: Mapping, *,
               workers: Workers | int | None = None, progress: bool = True, overwrite: bool = False,
               subdir: str = POINTS, announce=None) -> list[dict]:
    """Run `points` (reusing complete ones) into ``out/subdir/NAME`` and keep ``out/sweep.{json,csv}``
    current; the rows in the order of `points`. Used by :func:`sweep` and :func:`ablate`.
    `announce` is called once the folder is claimed and the workers are up, before any run."""
    workers = workers if isinstance(workers, Workers) else Workers(n=workers)
    created = not pathlib.Path(out).exists()
    out_dir = prepare_out_dir(out)
    folders = [out_dir / subdir / p.name for p in points]
    lock = out_dir / SWEEP_LOCK
    take_lock(lock, f"--out={str(out)!r}", "another gluenn sweep")
    wrote = False
    try:
        _claim(out_dir, spec, {f.name for f in folders}, subdir, overwrite)
        rows = [_known_row(experiment, p, f) for p, f in zip(points, folders)]
        todo = [i for i, r in enumerate(rows) if r["status"] == PENDING]
        executor = workers.start(len(todo)) if todo else None
        if announce is not None:
            announce()
        write_table(out_dir, spec, rows)
        wrote = True
        if executor is not None:
            _execute(executor, experiment, points, folders, rows, todo, out_dir, spec, progress)
        return rows
    finally:
        lock.unlink(missing_ok=True)
        if created and not wrote:
            shutil.rmtree(out_dir, ignore_errors=True)  # a refused sweep leaves no folder behind


def _known_row(experiment: Experiment, point: Point, folder: pathlib.Path) -> dict:
    """Failed (invalid configuration), done (a complete run already there) or pending."""
    if point.error is not None:
        return failed_row(point, folder, point.error)
    metrics = read_complete(folder, point.fingerprint(experiment))
    return metrics_row(point, folder, metrics, reused=True) if metrics is not None else pending_row(point, folder)


def _execute(executor, experiment, points, folders, rows, todo, out_dir, spec, progress: bool) -> None:
    bar = _Progress(len(rows), sum(r["status"] != PENDING for r in rows), progress)
    try:
        bar.started(executor.workers)
        tasks = [(points[i], folders[i]) for i in todo]
        for k, result in executor.run(experiment, tasks):
            i = todo[k]
            if isinstance(result, BaseException):
                from ._sweep_exec import describe
                result = failed_row(points[i], folders[i], describe(result))
            rows[i] = result
            write_table(out_dir, spec, rows)
            bar.update(rows)
    except KeyboardInterrupt:
        c = counts(rows)
        raise Interrupted(f"sweep interrupted: {c[DONE]} of {len(rows)} points are finished and kept in "
                          f"{out_dir}/; run the same command again to run the other {c[PENDING]}") from None
    finally:
        bar.close()
        executor.close()


def _claim(out_dir: pathlib.Path, spec: Mapping, names: set, subdir: str, overwrite: bool) -> None:
    """Refuse a folder that holds another sweep (unless `overwrite`: then its other points go)."""
    try:
        held = json.loads((out_dir / "sweep.json").read_text())
    except (OSError, ValueError):
        held = None
    mine = json.loads(json.dumps(jsonable(dict(spec))))
    if held is not None:
        diff = [k for k in mine if held.get(k) != mine[k]]
        if diff and not overwrite:
            raise ConfigError(f"--out={str(out_dir)!r} is invalid: it holds another sweep (its {diff[0]} differs: "
                              f"{held.get(diff[0])!r}); choose another folder, or add --overwrite to replace it "
                              "(its points that this sweep does not have are deleted)")
    elif any(p.name not in (SWEEP_LOCK,) for p in out_dir.iterdir()) and not overwrite:
        raise ConfigError(f"--out={str(out_dir)!r} is invalid: it holds files that are not a gluenn sweep's; "
                          "choose an empty or new folder, or add --overwrite")
    root = out_dir / subdir
    if overwrite and root.is_dir():
        for d in root.iterdir():
            if d.is_dir() and d.name not in names and ((d / MANIFEST).exists() or (d / "metrics.json").exists()
                                                        or not any(d.iterdir())):
                shutil.rmtree(d)


class _Progress:
    """A bar over points (done / failed / in flight, with an ETA), or a line per point when not a terminal."""

    def __init__(self, total: int, already: int, enabled: bool):
        self.total, self.already, self.enabled, self.bar, self.t0 = total, already, enabled, None, time.perf_counter()

    def started(self, workers: int) -> None:
        if not self.enabled:
            return
        from tqdm.auto import tqdm
        self.workers = workers
        self.bar = tqdm(total=self.total, initial=self.already, unit="point", file=sys.stderr, dynamic_ncols=True,
                        desc=f"sweep ({workers} worker{'s' if workers != 1 else ''})")
        self.bar.set_postfix(running=min(workers, self.total - self.already))

    def update(self, rows) -> None:
        if self.bar is None:
            return
        c = counts(rows)
        self.bar.set_postfix(done=c[DONE], running=min(self.workers, c[PENDING]), failed=c[FAILED],
                             untrusted=c["untrusted"], left=c[PENDING], refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
