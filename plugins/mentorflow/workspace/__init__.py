"""The partnership's own space: one page per pair, group or circle where its members agree how they work
together, follow their goals and milestones, log meetings and written exchanges, and find resources
(docs/workspace.md). Only its members see it; ops sees whether an agreement exists, HR suppressed counts."""
