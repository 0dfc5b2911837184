"""The resource library: the curated file ops edit (:mod:`.catalogue`), the suggestions for a space
(:mod:`.suggest`) and the page section where members mark resources done and rate them (:mod:`.section`)."""

# The page module first: its section list imports .section, which builds on the page's types; importing
# the page here makes ``import mentorflow.workspace.library.section`` work whichever module is imported first.
from mentorflow.workspace import page as _page  # noqa: F401
