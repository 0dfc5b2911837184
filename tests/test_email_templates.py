"""Email templates: every one renders in both formats, escapes participants' text, and the kickoff
carries what seed 002 asks of a first meeting; the layout holds in headless Chromium at phone width."""

from __future__ import annotations

import re

import pytest
from browser_fixtures import chromium, needs_chromium
from markupsafe import escape
from mentorflow.messaging import samples
from mentorflow.messaging.render import render_email

ISSUE_TEMPLATES = {"invitation", "reminder", "gapfill", "kickoff", "pulse", "pulse_reminder", "at_risk", "rematch",
                   "closeout", "report_ready"}


def test_every_template_the_issue_names_exists():
    assert ISSUE_TEMPLATES <= set(samples.template_names())


@pytest.mark.parametrize("template", samples.template_names())
def test_each_template_renders_html_and_text_in_the_one_layout(template):
    """Every template in the folder, so a new one without sample data fails here."""
    ctx = samples.context(template)
    subject, html, text = render_email(template, ctx)
    assert subject and "\n" not in subject and "{" not in subject
    assert html.startswith("<!DOCTYPE html>") and ctx["cohort"]["name"] in html
    assert "mailto:" + ctx["ops_email"] in html  # the base layout's footer
    assert not re.search(r"<[a-z/][^>]*>", text), "plain text must carry no markup"
    assert ctx["person"]["full_name"] in text or ctx["person"]["employee_id"].startswith("__")  # ops, HR
    if "link" in ctx:
        assert ctx["link"] in text and f'href="{ctx["link"]}"' in html


PARTICIPANT_FOOTER = "Your answers are confidential to the program team."
STAFF = {"at_risk": "ops", "triage": "ops", "report_ready": "hr"}  # who reads them: the program team, HR
STAFF_FOOTERS = {"ops": "You receive this as the program team of", "hr": "You receive this as the HR contact of"}


def test_the_staff_templates_are_the_ones_samples_address_to_staff():
    assert {t: samples.audience(t) for t in samples.template_names() if samples.audience(t) != "participant"} == STAFF


@pytest.mark.parametrize("template", samples.template_names())
def test_each_audience_gets_its_own_footer_and_staff_never_the_participants(template):
    """Participants are told their answers are confidential; the program team and HR are told why they get
    the email and what to keep to themselves, never a participant's footer."""
    _, html, text = render_email(template, samples.context(template))
    if template not in STAFF:
        assert PARTICIPANT_FOOTER in html
        return
    assert PARTICIPANT_FOOTER not in html and PARTICIPANT_FOOTER not in text
    assert STAFF_FOOTERS[STAFF[template]] in html
    assert all(footer not in html for audience, footer in STAFF_FOOTERS.items() if audience != STAFF[template])


def test_staff_emails_say_what_to_do():
    for template, words in [("at_risk", "within two working days, contact both partners"),
                            ("triage", "Please contact them within two working days"),
                            ("report_ready", "share it only with the people in HR")]:
        _, html, text = render_email(template, samples.context(template))
        assert words in " ".join(text.split()), template
    _, html, text = render_email("report_ready", samples.context("report_ready"))
    assert "attached to this email: hr-report.pdf and hr-report.html" in text
    assert "/var/" not in text and "<code>" not in html  # no path on a server HR cannot reach
    # the links to the report served behind Airflow's login (mentorflow.hr)
    assert f"Report: {samples.REPORTS}/hr-report.html" in text and f'href="{samples.REPORTS}/hr-report.pdf"' in html


def test_participant_text_is_escaped_in_html_and_kept_verbatim_in_text():
    ctx = samples.context("kickoff")
    ctx["my_goals"] = '<script>alert("x")</script> & grow'
    ctx["partners"][0]["partner"] = {**ctx["partners"][0]["partner"], "full_name": "Ann <b>O'Neil</b>"}
    subject, html, text = render_email("kickoff", ctx)
    assert "<script>" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; grow" in html
    assert "<b>O" not in html and "Ann &lt;b&gt;O&#39;Neil&lt;/b&gt;" in html
    assert '<script>alert("x")</script> & grow' in text
    assert subject == "Meet your mentoring partner: Ann <b>O'Neil</b>"  # the subject is a header, not HTML


def _kickoff(partners: list[dict] | None = None, **changes) -> tuple[str, str, str]:
    ctx = {**samples.context("kickoff"), **changes}
    if partners is not None:
        ctx["partners"] = partners
    return render_email("kickoff", ctx)


def test_kickoff_introduces_the_partner_with_reasons_goals_and_resources():
    ctx = samples.context("kickoff")
    (mine,) = ctx["partners"]
    _, html, text = _kickoff()
    for value in [mine["partner"]["full_name"], mine["partner"]["email"], ctx["my_goals"], mine["partner_goals"],
                  *mine["reasons"], *ctx["resources"]]:
        assert value in text and str(escape(value)) in html
    _, _, text_no_resources = _kickoff(resources=[], my_goals=None)
    assert "Ask the program team (mentoring-ops@example.com)" in text_no_resources
    assert "not stated yet: bring one to the first meeting" in text_no_resources


def test_a_mentor_of_two_gets_one_kickoff_introducing_both():
    first, second = samples.partnership(1, "mentor"), samples.partnership(2, "mentor")
    second["reasons"] = ["Bo wants SQL, which you offer at 5/5"]
    subject, html, text = _kickoff([first, second])
    assert subject == "Meet your mentoring partners: Priya Natarajan 1 and Priya Natarajan 2"
    one, two = text.split("YOUR PARTNER 1 OF 2: ")[1].split("YOUR PARTNER 2 OF 2: ")
    assert one.startswith("Priya Natarajan 1") and first["reasons"][0] in one and second["reasons"][0] not in one
    assert two.startswith("Priya Natarajan 2") and second["reasons"][0] in two.split("YOUR GOALS")[0]
    assert text.count("As the mentor, make your intentions clear") == 1  # one role, one note
    assert "Your partner 2 of 2: Priya Natarajan 2" in html


