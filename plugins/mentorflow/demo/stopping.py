"""Ctrl-C while the demo's stages run: stop between two stages, and at once on a second Ctrl-C.

Python's default Ctrl-C raises ``KeyboardInterrupt`` wherever the program is; inside a task that ``dag.test``
runs, Airflow takes it for the task's failure, puts the task up for retry and waits for the retry, so the
demo seemed to ignore Ctrl-C. :class:`StopSwitch` turns Ctrl-C (and SIGTERM) into a request the stage loop
honours before the next stage (:func:`mentorflow.demo.lifecycle.run`'s ``stop``); a second Ctrl-C runs
``at_once`` (which stops the Airflow API server) and exits with 130. Each task that ``dag.test`` runs installs its
own SIGTERM handler and leaves it behind, so the switch is armed again before every stage (:meth:`armed`).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopSwitch:
    """Signals become a request to stop (:attr:`requested`); a second one stops everything now."""

    def __init__(self, at_once: Callable[[], None], say: Callable[..., None] = print) -> None:
        self.requested = threading.Event()
        self._at_once = at_once
        self._say = say
        self._previous: dict[int, Any] = {}

    def _caught(self, signum: int, _frame) -> None:
        if self.requested.is_set():
            self._say("\nstopping at once …", file=sys.stderr, flush=True)
            self._at_once()
            os._exit(128 + signal.SIGINT)
        self.requested.set()
        self._say(f"\n{signal.Signals(signum).name}: the demo stops after the current stage (press Ctrl-C again to "
                  "stop at once) …", file=sys.stderr, flush=True)

    def arm(self) -> None:
        """Catch SIGINT and SIGTERM (again: a task may have replaced the handler)."""
        for sig in SIGNALS:
            previous = signal.signal(sig, self._caught)
            self._previous.setdefault(sig, previous)

    def disarm(self) -> None:
        """The handlers from before :meth:`arm`."""
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()

    def armed(self, hook: Callable[[Any], None] | None = None) -> Callable[[Any], None]:
        """A ``lifecycle.run`` ``before`` hook that arms the switch, then runs ``hook``."""
        def before(item) -> None:
            self.arm()
            if hook is not None:
                hook(item)

        return before
