"""The designation rule as a pure function: nominees, majorities, conflicts, overrides, and its speed."""

from wfsurvey.domain.designation import BoardAnswer, Override, contact_question_key, decide_all

REGION = "inland-empire-desert"
ANA = {"name": "Ana Ruiz", "email": "ana@example.org", "organization": "IE College"}
BEN = {"name": "Ben Cho", "email": "ben@example.org", "organization": "Desert College"}


def board(n, contact=None, *, org_type="lwib", regions=(REGION,), key="navigator", org_id=None):
    answers = {"targets_am": "yes"}
    if contact is not None:
        answers[key] = contact
    return BoardAnswer(organization_id=org_id or n, organization=f"Board {n}", org_type=org_type,
                       regions=regions, answers=answers)


def decide(answers, regions=(REGION,), final=False, **kw):
    return decide_all(regions, answers, "navigator", final=final, **kw)


def test_one_nominee_is_designated():
    [result] = decide([board(1, ANA)]).values()
    assert result.status == "designated" and result.final is False
    assert result.nominee == ANA
    assert result.nominations == [{**ANA, "count": 1, "boards": ["Board 1"]}]
    assert result.explanation == "The only nominating board named ana@example.org (sole nominee)"


def test_two_boards_agreeing():
    result = decide([board(1, ANA), board(2, ANA)])[REGION]
    assert result.status == "designated" and result.nominee == ANA
    assert result.nominations[0]["count"] == 2 and result.nominations[0]["boards"] == ["Board 1", "Board 2"]
    assert result.explanation == "All 2 nominating boards named ana@example.org (sole nominee)"


def test_two_to_one_is_a_strict_majority():
    result = decide([board(1, BEN), board(2, ANA), board(3, ANA)])[REGION]
    assert result.status == "designated" and result.nominee == ANA
    assert [(n["email"], n["count"]) for n in result.nominations] == [("ana@example.org", 2), ("ben@example.org", 1)]
    assert result.explanation == "2 of 3 nominating boards named ana@example.org (strict majority)"


def test_one_to_one_is_a_conflict():
    result = decide([board(1, BEN), board(2, ANA)])[REGION]
    assert result.status == "conflict" and result.nominee is None
    # Equal counts: sorted by email.
    assert [n["email"] for n in result.nominations] == ["ana@example.org", "ben@example.org"]
    assert result.explanation == "1 board each named ana@example.org and ben@example.org: no strict majority"


def test_a_plurality_is_not_a_majority():
    carl = {"name": "Carl", "email": "carl@example.org", "organization": ""}
    result = decide([board(1, ANA), board(2, ANA), board(3, BEN), board(4, carl)])[REGION]
    assert result.status == "conflict" and result.nominee is None
    assert result.explanation == (
        "No nominee has a strict majority of the 4 nominating boards: ana@example.org (2), ben@example.org (1), carl@example.org (1)"
    )


def test_no_nominee_is_unfilled():
    assert decide([])[REGION].explanation == "No local board of this region has answered yet"
    result = decide([board(1), board(2)])[REGION]
    assert result.status == "unfilled" and result.nominee is None and result.nominations == []
    assert result.explanation == "2 local boards answered but none named a navigator counterpart"
    assert decide([], final=True)[REGION].explanation == "No local board of this region answered"


def test_emails_compare_case_insensitively_and_the_common_spelling_wins():
    shouting = {"name": "ANA RUIZ", "email": " Ana@Example.ORG ", "organization": "IE College"}
    result = decide([board(1, ANA), board(2, shouting), board(3, ANA)])[REGION]
    assert result.status == "designated"
    assert result.nominee == ANA
    assert result.nominations[0]["count"] == 3


def test_colleges_answers_are_ignored():
    result = decide([board(1, ANA), board(2, BEN, org_type="college"), board(3, BEN, org_type="college")])[REGION]
    assert result.status == "designated" and result.nominee == ANA
    assert [n["email"] for n in result.nominations] == ["ana@example.org"]


def test_a_board_counts_once_and_its_latest_nomination_speaks_for_it():
    # Two people of board 7 answered (the "contact" response rule): the later answer counts.
    result = decide([board(1, ANA), board(2, BEN, org_id=7), board(3, ANA, org_id=7)])[REGION]
    assert result.status == "designated"
    assert result.nominations == [{**ANA, "count": 2, "boards": ["Board 1", "Board 3"]}]


def test_each_region_counts_its_own_boards():
    other = "los-angeles"
    results = decide([board(1, ANA), board(2, BEN, regions=(other,)), board(3, BEN, regions=(REGION, other))],
                     regions=(REGION, other))
    assert results[REGION].status == "conflict"
    assert results[other].status == "designated" and results[other].nominee == BEN
    # A region outside the round is not reported.
    assert set(decide([board(1, ANA, regions=("elsewhere",))])) == {REGION}


def test_final_results_and_overrides():
    override = Override(nominee=BEN, reason="Boards agreed at the regional meeting")
    result = decide([board(1, BEN), board(2, ANA)], final=True, overrides={REGION: override})[REGION]
    assert result.status == "designated" and result.final is True and result.overridden is True
    assert result.nominee == BEN
    assert len(result.nominations) == 2  # the boards' nominations stay visible
    assert result.explanation == "An administrator designated ben@example.org: \u201cBoards agreed at the regional meeting\u201d"


def test_contact_question_choice():
    assert contact_question_key([{"key": "q1", "type": "text"}]) is None
    assert contact_question_key([{"key": "a", "type": "contact"}, {"key": "b", "type": "contact"}]) == "a"
    assert contact_question_key([{"key": "a", "type": "contact"}, {"key": "navigator", "type": "contact"}]) == "navigator"


def test_hundred_regions_of_a_thousand_boards():
    regions = [f"region-{r}" for r in range(100)]
    people = [{"name": f"P{i}", "email": f"p{i}@example.org", "organization": "College"} for i in range(3)]
    answers = [
        BoardAnswer(organization_id=r * 1000 + b, organization=f"Board {r}-{b}", org_type="lwib",
                    regions=(regions[r],), answers={"navigator": people[(b % 5) % 3]})
        for r in range(100) for b in range(1000)
    ]
    # Its speed is measured by bench/designations.py, not here (timed unit tests flake).
    results = decide_all(regions, answers, "navigator", final=False)
    assert len(results) == 100
    assert all(r.status == "conflict" for r in results.values())  # 400/400/200: no strict majority
