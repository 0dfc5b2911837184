"""The program store: tables (the single source of truth for the schema), migrations and the gateway over them."""

from mentorflow.store.gateway import Store, ddl, default_url, url_for
from mentorflow.store.tables import (
    APPLICATION_FIELDS,
    NOTE_PURGED,
    agreements,
    goals,
    milestones,
    meeting_log,
    next_steps,
    resource_feedback,
    applications,
    cohorts,
    committee_audit,
    committee_votes,
    email_ledger,
    erasures,
    evaluations,
    form_events,
    group_health,
    match_certificates,
    matches,
    metadata,
    offers,
    pair_health,
    people,
    pulse_responses,
    quarantine,
    recommendations,
    rematch_requests,
    reports,
    selection_requests,
    triage_requests,
    unmatched,
    waitlist,
)

__all__ = ["metadata", 'cohorts', 'people', 'applications', 'APPLICATION_FIELDS', 'NOTE_PURGED', 'quarantine', 'matches', 'match_certificates', 'unmatched', 'email_ledger', 'erasures', 'pulse_responses', 'pair_health', 'group_health', 'evaluations', 'reports', 'rematch_requests', 'form_events', 'triage_requests', 'recommendations', 'selection_requests', 'offers', 'waitlist', 'agreements', 'goals', 'milestones', 'meeting_log', 'next_steps', 'resource_feedback', 'committee_audit', 'default_url', 'url_for', 'Store', 'ddl', 'committee_votes']
