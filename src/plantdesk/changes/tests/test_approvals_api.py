"""Approvals by policy, rules and levels; decisions on GxP changes are e-signatures with lockout."""

from __future__ import annotations

import pytest

from plantdesk.changes.config_actions import LevelSpec, do_create_approval_policy
from plantdesk.changes.models import ApprovalPolicy, ChangeRequest
from plantdesk.changes.tests.conftest import ChangePlant
from plantdesk.changes.tests.helpers import approve_all, create, move
from plantdesk.core.models import Signature
from plantdesk.testing.fixtures import PASSWORD

pytestmark = pytest.mark.django_db


def _authorize(cp: ChangePlant, **fields: object) -> str:
    number = create(cp, **fields)
    assert move(cp, number, "assess").status_code == 200
    assert move(cp, number, "authorize").status_code == 200
    return number


def _pending(cp: ChangePlant, number: str) -> list[dict[str, object]]:
    items = cp.api(cp.carl).get(f"/changes/{number}/approvals").json()["items"]
    return [a for a in items if a["state"] == "requested"]


def test_gxp_policy_requests_the_cab_first_then_every_qa_member(cp: ChangePlant) -> None:
    number = _authorize(cp)
    items = cp.api(cp.carl).get(f"/changes/{number}/approvals").json()["items"]
    assert {(a["level"], a["approver"], a["state"]) for a in items} == {
        (1, "carl", "requested"), (1, "cora", "requested"), (2, "quinn", "not_requested"),
    }  # fmt: skip
    assert all(a["signature_required"] for a in items)  # GxP: every decision is signed
    carl_approval = next(a for a in items if a["approver"] == "carl")
    ok = cp.api(cp.carl).post(
        f"/approvals/{carl_approval['id']}/decision", {"decision": "approve", "password": PASSWORD}
    )
    assert ok.status_code == 200
    assert ok.json()["signature"]["printed_name"] == "Carl Manager"
    assert ok.json()["signature"]["meaning"] == "approved"
    after = {a["approver"]: a["state"] for a in cp.api(cp.carl).get(f"/changes/{number}/approvals").json()["items"]}
    assert after == {"carl": "approved", "cora": "not_required", "quinn": "requested"}  # rule "any", then level 2
    assert move(cp, number, "scheduled").json()["errors"][0]["field"] == "approvals"
    approve_all(cp, number)
    assert ChangeRequest.objects.get(number=number).approval == "approved"
    assert move(cp, number, "scheduled").status_code == 200


def test_the_requester_never_approves_their_own_change(cp: ChangePlant) -> None:
    response = cp.api(cp.carl).post("/changes", {**_body(cp), "cis": ["BER-FILE01"]})
    number = response.json()["number"]
    cp.api(cp.carl).post(f"/changes/{number}/transitions", {"to": "assess"})
    cp.api(cp.carl).post(f"/changes/{number}/transitions", {"to": "authorize"})
    approvers = {a["approver"] for a in cp.api(cp.carl).get(f"/changes/{number}/approvals").json()["items"]}
    assert approvers == {"cora"}


def _body(cp: ChangePlant) -> dict[str, object]:
    from plantdesk.changes.tests.conftest import change_body

    return change_body()


