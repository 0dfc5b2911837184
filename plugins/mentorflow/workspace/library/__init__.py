"""The resource library: the curated file ops edit (:mod:`.catalogue`), the suggestions for a space
(:mod:`.suggest`) and the page section where members mark resources done and rate them (:mod:`.section`)."""

