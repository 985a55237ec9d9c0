"""JAX's persistent compilation cache, on by default: a second run of the same computation — the
same experiment and configuration, another seed, a resumed run, a sweep point, the test suite —
loads its compiled XLA programs from disk instead of compiling them again.

Where: ``$GLUENN_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/gluenn`` (``~/.cache/gluenn``), in a
sub-folder per machine type (``jax-<12 hex digits>`` of the CPU model and features, the platform
and the jax/jaxlib versions), because cached programs are native code: on a cluster with a shared
home, nodes with other CPUs must not load each other's entries. Size: at most
``$GLUENN_CACHE_MAX_GB`` (default 2) GB, least recently used entries evicted by JAX. Every
program is stored, however fast it compiled: a default run compiles ~180 programs, most of them
small (single operations run outside ``jit``, the trust checks, the read-outs), and together they
took ~7.5 of freeze-out's 17.6 s warm when only those over 0.5 s were kept (measured; one run
stores ~2.4 MB).

**Stored references.** Expensive deterministic arrays — the Hodgkin–Huxley reference trajectory,
1.5 s of SciPy's DOP853 for every run, whatever the seed — are kept too, by :func:`stored_array`, in
``arrays-<same 12 digits>/`` next to the compiled programs, under a hash of everything they depend
on (the inputs, the source files of the code that computes them, the NumPy and SciPy versions).
At most :data:`MAX_ARRAYS` files per kind, least recently used removed first.

Opt out of both with ``GLUENN_CACHE=off``. If you configured JAX's cache yourself
(``JAX_COMPILATION_CACHE_DIR`` or ``jax.config.update("jax_compilation_cache_dir", ...)`` before
importing gluenn), gluenn leaves it as it is. The cache is trusted code: do not point it at a
folder others can write to. A cached program is the program that would have been compiled, so
results are bit for bit those of a cold run (tested).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pathlib
import platform
import types
from collections.abc import Callable, Sequence

import numpy as np

#: programs that compile faster than this are not stored: none (see the module notes)
MIN_COMPILE_SECONDS = 0.0


def cache_dir() -> pathlib.Path | None:
    """The folder the cache uses (``None`` when it is off or JAX's own setting is kept)."""
    import jax
    return None if jax.config.values.get("jax_compilation_cache_dir") is None else \
        pathlib.Path(jax.config.values["jax_compilation_cache_dir"])


def enable() -> pathlib.Path | None:
    """Turn the cache on as the module notes describe; the folder, or ``None`` if off or kept."""
    import jax
    if jax.config.values.get("jax_compilation_cache_dir") is not None:
        return None  # the user's own setting
    path = _folder("jax")
    if path is None:
        return None
    try:
        max_gb = float(os.environ.get("GLUENN_CACHE_MAX_GB", "2"))
    except ValueError:
        max_gb = 2.0
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", MIN_COMPILE_SECONDS)
    if importlib.util.find_spec("filelock") is not None:  # JAX needs it to bound the size (else it warns)
        jax.config.update("jax_compilation_cache_max_size", int(max_gb * 1e9) if max_gb > 0 else -1)
    return path


#: stored arrays kept per kind (e.g. one Hodgkin–Huxley reference per stimulus and grid)
MAX_ARRAYS = 32


def stored_array(kind: str, key: Sequence, compute: Callable[[], np.ndarray]) -> np.ndarray:
    """``compute()``, read from disk when an earlier call with the same `kind` and `key` stored it.

    `key`: everything the result depends on — numbers, strings, arrays, and modules (their source
    files count, so editing the code that computes the array invalidates it). The NumPy and SciPy
    versions are added. A file that cannot be read is computed again; a cache that cannot be
    written is skipped. Cost of a hit: reading the ``.npy`` file (~5 ms for 3 MB)."""
    folder = _folder("arrays")
    if folder is None:
        return np.asarray(compute())
    path = folder / kind / f"{_digest(key)}.npy"
    try:
        out = np.load(path, allow_pickle=False)
        os.utime(path)  # recently used
        return out
    except (OSError, ValueError, EOFError):  # absent, or damaged (EOFError: an empty file)
        pass
    out = np.asarray(compute())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            np.save(fh, out, allow_pickle=False)
        os.replace(tmp, path)  # atomic: a reader never sees half a file
        for old in sorted(path.parent.glob("*.npy"), key=lambda f: f.stat().st_mtime)[:-MAX_ARRAYS]:
            old.unlink(missing_ok=True)
    except OSError:
        pass
    return out


def _digest(key: Sequence) -> str:
    import scipy
    h = hashlib.sha256()
    for part in (*key, np.__version__, scipy.__version__):
        if isinstance(part, types.ModuleType):
            part = pathlib.Path(part.__file__).read_bytes()
        elif isinstance(part, np.ndarray):
            part = repr((part.dtype.str, part.shape)).encode() + np.ascontiguousarray(part).tobytes()
        elif not isinstance(part, bytes):
            part = repr(part).encode()
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:32]


def _folder(kind: str) -> pathlib.Path | None:
    """``<root>/<kind>-<machine>``, created; ``None`` when the cache is off or cannot be written."""
    if os.environ.get("GLUENN_CACHE", "").strip().lower() in {"off", "0", "false", "no"}:
        return None
    root = os.environ.get("GLUENN_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "gluenn")
    path = pathlib.Path(root) / f"{kind}-{_machine()}"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # an unwritable home: run without a cache rather than fail
    return path if os.access(path, os.W_OK) else None


def _machine() -> str:
    """12 hex digits identifying the CPU (model and feature flags), platform and jax/jaxlib versions."""
    import jax
    import jaxlib
    cpu = ""
    try:
        with open("/proc/cpuinfo") as fh:
            lines = [ln for ln in fh if ln.startswith(("model name", "flags", "Features", "CPU part"))]
        cpu = "".join(sorted(set(lines)))
    except OSError:
        cpu = platform.processor()
    key = "|".join([platform.system(), platform.machine(), cpu, jax.__version__, jaxlib.__version__])
    return hashlib.sha256(key.encode()).hexdigest()[:12]
