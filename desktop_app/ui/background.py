"""Running store and KDF work off the UI thread.

All vault access goes through one worker thread, so the single SQLCipher connection is
never used from two threads at once and the window never freezes on a slow disk or a
0.75 s key derivation. Results come back to the UI thread through a queued Qt signal.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from desktop_app.errors import CaseNotesError

Callback = Callable[[Any], None]


class BackgroundRunner(QObject):
    """Submit a callable to the store thread; get ``on_done(result)`` or ``on_error(exc)``
    back on the UI thread. ``busy_changed`` drives progress indicators."""

    busy_changed = Signal(bool)
    _finished = Signal(object, object, object, object)  # on_done, on_error, result, error

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="casenotes-store")
        self._pending = 0
        self._epoch = 0
        # Queued, always: ``add_done_callback`` runs ``finished`` at once, on the calling (UI)
        # thread, when the work is already done, and an automatic connection would then call
        # back inside ``submit``: a model could insert rows while still announcing a reset.
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def invalidate(self) -> None:
        """Drop the callbacks of work already queued: used on lock, so a search result
        that arrives after locking is never shown in a destroyed (or new) window."""
        self._epoch += 1

    def submit(
        self, fn: Callable[[], Any], on_done: Callback | None = None, on_error: Callback | None = None
    ) -> Future[Any]:
        epoch = self._epoch
        self._pending += 1
        if self._pending == 1:
            self.busy_changed.emit(True)

        def finished(future: Future[Any]) -> None:
            error = future.exception()
            result = None if error is not None else future.result()
            if epoch != self._epoch:
                self._finished.emit(None, None, None, None)
            else:
                self._finished.emit(on_done, on_error, result, error)

        future = self._executor.submit(fn)
        future.add_done_callback(finished)
        return future

    def run_now(self, fn: Callable[[], Any]) -> Any:
        """Run on the store thread and wait: only for shutdown and locking, where the
        answer is needed before going on and the work is short."""
        return self._executor.submit(fn).result()

    def _deliver(
        self, on_done: Callback | None, on_error: Callback | None, result: Any, error: BaseException | None
    ) -> None:
        self._pending -= 1
        if self._pending == 0:
            self.busy_changed.emit(False)
        if error is not None:
            if on_error is not None:
                on_error(error)
            elif not isinstance(error, CaseNotesError):
                raise error
        elif on_done is not None:
            on_done(result)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)
