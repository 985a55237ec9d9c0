"""Where a sweep's points run: in this process, on an embedded Dask ``LocalCluster`` of worker
processes, or on any running Dask cluster.

Every point is an ordinary :func:`run_experiment` into its own folder; what comes back is a row
of the sweep's table (:func:`run_point`). A point whose configuration is refused
(:class:`~gluenn.ConfigError`) comes back as a failed row; a point whose worker dies is
rescheduled by Dask (its half-written folder has no manifest, so it never counts as complete).
"""

from __future__ import annotations

import abc
import os
import pathlib
import time
import traceback
import warnings
from collections.abc import Iterator, Sequence

import jax

from .._errors import ConfigError, GluennError, Interrupted, TrustWarning
from ._experiment import Experiment
from ._run import run_experiment
from ._sweep_plan import Point
from ._sweep_table import failed_row, metrics_row


def run_point(experiment: Experiment, point: Point, folder: pathlib.Path) -> dict:
    """Run one point into `folder` (replacing an incomplete run there) and return its table row.

    The point ends by dropping JAX's in-memory caches (``jax.clear_caches``): each run builds its
    programs around its own problem objects, which JAX's caches would otherwise keep for the life of
    the worker, so memory would grow with every point (measured in ``docs/sweeps.md``). The next
    point loads its compiled programs from the persistent cache; the numbers are the same."""
    t0 = time.perf_counter()
    if point.error is not None:
        return failed_row(point, folder, point.error)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TrustWarning)
            res = run_experiment(experiment, overrides=list(point.overrides), seed=point.seed, out=folder,
                                 progress=False, preset=point.preset, weights=point.weights, overwrite=True)
    except Interrupted:
        raise
    except GluennError as exc:
        return failed_row(point, folder, str(exc))
    finally:
        jax.clear_caches()
    return metrics_row(point, folder, res.metrics, wall=time.perf_counter() - t0)


class Executor(abc.ABC):
    """Runs :func:`run_point` over points; yields ``(index, row or exception)`` as they finish."""

    workers: int

    @abc.abstractmethod
    def run(self, experiment: Experiment, tasks: Sequence[tuple[Point, pathlib.Path]]) -> Iterator[tuple[int, object]]:
        ...

    def close(self) -> None:
        """Release what the executor started (an embedded cluster)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class InProcess(Executor):
    """One point after another in this process (no Dask): for debugging and as the serial baseline."""

    workers = 1

    def run(self, experiment, tasks):
        for i, (point, folder) in enumerate(tasks):
            try:
                yield i, run_point(experiment, point, folder)
            except (Interrupted, KeyboardInterrupt):
                raise
            except Exception as exc:  # noqa: BLE001 - a bug in one point is that point's failure
                yield i, exc


class OnDask(Executor):
    """The points as Dask tasks on `client`'s cluster, each retried `retries` times if it raises
    (a dying worker is rescheduled by the scheduler itself, up to its ``allowed-failures``)."""

    def __init__(self, client, retries: int = 2, cluster=None):
        self.client, self.retries, self.cluster = client, retries, cluster
        self.workers = max(1, len(client.scheduler_info().get("workers", {})))

    def run(self, experiment, tasks):
        from distributed import as_completed
        futures = {}
        for i, (point, folder) in enumerate(tasks):
            f = self.client.submit(run_point, experiment, point, folder, key=f"gluenn-point-{point.name}-{i}",
                                   retries=self.retries, pure=False)
            futures[f] = i
        for f in as_completed(list(futures)):
            try:
                yield futures[f], f.result()
            except Exception as exc:  # noqa: BLE001 - a point that kept failing, or whose worker kept dying
                yield futures[f], exc

    def close(self):
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def local_cluster(workers: int | None, points: int) -> OnDask:
    """An embedded ``LocalCluster``: `workers` processes (default: one per core, at most one per
    point), each running one point at a time with XLA's Eigen thread pool off when there is one
    core per worker, so that N workers do not oversubscribe the cores. BLAS/OpenMP threads stay
    as in this process (Dask would set them to 1): LAPACK's SVD — every Gauss–Newton and
    least-squares step — partitions its work by thread count, and a single-threaded worker gave a
    freeze-out Y_end 5e-14 away from ``gluenn run``'s (and far more on a chaotic fit). The workers are
    not pinned to cores: XLA partitions some reductions by the number of cores it sees, so a
    pinned worker would not reproduce ``gluenn run`` bit for bit either."""
    import dask
    from distributed import Client, LocalCluster
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    n = workers if workers is not None else max(1, min(cores, points))
    threads = max(1, cores // n)
    blas = {k: os.environ.get(k, str(cores)) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    env = {"XLA_FLAGS": (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false").strip()} if threads == 1 else {}
    spawn = {**dask.config.get("distributed.nanny.pre-spawn-environ", {}), **blas}  # read as BLAS loads
    with warnings.catch_warnings(), dask.config.set({"distributed.nanny.pre-spawn-environ": spawn}):
        warnings.simplefilter("ignore")  # "port in use, using a random port" and similar start-up notes
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=40, env=env)
    return OnDask(Client(cluster), cluster=cluster)


def connect(scheduler: str) -> OnDask:
    """The running Dask cluster at `scheduler` (``tcp://host:8786``), or a ConfigError saying why not."""
    from distributed import Client
    try:
        client = Client(scheduler, timeout=10)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(f"--scheduler={scheduler!r} is invalid: cannot connect ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else 'no answer'}); start one with "
                          "`dask scheduler` and `dask worker ADDRESS`, or leave --scheduler out") from None
    return OnDask(client)


def describe(exc: BaseException) -> str:
    """One line for a point that raised something other than a ConfigError (a bug, a dead worker)."""
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" at {pathlib.Path(last[0].filename).name}:{last[0].lineno}" if last else ""
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}{where}"
