"""Atomic file output: write to a temporary file in the same folder, then rename."""

from __future__ import annotations

import io
import json
import math
import os
import pathlib
import tempfile

import equinox as eqx
import numpy as np

from ._errors import ConfigError


def prepare_out_dir(out) -> pathlib.Path:
    """Create the output folder, or explain why it cannot be used."""
    out = pathlib.Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out={str(out)!r} is invalid: it is a file; give a folder path")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--out={str(out)!r} is invalid: cannot create it ({exc.strerror}); "
                          "choose a writable folder") from None
    return out


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path, data: bytes) -> None:
    path = pathlib.Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs follow the umask like any other file
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def leaves_to_bytes(tree) -> bytes:
    """The arrays of a pytree (an Equinox module, an optimiser state) as bytes."""
    buf = io.BytesIO()
    eqx.tree_serialise_leaves(buf, tree)
    return buf.getvalue()


def leaves_from_bytes(data: bytes, like):
    """Arrays written by :func:`leaves_to_bytes` read into the skeleton `like`."""
    return eqx.tree_deserialise_leaves(io.BytesIO(bytes(data)), like)


def atomic_write_text(path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def jsonable(obj):
    """``obj`` with NumPy scalars/arrays as Python numbers/lists and NaN/inf as ``None`` (strict JSON)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    return obj


def write_json(path, obj) -> None:
    """Atomic JSON; NaN/inf become ``null`` (strict JSON)."""
    atomic_write_text(path, json.dumps(jsonable(obj), indent=2) + "\n")


def write_jsonl(path, rows) -> None:
    atomic_write_text(path, "".join(json.dumps(jsonable(r)) + "\n" for r in rows))


def write_csv(path, columns: dict) -> None:
    """Atomic CSV from ``{name: 1-D array}`` (all the same length), full float precision."""
    names = list(columns)
    data = np.column_stack([np.asarray(columns[n], dtype=np.float64) for n in names])
    lines = [",".join(names)]
    lines += [",".join(repr(float(v)) for v in row) for row in data]
    atomic_write_text(path, "\n".join(lines) + "\n")


CHECKPOINT_FORMAT = "gluenn-checkpoint-1"


def save_checkpoint(path, tree, config: dict) -> None:
    """One checkpoint format for every model: ``path`` holds the arrays of `tree` (Equinox leaf
    serialisation), ``path.json`` the JSON `config` needed to rebuild its skeleton (with
    ``format`` and ``kind``: ``"glue"`` or ``"node"``). Both written atomically."""
    path = pathlib.Path(path)
    atomic_write_bytes(path, leaves_to_bytes(tree))
    atomic_write_bytes(path.with_name(path.name + ".json"),
                       json.dumps({"format": CHECKPOINT_FORMAT, **jsonable(config)}, indent=2).encode())


def read_format(path, fmt: str, field: str, missing: str, other_version: str | None = None) -> dict:
    """The JSON object in file `path`, written in gluenn's format `fmt`; a :class:`ConfigError`
    naming `field` if the file is missing (`missing`: what to do then), unreadable or of another format.
    A file of the same kind in another version of the format (``gluenn-resume-1`` read as
    ``gluenn-resume-2``) says so, with `other_version` (default `missing`) as the fix."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise ConfigError(f"{field} is invalid: {path} is missing; {missing}")
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{field} is invalid: {path.name} is not readable JSON ({exc}); {missing}") from None
    found = data.get("format") if isinstance(data, dict) else None
    if isinstance(found, str) and found != fmt and found.rsplit("-", 1)[0] == fmt.rsplit("-", 1)[0]:
        raise ConfigError(f"{field} is invalid: {path.name} was written by another version of gluenn (format "
                          f"{found!r}; this version reads {fmt!r}); {other_version or missing}")
    if found != fmt:
        raise ConfigError(f"{field} is invalid: {path.name} is not in gluenn's {fmt!r} format; {missing}")
    return data


def checkpoint_config(path, kind: str) -> dict:
    """The JSON beside checkpoint `path`; a :class:`ConfigError` if either file is missing, the
    format is unknown or it holds another `kind` of model."""
    path = pathlib.Path(path)
    field, cfg = f"checkpoint={str(path)!r}", path.with_name(path.name + ".json")
    missing = f"expected {path.name} and {cfg.name} side by side (written by gluenn)"
    if not path.is_file():
        raise ConfigError(f"{field} is invalid: {missing}")
    config = read_format(cfg, CHECKPOINT_FORMAT, field, missing)
    if config.get("kind", "glue") != kind:
        raise ConfigError(f"{field} is invalid: it holds a {config.get('kind')!r} model, not a {kind!r} one")
    return config


def read_leaves(path, like, field: str):
    """Arrays saved by :func:`leaves_to_bytes` in file `path` read into the skeleton `like`; a file
    that does not fit it is a :class:`ConfigError` naming `field`."""
    try:
        return leaves_from_bytes(pathlib.Path(path).read_bytes(), like)
    except Exception as exc:  # noqa: BLE001
        raise ConfigError(f"{field} is invalid: {pathlib.Path(path).name} does not fit this configuration "
                          f"({type(exc).__name__}: {exc}); start a fresh run") from None
