"""The lifecycle stages, one module each: what a task of that stage does.

Every stage function takes a :class:`~mentorflow.stages.common.CohortRun` and follows the same shape:
load (read what it needs into plain data, through the stage's quality gate), decide (pure functions
returning rows, status changes and emails), apply (one transaction, then the sends through the ledger),
so any task can run again after a retry or a clear without duplicating anything.
"""
