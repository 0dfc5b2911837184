"""Choosing the email backend a cohort asked for."""

from __future__ import annotations

from mentorflow import paths
from mentorflow.emailing.backends import EmailBackend, OutboxBackend


def backend_for(config) -> EmailBackend:
    """The backend named in the cohort's ``sender`` section (the outbox folder by default)."""
    backend = config.sender.backend
    if backend == "outbox":
        return OutboxBackend(paths.outbox_dir(config.cohort))
    raise NotImplementedError(
        f"cohort {config.cohort}: sender.backend {backend!r} is not available in this version; use 'outbox'"
    )
