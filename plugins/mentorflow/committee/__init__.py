"""The matching committee console: review, re-solve and decide together on a round's proposal."""
