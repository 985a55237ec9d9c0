"""The output folder of a run, written as a unit: complete and consistent, or visibly not.

- :meth:`RunFolder.claim` (before any work): the folder exists or is created, is writable, is not
  being written by another gluenn process (a lock file holding the writer's pid; a stale lock of a
  killed run is taken over), and holds no run of another experiment or configuration — nor files
  that are not a gluenn run's — unless ``overwrite``.
- :meth:`RunFolder.begin` (after the set-up is built, before training): the previous run's outputs
  and completion markers are removed, so that a run killed from here on leaves no ``metrics.json``.
- :meth:`RunFolder.seal` (after the last output): ``metrics.json``, then ``manifest.json`` listing
  every file of the run with its size and SHA-256 — the manifest's presence means complete.
- :meth:`RunFolder.release` (always): the lock goes; a refused run that created the folder leaves
  nothing behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pathlib
import shutil

from .._errors import ConfigError
from .._io import jsonable, write_json

MANIFEST = "manifest.json"
LOCK = ".gluenn.lock"
#: what a gluenn run writes into its folder (besides the manifest)
OUTPUTS = ("metrics.json", "solution.png", "coefficients.png", "coefficients.csv", "trajectory.csv",
           "checkpoint.eqx", "checkpoint.eqx.json", "log.jsonl", "readouts.csv", "readouts.png")
FORMAT = "gluenn-run-1"


class RunFolder:
    """See the module notes. `fingerprint`: what identifies the run's configuration
    (experiment, parameters, seed, preset, weights)."""

    def __init__(self, path: pathlib.Path, fingerprint: dict, created: bool):
        self.path, self.fingerprint, self.created = path, json.loads(json.dumps(jsonable(fingerprint))), created
        self.locked = False

    @classmethod
    def claim(cls, out, fingerprint: dict, *, resume: bool = False, overwrite: bool = False) -> "RunFolder":
        path = pathlib.Path(out)
        field = f"--out={str(out)!r}"
        if str(out).strip() == "":
            raise ConfigError(f"{field} is invalid: give a folder path")
        if path.exists() and not path.is_dir():
            raise ConfigError(f"{field} is invalid: it is a file; give a folder path")
        created = not path.exists()
        if not resume and not overwrite and not created:
            _refuse_foreign(path, fingerprint, field)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"{field} is invalid: cannot create it ({exc.strerror}); choose a writable folder") from None
        folder = cls(path, fingerprint, created)
        folder._lock(field)
        return folder

    def _lock(self, field: str) -> None:
        try:
            take_lock(self.path / LOCK, field, "another gluenn run")
        except ConfigError:
            self._remove_if_created()
            raise
        self.locked = True

    def begin(self, *, resume: bool = False) -> None:
        """Remove the previous run's outputs and completion markers (``resume/`` too, unless resuming)."""
        for name in (MANIFEST, *OUTPUTS):
            (self.path / name).unlink(missing_ok=True)
        if not resume and (self.path / "resume").is_dir():
            shutil.rmtree(self.path / "resume")

    def seal(self, metrics: dict) -> None:
        """Write ``metrics.json`` and then the manifest of every output file."""
        write_json(self.path / "metrics.json", metrics)
        files = {}
        for name in OUTPUTS:
            f = self.path / name
            if f.is_file():
                data = f.read_bytes()
                files[name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        write_json(self.path / MANIFEST, {"format": FORMAT, "complete": True, **self.fingerprint, "files": files})

    def release(self, failed: bool = False) -> None:
        """Drop the lock; after a refused or failed run, remove the folder if this run created it and
        left nothing in it."""
        if self.locked:
            (self.path / LOCK).unlink(missing_ok=True)
            self.locked = False
        if failed:
            self._remove_if_created()

    def _remove_if_created(self) -> None:
        if self.created and self.path.is_dir() and not any(self.path.iterdir()):
            self.path.rmdir()


@contextlib.contextmanager
def claimed(out, fingerprint: dict, *, resume: bool = False, overwrite: bool = False):
    """``with claimed(out, fingerprint) as folder:`` — :meth:`RunFolder.claim` (``None`` when `out`
    is ``None``: no folder), released on the way out, as failed if an exception leaves the block."""
    folder = RunFolder.claim(out, fingerprint, resume=resume, overwrite=overwrite) if out is not None else None
    failed = True
    try:
        yield folder
        failed = False
    finally:
        if folder is not None:
            folder.release(failed=failed)


def take_lock(lock: pathlib.Path, field: str, who: str) -> None:
    """Create `lock` holding this process's pid, taking over the lock of a process that died; a
    :class:`ConfigError` if a live process (`who`) holds it or the folder is not writable."""
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            pid = _read_pid(lock)
            if pid is not None and _alive(pid):
                raise ConfigError(f"{field} is invalid: {who} (pid {pid}) is writing into it; "
                                  "wait for it to finish or choose another folder") from None
            lock.unlink(missing_ok=True)  # a killed process's lock
            continue
        except OSError as exc:
            raise ConfigError(f"{field} is invalid: cannot write into it ({exc.strerror}); "
                              "choose a writable folder") from exc
        with os.fdopen(fd, "w") as fh:
            fh.write(str(os.getpid()))
        return
    raise ConfigError(f"{field} is invalid: its lock {lock} keeps reappearing; remove it by hand")


def read_complete(path: pathlib.Path, fingerprint: dict) -> dict | None:
    """The ``metrics.json`` of the complete run of configuration `fingerprint` in `path`, or ``None``
    (no manifest, another configuration, or a ``metrics.json`` that is not the one the manifest lists)."""
    try:
        manifest = json.loads((path / MANIFEST).read_text())
        data = (path / "metrics.json").read_bytes()
    except (OSError, ValueError):
        return None
    mine = json.loads(json.dumps(jsonable(fingerprint)))
    listed = manifest.get("files", {}).get("metrics.json", {}) if isinstance(manifest, dict) else {}
    if not (manifest.get("complete") is True and all(manifest.get(k) == v for k, v in mine.items())
            and listed.get("sha256") == hashlib.sha256(data).hexdigest()):
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def _refuse_foreign(path: pathlib.Path, fingerprint: dict, field: str) -> None:
    """A ConfigError unless `path` is empty or holds a run of this very configuration."""
    entries = [p.name for p in path.iterdir() if p.name != LOCK]
    if not entries:
        return
    held = _held(path)
    if held is None:
        unknown = sorted(set(entries) - set(OUTPUTS) - {MANIFEST, "resume"})
        what = f"files that are not a gluenn run's ({', '.join(unknown[:3])}{', ...' if len(unknown) > 3 else ''})" \
            if unknown else "an incomplete gluenn run"
        raise ConfigError(f"{field} is invalid: it holds {what}; choose an empty or new folder, or add "
                          "--overwrite to write the run there anyway")
    mine = json.loads(json.dumps(jsonable(fingerprint)))
    diff = [k for k in ("experiment", "params", "seed", "preset", "weights") if k in held and held[k] != mine.get(k)]
    if not diff and (held.get("complete") is False or (path / "resume").is_dir()):
        raise ConfigError(f"{field} is invalid: it holds an interrupted run of this configuration; continue it "
                          f"with --resume {str(path)!r}, or add --overwrite to start afresh")
    if diff:
        raise ConfigError(f"{field} is invalid: it holds a {held.get('experiment')!r} run (seed {held.get('seed')}) "
                          f"with another {diff[0]}; choose another folder, or add --overwrite to replace it")


def _held(path: pathlib.Path) -> dict | None:
    """The configuration of the run in `path` (from its manifest, metrics or resume state), if any."""
    for name in (MANIFEST, "metrics.json", "resume/state.json"):
        try:
            data = json.loads((path / name).read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            found = data.get("fingerprint", data)
            if isinstance(found, dict) and "experiment" in found:
                return {**found, **({"complete": data["complete"]} if "complete" in data else {})}
    return None


def _read_pid(lock: pathlib.Path) -> int | None:
    try:
        return int(lock.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
