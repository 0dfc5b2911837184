"""What the program promises about disclosure: HR and the committee only ever see groups of at
least :data:`MIN_CELL` people (the forms and emails say so); smaller groups are suppressed. And what a
participant reads of the matcher's reasons for a pair (:func:`participant_reasons`)."""

MIN_CELL = 5

# the matcher's reason that quotes words found both in one partner's goals and in what the other can teach
# (mentorflow.matching.explain writes it)
GOALS_REASON = "goals meet what "
# the matcher's reason that tells whom someone listed as a preferred partner: an answer of the lister's
# that the form never promised to pass on, so it stays with the committee
RANKING_REASON = "ranked this partner as choice"


def participant_reasons(explanation: str, partner_shares_goals: bool) -> list[str]:
    """The reasons of a pair's explanation (``'; '``-joined) as one partner may read them: the goals reason
    only when the other partner agreed to share their goals (``share_goals``; the application form promises
    answers stay with the program team otherwise), never whom someone ranked."""
    reasons = [r.strip() for r in explanation.split(";") if r.strip()]
    return [r for r in reasons if (partner_shares_goals or not r.startswith(GOALS_REASON)) and RANKING_REASON not in r]
