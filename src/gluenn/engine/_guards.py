"""The loop's guards, each a small piece: Ctrl-C handling and the progress bar."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Sequence


class CtrlC:
    """First Ctrl-C: finish the running chunk, then stop cleanly. Second: abort at once."""

    def __init__(self):
        self.requested = False
        self._old = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._old = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        print("\ngluenn: stopping after the current chunk of steps (Ctrl-C again to abort now)",
              file=sys.stderr, flush=True)

    def __exit__(self, *exc):
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
        return False


class ProgressBar:
    """A tqdm bar over all phases' steps showing the phase, the loss and each term (off: does nothing)."""

    def __init__(self, total: int, enabled: bool):
        self.bar = None
        if enabled:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=total, unit="step", dynamic_ncols=True, leave=True, file=sys.stderr)

    def update(self, n: int, phase: str, row: dict, keys: Sequence[str]):
        if self.bar is None:
            return
        self.bar.set_description(phase)
        post = {"loss": f"{row['loss']:.3e}"}
        post.update({k: f"{row[k]:.2e}" for k in keys})
        self.bar.set_postfix(post, refresh=False)
        self.bar.update(n)

    def close(self):
        if self.bar is not None:
            self.bar.close()
