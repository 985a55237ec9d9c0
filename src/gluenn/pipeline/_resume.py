"""What an interrupted run leaves behind, and how ``gluenn run ... --resume OUT`` picks it up.

A run trains named parts in order — the components of a GlueNN set-up (``re``, ``im``) or the
stages of a neural-ODE set-up — each through :func:`~gluenn.optimise`. When one is interrupted
(``Ctrl-C``), ``OUT/resume/`` receives the parameters of every finished part, the interrupted
part's parameters, optimiser state and log, and a ``state.json`` naming the configuration
(experiment, parameters, seed). Resuming refuses any other configuration, skips the finished
parts and continues the interrupted one where it stopped; the chunks of steps are the same, so
the result is bit-identical to an uninterrupted run's.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import shutil


from .._errors import ConfigError, Interrupted
from .._io import atomic_write_bytes, jsonable, leaves_to_bytes, read_format, read_leaves, write_json, write_jsonl
from ..engine import History, Resume

FORMAT = "gluenn-resume-2"
"""The format of ``resume/state.json`` and the optimiser states beside it. Version 2 (3d033ee):
an L-BFGS phase's state carries its line-search counters. A run saved in another version is refused
as a whole (one clear line) rather than phase by phase."""


def _read(path: pathlib.Path, like):
    return read_leaves(path, like, f"--resume {str(path.parent.parent)!r}")


class ResumeStore:
    """Training progress of a run made of named parts, for ``--resume``.

    - `out_dir`: the run's output folder (``None``: nothing is written, interruptions only stop).
    - `fingerprint`: JSON-ready facts that must match to resume (experiment, params, seed, preset).
    """

    def __init__(self, out_dir, fingerprint: dict):
        self.dir = pathlib.Path(out_dir) / "resume" if out_dir is not None else None
        self.fingerprint = json.loads(json.dumps(jsonable(fingerprint)))
        self.finished: dict[str, tuple[object, History]] = {}
        self._state: dict = {}

    @classmethod
    def open(cls, out_dir, fingerprint: dict) -> "ResumeStore":
        """The progress saved in ``out_dir/resume`` by an interrupted run with this fingerprint."""
        store = cls(out_dir, fingerprint)
        state = read_state(out_dir)
        saved = state.get("fingerprint", {})
        for key in sorted(set(saved) | set(store.fingerprint)):
            if saved.get(key) != store.fingerprint.get(key):
                a, b = saved.get(key), store.fingerprint.get(key)
                if isinstance(a, dict) and isinstance(b, dict):
                    k = next(k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k))
                    key, a, b = f"{key}.{k}", a.get(k), b.get(k)
                raise ConfigError(f"--resume {str(out_dir)!r} is invalid: that run has {key}={a!r}, this one "
                                  f"{key}={b!r}; resume with the same configuration (or start a fresh run)")
        _check_state(state, store.dir, f"--resume {str(out_dir)!r}")
        store._state = state
        return store

    def done(self, name: str, like) -> "tuple[object, History] | None":
        """``(params, history)`` of part `name` if the interrupted run had finished it."""
        if name not in self._state.get("finished", []):
            return None
        params = _read(self.dir / f"{name}.eqx", like)
        out = (params, History.from_dict(self._state["histories"][name]))
        self.finished[name] = out
        return out

    def start(self, name: str, like) -> "tuple[object, tuple[History, Resume]] | None":
        """``(params, (history, Resume))`` to continue part `name` if it was the interrupted one."""
        if self._state.get("current") != name or self._state.get("at") is None:
            return None
        at = self._state["at"]
        phase = at["phase"]  # a dict; the caller's phase list gives the class
        params = _read(self.dir / f"{name}.eqx", like)
        state = (self.dir / f"{name}.opt.eqx").read_bytes()
        hist = History.from_dict(self._state["histories"][name])
        return params, (hist, Resume(at["phase_index"], phase, at["done"], state, at.get("weights")))

    def finish(self, name: str, params, history: History) -> None:
        self.finished[name] = (params, history)

    def interrupted(self, name: str, params, history: History) -> pathlib.Path | None:
        """Write everything needed to resume; returns the folder (``None`` without an output folder)."""
        if self.dir is None:
            return None
        self.dir.mkdir(parents=True, exist_ok=True)
        hists = {k: h.to_dict() for k, (_, h) in self.finished.items()}
        for k, (p, _) in self.finished.items():
            atomic_write_bytes(self.dir / f"{k}.eqx", leaves_to_bytes(p))
        at = None
        if history.resume is not None:
            r = history.resume
            atomic_write_bytes(self.dir / f"{name}.eqx", leaves_to_bytes(params))
            atomic_write_bytes(self.dir / f"{name}.opt.eqx", leaves_to_bytes(r.state))
            at = {"phase_index": r.phase_index, "done": r.done, "phase": dataclasses.asdict(r.phase),
                  "weights": r.weights}
            hists[name] = history.to_dict()
        write_json(self.dir / "state.json", {  # last: its presence means the folder is complete
            "format": FORMAT, "fingerprint": self.fingerprint, "finished": list(self.finished),
            "current": name if at is not None else None, "at": at, "histories": hists})
        return self.dir

    def clear(self) -> None:
        """Remove the saved progress (after the run completed)."""
        if self.dir is not None and self.dir.exists():
            shutil.rmtree(self.dir)


    def interrupted_run(self, part: str, params, history: History, rows: list, versions: dict):
        """Save the progress of a run interrupted in `part` and raise :class:`~gluenn.Interrupted`.

        With an output folder: ``resume/``, the log so far and a ``metrics.json`` with
        ``"complete": false`` and the command that continues the run."""
        where = self.interrupted(part, params, history)
        steps = history.steps
        if where is None:
            raise Interrupted(f"training interrupted in {part!r} at step {steps} (no output folder: nothing saved)")
        out_dir = where.parent
        hint = f"gluenn run {self.fingerprint['experiment']} --resume {out_dir}"
        write_jsonl(out_dir / "log.jsonl", rows)
        write_json(out_dir / "metrics.json", {
            **self.fingerprint, "versions": versions, "complete": False,
            "train": {"stop_reason": "interrupted", "interrupted_in": part, "steps": steps,
                      "loss_terms": history.final_terms, "resume": hint}})
        raise Interrupted(f"training interrupted in {part!r} at step {steps}; progress saved in {where}; "
                          f"continue with: {hint}")


def read_state(out_dir) -> dict:
    """``OUT/resume/state.json`` of an interrupted run, checked to be gluenn's resume format;
    a :class:`~gluenn.ConfigError` saying why it cannot be resumed otherwise."""
    return read_format(pathlib.Path(out_dir) / "resume" / "state.json", FORMAT, f"--resume {str(out_dir)!r}",
                       "no interrupted run to continue there; start a fresh run with --out",
                       "its saved optimiser states cannot be read back; start a fresh run with --overwrite")


def _check_state(state: dict, folder: pathlib.Path, field: str) -> None:
    """The saved progress as a whole: every part it names has its files and its history, and the
    interrupted point is well formed — checked before anything is used."""
    bad = f"{field} is invalid: the saved progress is damaged"
    fix = "start a fresh run with --overwrite"
    finished, histories, at = state.get("finished"), state.get("histories"), state.get("at")
    if not isinstance(finished, list) or not isinstance(histories, dict):
        raise ConfigError(f"{bad} (no list of finished parts or their histories); {fix}")
    current = state.get("current")
    needed = [f"{n}.eqx" for n in finished] + ([f"{current}.eqx", f"{current}.opt.eqx"] if current else [])
    missing = [f for f in needed if not (folder / f).is_file()]
    if missing:
        raise ConfigError(f"{bad} ({missing[0]} is missing); {fix}")
    for name in [*finished, *([current] if current else [])]:
        h = histories.get(name)
        if not isinstance(h, dict) or not isinstance(h.get("rows"), list) or not h["rows"]:
            raise ConfigError(f"{bad} (no log of part {name!r}); {fix}")
    if current and not (isinstance(at, dict) and isinstance(at.get("phase_index"), int) and
                        isinstance(at.get("done"), int) and at["done"] >= 0 and isinstance(at.get("phase"), dict)):
        raise ConfigError(f"{bad} (the interrupted point of {current!r} is malformed); {fix}")
