"""The program store: tables (the single source of truth for the schema) and the gateway over them."""

from mentorflow.store.tables import (
    APPLICATION_FIELDS,
    Store,
    applications,
    cohorts,
    ddl,
    default_url,
    email_ledger,
    evaluations,
    form_events,
    matches,
    metadata,
    pair_health,
    people,
    pulse_responses,
    quarantine,
    rematch_requests,
    reports,
    stage_runs,
    triage_requests,
    unmatched,
    url_for,
)

__all__ = ["metadata", 'cohorts', 'people', 'applications', 'APPLICATION_FIELDS', 'quarantine', 'matches', 'unmatched', 'email_ledger', 'pulse_responses', 'pair_health', 'evaluations', 'stage_runs', 'reports', 'rematch_requests', 'form_events', 'triage_requests', 'default_url', 'url_for', 'Store', 'ddl']
