"""The matching committee's console: review, re-solve with a diff, votes and the audit trail."""
