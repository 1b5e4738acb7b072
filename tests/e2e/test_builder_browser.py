"""Issue 12 in a real browser: a staff member builds a ten-question template with a section, two skip rules and an
exclusive option in the survey builder alone (clicking and typing, no JSON), previews it and saves it; respondents
create a round of it in the wizard, launch it and open it now; respondents answer it at 1280 and at 390 pixels wide, page by page; and the builder works with JavaScript off."""
from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect
from sqlalchemy import select

from tests import builders
from tests.e2e.test_staff_browser import sign_in
from wfsurvey.domain.tokens import hash_token, new_token
from wfsurvey.extensions import db
from wfsurvey.models import AccessToken, Contact, Invitation, OutboxMessage, Response, Round, Template

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 10, 6, 17, 0, tzinfo=UTC)
SLUG = "apprenticeship-partnerships"


class Builder:
    """The builder page, driven as a person would: buttons and fields found by their labels, entries by their place."""

    def __init__(self, page):
        self.page = page

    def items(self):
        return self.page.locator("li.builder-item")

    def uid(self, n: int) -> str:
        return self.items().nth(n).get_attribute("data-uid")

    def add(self, kind_label: str, wording: str) -> str:
        count = self.items().count()
        self.page.get_by_label("New question's type").select_option(label=kind_label)
        self.page.get_by_role("button", name="Add question").click()
        expect(self.items()).to_have_count(count + 1)
        uid = self.uid(count)
        label = self.page.locator(f"#i{uid}-label")
        expect(label).to_be_focused()  # the new question's wording, ready to type
        label.fill(wording)
        return uid

    def options(self, uid: str, *labels: str) -> None:
        rows = self.page.locator(f"#i{uid}-options li.option-row")
        for n, text in enumerate(labels):
            if n >= rows.count():
                self.page.get_by_role("button", name=re.compile(r"^Add an option")).and_(
                    self.page.locator(f"#i{uid}-add_option")).click()
                expect(rows).to_have_count(n + 1)
            rows.nth(n).get_by_label(f"Option {n + 1}").fill(text)

    def rule_on_answer(self, uid: str, question_number: int, condition: str, answer: str) -> None:
        item = self.page.locator(f"#i{uid}")
        item.get_by_label("Only people whose answer to an earlier question…").check()
        choose_question(item.get_by_label("Earlier question", exact=True), question_number)
        operator = self.page.locator(f"#i{uid}-rule_operator")
        expect(operator).to_be_visible()  # the server sent the operators and answers that fit that question
        operator.select_option(label=condition)
        self.page.locator(f"#i{uid}-rule_value").select_option(label=answer)


def choose_question(select, number: int) -> None:
    """Pick the earlier question a rule depends on by its number ("3. Which trades ...")."""
    label = next(t for t in select.locator("option").all_text_contents() if t.startswith(f"{number}. "))
    select.select_option(label=label)