def test_a_wrong_or_missing_password_is_refused_counted_and_locks_the_account(cp: ChangePlant, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LOGIN_FAILURE_LIMIT = 3
    number = _authorize(cp)
    mine = next(a for a in _pending(cp, number) if a["approver"] == "cora")
    api = cp.api(cp.cora)
    url = f"/approvals/{mine['id']}/decision"
    missing = api.post(url, {"decision": "approve"})
    assert missing.status_code == 403
    assert missing.json()["errors"][0]["field"] == "password"
    assert api.post(url, {"decision": "approve", "password": "guess"}).status_code == 403
    third = api.post(url, {"decision": "approve", "password": "guess2"})
    assert "locked" in third.json()["detail"]
    locked = api.post(url, {"decision": "approve", "password": PASSWORD})
    # Even the right password: while locked, the account's token itself is refused (21 CFR 11.300).
    assert locked.status_code == 401 and "locked" in locked.json()["detail"]
    assert not Signature.objects.exists()
    assert _pending(cp, number)[0]["state"] == "requested"
    assert not cp.plant.agent.__class__.objects.get(username="cora").check_password("guess")
    from django.test import Client

    assert not Client().login(username="cora", password=PASSWORD)  # the lockout holds for sign-in too


def test_someone_elses_approval_cannot_be_decided(cp: ChangePlant) -> None:
    number = _authorize(cp)
    carls = next(a for a in _pending(cp, number) if a["approver"] == "carl")
    response = cp.api(cp.cora).post(f"/approvals/{carls['id']}/decision", {"decision": "approve", "password": PASSWORD})
    assert response.status_code in (403, 404)


def test_a_rejection_sends_the_change_back_to_assessment_with_the_reason(cp: ChangePlant) -> None:
    number = _authorize(cp)
    mine = next(a for a in _pending(cp, number) if a["approver"] == "cora")
    url = f"/approvals/{mine['id']}/decision"
    no_reason = cp.api(cp.cora).post(url, {"decision": "reject", "password": PASSWORD})
    assert no_reason.json()["errors"][0]["field"] == "comment"
    response = cp.api(cp.cora).post(
        url, {"decision": "reject", "comment": "Clashes with batch 4711.", "password": PASSWORD}
    )
    assert response.status_code == 200
    change = cp.api(cp.carl).get(f"/changes/{number}").json()
    assert (change["state"], change["approval"]) == ("assess", "rejected")
    history = cp.api(cp.carl).get(f"/changes/{number}/history").json()["items"]
    assert any("Clashes with batch 4711." in h["reason"] for h in history if h["field"] == "state")
    assert _pending(cp, number) == []


@pytest.mark.parametrize(
    ("rule", "percentage", "decisions", "outcome"),
    [
        ("all", 50, ["approve", "approve"], "approved"),
        ("all", 50, ["approve", "reject"], "rejected"),
        ("percentage", 50, ["approve"], "approved"),
        ("percentage", 100, ["approve", "reject"], "rejected"),
    ],
)
def test_rules_all_and_percentage(
    cp: ChangePlant, rule: str, percentage: int, decisions: list[str], outcome: str
) -> None:
    ApprovalPolicy.objects.update(active=False)
    do_create_approval_policy(
        "Only rule under test", [LevelSpec("Change Advisory Board", rule=rule, percentage=percentage)], actor=cp.carl
    )
    number = _authorize(cp, cis=["BER-FILE01"], validation_impact="", qms_change_control_ref="")
    for user, decision in zip((cp.carl, cp.cora), decisions, strict=False):
        mine = next(a for a in _pending(cp, number) if a["approver"] == user.username)
        body = {"decision": decision, "comment": "no" if decision == "reject" else ""}
        assert cp.api(user).post(f"/approvals/{mine['id']}/decision", body).status_code == 200
    assert ChangeRequest.objects.get(number=number).approval == outcome


def test_without_a_matching_policy_authorisation_is_refused(cp: ChangePlant) -> None:
    ApprovalPolicy.objects.update(active=False)
    number = create(cp)
    move(cp, number, "assess")
    response = move(cp, number, "authorize")
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "approvals"
    assert ChangeRequest.objects.get(number=number).state == "assess"


def test_my_approvals_lists_what_awaits_me(cp: ChangePlant) -> None:
    number = _authorize(cp)
    mine = cp.api(cp.cora).get("/approvals").json()
    assert [a["change"] for a in mine["items"]] == [number]
    assert cp.api(cp.plant.qa).get("/approvals").json()["count"] == 0  # level 2 is not requested yet
    approve_all(cp, number)
    assert cp.api(cp.cora).get("/approvals").json()["count"] == 0
