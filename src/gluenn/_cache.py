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

Opt out with ``GLUENN_CACHE=off``. If you configured JAX's cache yourself
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
    if os.environ.get("GLUENN_CACHE", "").strip().lower() in {"off", "0", "false", "no"}:
        return None
    if jax.config.values.get("jax_compilation_cache_dir") is not None:
        return None  # the user's own setting
    root = os.environ.get("GLUENN_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "gluenn")
    path = pathlib.Path(root) / f"jax-{_machine()}"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # an unwritable home: run without a cache rather than fail
    if not os.access(path, os.W_OK):
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