def test_a_staff_member_builds_previews_and_saves_a_sectioned_template_then_respondents_answer_it(
        app, live_server, new_page, make_user, watch):
    app.config["FIXED_NOW"] = NOW
    staff = make_user(role="staff")
    page = new_page()
    sign_in(page, staff.email)
    page.get_by_role("link", name="Templates").click()
    page.get_by_role("link", name="New template").click()
    expect(page.get_by_role("heading", name="New survey template")).to_be_visible()
    page.wait_for_load_state()  # the builder's script is running
    b = Builder(page)

    page.get_by_label("Title").fill("Apprenticeship partnerships")
    expect(page.get_by_label("Short name")).to_have_value(SLUG)  # made from the title as it is typed
    page.get_by_label("Introduction").fill("Five minutes on how you work with colleges.")

    role = b.add("Single choice", "What is your role?")
    b.options(role, "Director", "Staff member")
    page.locator(f"#i{role}-required").check()
    runs = b.add("Yes/no", "Do you run apprenticeships with a college?")
    page.locator(f"#i{runs}-required").check()
    trades = b.add("Multiple choice", "Which trades do you train for?")
    b.options(trades, "Welding", "CNC machining", "None of these")
    page.locator(f"#i{trades}-options li.option-row").nth(2).get_by_label("Only on its own").check()
    welders = b.add("Short text", "Which employer trains your welders?")
    b.rule_on_answer(welders, 3, "includes", "Welding")
    apprentices = b.add("Number", "How many apprentices this year?")
    page.locator(f"#i{apprentices}-min").fill("0")

    count = b.items().count()
    page.get_by_role("button", name="Add section").click()
    expect(b.items()).to_have_count(count + 1)
    section = b.uid(count)
    page.locator(f"#i{section}-label").fill("Your college partners")
    page.locator(f"#i{section}-help").fill("Think of the last twelve months.")

    closeness = b.add("Scale", "How closely do you work with colleges?")
    page.locator(f"#i{closeness}-required").check()
    page.locator(f"#i{closeness}-min_label").fill("Not at all")
    page.locator(f"#i{closeness}-max_label").fill("Fully")
    why_not = b.add("Long text", "Why not with a college?")
    b.rule_on_answer(why_not, 2, "is not", "Yes")
    anything = b.add("Long text", "Anything else?")
    navigator = b.add("Contact person", "Your regional navigator counterpart")
    item = page.locator(f"#i{navigator}")
    item.get_by_label("Only some types of organization").check()
    item.get_by_label("Local workforce board").check()
    partner = b.add("Short text", "Your college partner's name")

    # "Anything else?" goes last; the partner's name moves up, next to the other college questions.
    page.get_by_role("button", name="Move down question 8").click()
    # The new page is swapped in (the clicked button is focused before that too, so wait for the order itself).
    expect(b.items().nth(9)).to_have_attribute("data-uid", anything)
    expect(page.locator(f"#i{anything}-down")).to_be_focused()  # the focus stays on the moved question's button
    # Wait for the moved question's buttons to carry its new number before pressing one by that number (under load
    # the page may still be relabelling, and "question 9" would then be the other one).
    expect(page.locator(f"#i{anything}-down")).to_have_accessible_name("Move down question 9")
    page.get_by_role("button", name="Move down question 9").click()
    expect(page.locator(f"#i{anything}-down")).to_be_disabled()
    expect(page.locator(f"#i{anything}-up")).to_be_focused()
    page.locator(f"#i{partner}-up").click()
    expect(b.items().nth(8)).to_have_attribute("data-uid", partner)
    expect(b.items().nth(10)).to_have_attribute("data-uid", anything)
    # A duplicate removed again, to leave ten questions.
    page.locator(f"#i{apprentices}-duplicate").click()
    expect(b.items()).to_have_count(12)
    copy = b.uid(5)
    expect(page.locator(f"#i{copy}-key")).to_have_value("many_apprentices_year_2")
    page.locator(f"#i{copy}-delete").click()
    expect(b.items()).to_have_count(11)

    # The preview shows the form as respondents see it, for the organization type chosen.
    preview = page.locator("#preview")
    expect(preview.get_by_role("heading", name="Apprenticeship partnerships")).to_be_visible()
    expect(preview.get_by_text("Section 2 of 2")).to_be_visible()
    expect(preview.locator('.question[data-key="employer_trains_welders"]')).to_be_hidden()
    preview.get_by_label("CNC machining").check()
    preview.get_by_label("Welding").check()
    expect(preview.locator('.question[data-key="employer_trains_welders"]')).to_be_visible()
    preview.get_by_label("None of these").check()  # exclusive: the others are unticked
    expect(preview.get_by_label("Welding")).not_to_be_checked()
    expect(preview.locator('.question[data-key="employer_trains_welders"]')).to_be_hidden()
    expect(preview.locator('input[name="regional_navigator_counterpart.email"]')).to_be_visible()
    page.get_by_label("Show the form as a respondent from a").select_option(label="college")
    expect(preview.locator('input[name="regional_navigator_counterpart.email"]')).to_have_count(0)

    page.get_by_role("button", name="Save as version 1").click()
    expect(page).to_have_url(re.compile(rf"/staff/templates/{SLUG}/v1$"))
    expect(page.get_by_text("Saved “Apprenticeship partnerships” as version 1.")).to_be_visible()
    expect(page.get_by_role("heading", name="Your college partners")).to_be_visible()

    db.session.rollback()
    template = db.session.scalar(select(Template).where(Template.slug == SLUG))
    questions = {q["key"]: q for q in template.questions}
    assert [q["type"] for q in template.questions] == [
        "single_choice", "yes_no", "multi_choice", "text", "number", "section", "scale", "long_text", "text",
        "contact", "long_text"]
    assert questions["employer_trains_welders"]["show_if"] == {"question": "trades_train", "includes": "welding"}
    assert questions["not_college"]["show_if"] == {"question": "run_apprenticeships_college", "not_equals": "yes"}
    assert questions["regional_navigator_counterpart"]["show_if"] == {"org_type": ["lwib"]}
    assert questions["trades_train"]["options"][2] == {"value": "none_of_these", "label": "None of these", "exclusive": True}
    assert questions["role"]["required"] and questions["closely_work_colleges"]["required"]

    # A round of it, made in the wizard for next week, launched (so scheduled), then opened now.
    builders.stakeholders(regions=("los-angeles",), boards=2, colleges=0)
    page.goto("/staff/rounds/new")
    page.get_by_label("Template and version").select_option(label="Apprenticeship partnerships (apprenticeship-partnerships, version 1)")
    page.get_by_label("Title", exact=True).fill("Apprenticeship partnerships, fall 2026")
    page.locator("#regions").get_by_label("Los Angeles").check()
    page.get_by_label("At a set time").check()
    page.get_by_label("Opens", exact=True).fill("2026-10-13T09:00")
    page.get_by_label("Closes", exact=True).fill("2026-11-06T17:00")
    page.get_by_role("button", name="Preview", exact=True).click()
    expect(page.locator("#audience-preview")).to_contain_text("2 people would be invited")
    expect(page.get_by_role("heading", name="The form, as a local workforce board sees it")).to_be_visible()
    expect(page.locator("#previews legend").filter(has_text="Which trades do you train for?")).to_be_visible()
    page.get_by_role("button", name="Create the draft").click()
    expect(page).to_have_url(re.compile(r"/staff/rounds/\d+$"))
    round_id = int(page.url.rsplit("/", 1)[1])
    page.get_by_role("button", name=f"Launch round {round_id}").click()
    expect(page.locator(".next-steps")).to_contain_text(
        "Invitations go out when the round opens, Tuesday, October 13, 2026 at 9:00 AM PDT.")
    page.get_by_role("button", name=f"Open round {round_id} now").click()
    expect(page.locator(".flash")).to_contain_text("The round is open: its invitations go out within a minute.")
    expect(page.locator("h1 .badge").first).to_have_text("open")
    db.session.rollback()
    assert db.session.get(Round, round_id).state == "open"
    assert len(db.session.scalars(select(OutboxMessage).where(OutboxMessage.round_id == round_id)).all()) == 2
    for width, email in ((1280, "lwib1.los-angeles@example.org"), (390, "lwib2.los-angeles@example.org")):
        answer_round(new_page({"width": width, "height": 860}), link_for(email))
    watch.assert_clean()


