"""Every error mentorflow raises across its own package boundaries, in one place.

Each says what went wrong in words an ops engineer can act on; the stage tasks turn a
:class:`GateFailure` into a failed Airflow task without retries.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mentorflow.privacy import redact


class CohortConfigError(ValueError):
    """A cohort file that cannot be used, with every problem spelled out."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = Path(path)
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


class ImportFileError(ValueError):
    """The file as a whole cannot be imported."""


class UnreadableFile(ValueError):
    """The file cannot be opened at all (missing, a folder, no permission)."""


class GateFailure(RuntimeError):
    """A hard data-quality failure: the stage stops and nothing downstream runs."""


class ProviderConfigError(RuntimeError):
    """The provider refuses us as a sender (bad key, no permission): no message can go through."""


class ProviderBusy(RuntimeError):
    """The provider stays unavailable (retries used up, or asked to wait too long): stop this run.

    ``settled`` carries the results the batch already has (messages delivered or refused before the
    outage), so the ledger records them and only queues the rest again for the task's retry.
    """

    def __init__(self, reason: str, settled: list | None = None):
        super().__init__(redact(reason))  # a provider's text may quote a recipient's address
        self.settled = list(settled or [])


class DeliveryIncomplete(RuntimeError):
    """Some messages hit a transient failure; raising makes Airflow retry the task, which resumes."""

    def __init__(self, counts: dict[str, Any]):
        self.counts = counts
        super().__init__(redact(f"{counts['retry']} message(s) not delivered yet (transient errors, e.g. "
                                f"{counts.get('last_transient_error')}); a retry of this task sends only those. "
                                f"{counts}"))


class WeakSecretKey(ValueError):
    """The form-link signing key is missing, short or a placeholder: links signed with it could be forged."""


class TokenError(ValueError):
    """A token that must be refused; the message is safe to show (it names no one)."""


class StageFailed(RuntimeError):
    """A stage run of the demo or an end-to-end test did not succeed."""


class StagesInterrupted(RuntimeError):
    """Ctrl-C (or SIGTERM) stopped the demo's stages between two runs."""


class StoreNotReady(RuntimeError):
    """The program store is not at the schema this code needs (or cannot be upgraded as it is).

    ``url`` is the store's URL with the password hidden; the message says what to run.
    """

    def __init__(self, url: str, problem: str):
        self.url = url
        self.problem = problem
        super().__init__(f"program store {url}: {problem}")


class FieldErrors(ValueError):
    """Problems keyed by HTML field name (``skills_offered-0-level``, ``tipi_3``, ``goals`` ...): a form's
    answers, or a part of the partnership page, refused with nothing written."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