def test_kickoff_follows_seed_002_on_confidentiality_trust_and_the_first_meeting():
    _, _, text = _kickoff()
    agenda = text.split("FIRST MEETING AGENDA")[1]
    items = re.findall(r"^\d\. (.+)$", agenda, flags=re.M)
    assert len(items) == 6
    # seed 002: agree on confidentiality first, discuss what trust means at the beginning,
    # follow through (or say so first), match words with behaviour, expect and repair mistakes
    assert "Confidentiality" in items[1] and "Trust: what it means for you both" in items[2]
    conf = text.split("CONFIDENTIALITY AGREEMENT")[1].split("BUILDING TRUST")[0]
    assert "not shared elsewhere" in conf and "think out loud" in conf
    trust = text.split("BUILDING TRUST")[1].split("FIRST MEETING AGENDA")[0]
    assert "bring it up first" in trust and "Match your words with what you do" in trust and "re-earned" in trust


def test_kickoff_speaks_to_each_role_and_to_symbiotic_pairs():
    _, mentor_html, mentor = _kickoff([samples.partnership(1, "mentor")])
    _, _, mentee = _kickoff([samples.partnership(1, "mentee")])
    _, _, both = _kickoff([samples.partnership(1, "mentor"), samples.partnership(2, "mentee")])
    symbiotic_ctx = samples.context("kickoff")
    symbiotic_ctx["cohort"] = {**symbiotic_ctx["cohort"], "program_type": "symbiotic"}
    symbiotic_ctx["partners"] = [samples.partnership(1, "mentor and mentee (you learn from each other)")]
    _, _, symbiotic = render_email("kickoff", symbiotic_ctx)
    assert "your mentee's growth" in mentor and "your mentee's growth" in mentor_html.replace("&#39;", "'")
    assert "let your guard down" in mentee and "let your guard down" not in mentor
    assert "your mentee's growth" in both and "let your guard down" in both
    assert "You share the roles" in symbiotic and "what you can offer" in symbiotic
    assert "learn from, and can offer to, the other" in symbiotic.split("FIRST MEETING AGENDA")[1]


def test_rematch_names_the_new_partner_or_says_none_was_found():
    ctx = samples.context("rematch")
    _, _, text = render_email("rematch", ctx)
    assert ctx["partners"][0]["partner"]["full_name"] in text and ctx["partners"][0]["reasons"][0] in text
    _, _, alone = render_email("rematch", {**ctx, "partners": []})
    assert "could not find a new partner" in alone and "Your new partner" not in alone


def test_rematch_names_the_partnership_that_ended_and_what_comes_next():
    ctx = samples.context("rematch")
    former = ctx["ended"][0]["full_name"]
    subject, html, text = render_email("rematch", ctx)
    assert f"Your partnership with {former} has ended." in text and str(escape(former)) in html
    assert "no judgement of anyone" in text and subject == "Your mentoring partnership is changing"
    kept = [samples.partner(7), samples.partner(8)]
    _, _, staying = render_email("rematch", {**ctx, "partners": [], "continuing": kept})
    assert f"You stay in the program with {kept[0]['full_name']} and {kept[1]['full_name']}" in staying
    assert "could not find a new partner" not in staying and "will be in touch" not in staying
    subject, _, gaining = render_email("rematch", {**ctx, "ended": []})
    assert "has ended" not in gaining and subject == "Meet your new mentoring partner"


def test_pulse_reminder_names_partner_period_and_closing_date():
    ctx = samples.context("pulse_reminder")
    subject, html, text = render_email("pulse_reminder", ctx)
    assert ctx["period"] in subject
    assert ctx["partners"][0]["full_name"] in text and ctx["closes"] in html and "does not see them" in text


def test_pulse_emails_name_every_partner_of_a_mentor_with_two_mentees():
    first, second = samples.partner(1), samples.partner(2)
    for template in ("pulse", "pulse_reminder"):
        ctx = {**samples.context(template), "partners": [first, second]}
        _, html, text = render_email(template, ctx)
        names = f"{first['full_name']} and {second['full_name']}"
        assert f"partnerships with {names}" in text and names in html
        if template == "pulse_reminder":
            assert "do not see them" in text


def test_at_risk_alert_lists_undeliverable_addresses_when_given():
    ctx = samples.context("at_risk")
    _, html, text = render_email("at_risk", ctx)
    row = ctx["undeliverable"][0]
    assert row["recipient"] in text and row["last_error"] in text and row["recipient"] in html
    _, _, without = render_email("at_risk", {k: v for k, v in ctx.items() if k != "undeliverable"})
    assert "could not be delivered" not in without


@pytest.mark.slow
@needs_chromium
def test_every_template_fits_a_phone_screen_in_chromium(tmp_path):
    """Rendered by real headless Chromium at 375 px: nothing wider than the screen, body text readable."""
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 375, "height": 800})
        widths = {}
        for template in samples.template_names():
            path = tmp_path / f"{template}.html"
            path.write_text(samples.sample_email(template).html, encoding="utf-8")
            page.goto(path.as_uri())
            widths[template] = page.evaluate("document.documentElement.scrollWidth")
            font = page.evaluate("parseFloat(getComputedStyle(document.querySelector('p')).fontSize)")
            assert font >= 14, f"{template}: body text {font}px"
    assert widths == {t: 375 for t in samples.template_names()}