def link_for(email: str) -> str:
    token = new_token()
    invitation = db.session.scalar(select(Invitation).join(Contact, Contact.id == Invitation.contact_id)
                                   .where(Contact.email == email))
    db.session.add(AccessToken(invitation_id=invitation.id, token_hash=hash_token(token), purpose="invitation",
                               created_at=NOW, revoked_at=None))
    db.session.commit()
    return f"/r/{token}"


def answer_round(page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_text("Section 1 of 2")).to_be_visible()
    page.get_by_label("Staff member").check()
    page.locator(".question[data-key='run_apprenticeships_college']").get_by_label("No").check()
    trades = page.locator(".question[data-key='trades_train']")
    welders = page.locator(".question[data-key='employer_trains_welders']")
    expect(welders).to_be_hidden()
    trades.get_by_label("Welding").check()
    expect(welders).to_be_visible()
    expect(page.locator(".question[data-key='many_apprentices_year'] .qnum")).to_have_text("5.")
    trades.get_by_label("Welding").uncheck()
    expect(welders).to_be_hidden()
    # Numbers close up over the hidden question: the apprentices question is 4th now.
    expect(page.locator(".question[data-key='many_apprentices_year'] .qnum")).to_have_text("4.")

    # The exclusive option ticked with another, as a browser without the script would send it: refused, in words.
    page.evaluate("""() => { for (const v of ['welding', 'none_of_these']) {
        document.querySelector(`input[name=trades_train][value=${v}]`).checked = true; } }""")
    page.get_by_role("button", name="Next").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Question 3, “Which trades do you train for?”: “None of these” cannot be chosen "
                                    "with other options")
    expect(summary).to_contain_text("Nothing was saved.")
    expect(trades.get_by_label("None of these")).to_be_checked()  # shown again as sent, to correct
    trades.get_by_label("CNC machining").check()  # the script unticks "None of these"
    expect(trades.get_by_label("None of these")).not_to_be_checked()
    trades.get_by_label("CNC machining").uncheck()
    page.locator(".question[data-key='employer_trains_welders'] input").fill("Acme Metalworks")
    page.get_by_role("button", name="Next").click()

    # Section 2: the question on "is not Yes" was settled by the saved answer; numbers run on from page 1.
    expect(page.get_by_text("Section 2 of 2")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Your college partners"))).to_be_visible()
    expect(page.locator(".question[data-key='not_college']")).to_be_visible()
    expect(page.locator(".question[data-key='closely_work_colleges'] .qnum")).to_have_text("6.")
    page.locator(".question[data-key='not_college'] textarea").fill("No college nearby")
    page.get_by_role("button", name="Submit").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Question 6, “How closely do you work with colleges?”: This question needs an answer.")
    expect(summary).to_contain_text("Your draft is still saved")
    summary.get_by_role("link").first.click()
    expect(page.locator("#q-closely_work_colleges-0")).to_be_focused()  # the link lands on the first input
    page.locator(".question[data-key='closely_work_colleges']").get_by_label("4", exact=True).check()
    navigator = page.locator(".question[data-key='regional_navigator_counterpart']")
    navigator.get_by_label("Name").fill("Nia Navigator")
    navigator.get_by_label("Email address").fill("nia@example.org")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Thank you: your answers are submitted")).to_be_visible()

    db.session.rollback()
    invitation_url_token = url.rsplit("/", 1)[1]
    response = db.session.scalar(select(Response).join(Invitation).join(AccessToken, AccessToken.invitation_id == Invitation.id)
                                 .where(AccessToken.token_hash == hash_token(invitation_url_token)))
    assert response.status == "submitted"
    assert response.answers == {
        "role": "staff_member", "run_apprenticeships_college": "no", "trades_train": ["welding"],
        "employer_trains_welders": "Acme Metalworks", "not_college": "No college nearby", "closely_work_colleges": 4,
        "regional_navigator_counterpart": {"name": "Nia Navigator", "email": "nia@example.org", "organization": ""},
    }


def test_the_builder_works_with_javascript_off(app, live_server, new_page, make_user):
    staff = make_user(role="staff")
    page = new_page(javascript=False)
    sign_in(page, staff.email)
    page.goto("/staff/templates/new")
    b = Builder(page)
    page.get_by_label("Title").fill("No script survey")
    first = b.add("Yes/no", "Do you train welders?")
    second = b.add("Short text", "Which college helps?")
    # Without the script, choosing the question asks the server for its answers with a button.
    item = page.locator(f"#i{second}")
    item.get_by_label("Only people whose answer to an earlier question…").check()
    choose_question(item.get_by_label("Earlier question", exact=True), 1)
    item.get_by_role("button", name="Show its answers").click()
    page.locator(f"#i{second}-rule_value").select_option(label="Yes")
    third = b.add("Number", "How many welders?")
    page.locator(f"#i{third}-up").click()
    expect(page.locator(f"#i{third}-up")).to_be_focused()
    expect(b.items().nth(1)).to_have_attribute("data-uid", third)
    page.locator(f"#i{first}-delete").click()
    expect(b.items()).to_have_count(2)
    # The rule lost its question: saving says so beside it, and nothing is stored.
    page.get_by_role("button", name="Save as version 1").click()
    expect(page.locator("#builder-errors")).to_contain_text("Question 2, “Which college helps?”: Choose the question "
                                                            "it depends on.")
    page.locator(f"#i{second}").get_by_label("Everyone").check()
    page.get_by_role("button", name="Save as version 1").click()
    expect(page).to_have_url(re.compile(r"/staff/templates/no-script-survey/v1$"))
    expect(page.locator(".preview").get_by_text("How many welders?")).to_be_visible()
    db.session.rollback()
    template = db.session.scalar(select(Template).where(Template.slug == "no-script-survey"))
    assert [(q["key"], q["type"]) for q in template.questions] == [("many_welders", "number"),
                                                                   ("college_helps", "text")]


def test_leaving_the_builder_with_unsaved_changes_asks_first(app, live_server, new_page, make_user, watch):
    staff = make_user(role="staff")
    page = new_page()
    sign_in(page, staff.email)
    page.goto("/staff/templates/new")
    page.wait_for_load_state()
    page.get_by_label("Title").fill("Half built")
    with page.expect_event("dialog") as asked:
        page.get_by_role("navigation", name="Staff").get_by_role("link", name="Templates").click()
    assert asked.value.type == "beforeunload"
    # Dismissed (by the test's browser), the question keeps the page and what was typed.
    expect(page.get_by_label("Title")).to_have_value("Half built")
    watch.dialogs.clear()


def test_a_pasted_control_character_keeps_what_was_typed_with_javascript_on_and_off(app, live_server, new_page,
                                                                                    make_user, axe_check, tmp_path):
    staff = make_user(role="staff")
    for javascript in (False, True):
        page = new_page(javascript=javascript)
        sign_in(page, staff.email)
        page.goto("/staff/templates/new")
        b = Builder(page)
        page.get_by_label("Title").fill("Pasted survey")
        uid = b.add("Short text", "Which college\u000b helps?")
        page.locator(f"#i{uid}-help").fill("Name one.")
        page.get_by_role("button", name="Save as version 1").click()
        expect(page.locator("#builder-errors")).to_contain_text(
            "Question 1, “Which college helps?”: Text must not contain the control character U+000B")
        expect(page.locator(f"#i{uid}-label-error")).to_contain_text("which cannot be seen: it is taken out here")
        expect(page.locator(f"#i{uid}-label")).to_have_value("Which college helps?")
        expect(page.locator(f"#i{uid}-help")).to_have_value("Name one.")
        expect(page.get_by_label("Title")).to_have_value("Pasted survey")
        page.screenshot(path=str(tmp_path / f"builder-control-{'js' if javascript else 'nojs'}.png"), full_page=True)
        if javascript:  # axe runs as a script
            axe_check(page, what="the builder with a control character refused")
        db.session.rollback()
        assert db.session.scalar(select(Template).where(Template.slug == "pasted-survey")) is None
