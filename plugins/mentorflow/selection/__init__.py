"""Self-selection before the optimizer runs (``self_selection`` in the cohort YAML).

- :mod:`.recommend`: each mentee's best few mentors from the matcher's own scores and hard rules, with
  the matcher's own reasons, spread by a popularity cap (decide: no I/O);
- :mod:`.locks`: which accepted requests become committee locks (decide: no I/O).

The stage that reads and writes the store is :mod:`mentorflow.stages.selection`; the two forms are
:mod:`mentorflow.forms.selection`.
"""
