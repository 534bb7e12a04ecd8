"""Refusals under load, and the audit of every refusal, sign-in and source address."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from tests.api.helpers import upload


def _audit(api, **params) -> list[dict]:
    return api.get("/audit", params={"limit": 1000, **params}).json()


def test_thirty_concurrent_refusals_do_not_freeze_the_service(api, monkeypatch):
    from api import audit

    record = audit.record

    def slow_record(*args, **kwargs):  # a slow disk: every request is mid-refusal at once
        time.sleep(0.2)
        record(*args, **kwargs)

    monkeypatch.setattr(audit, "record", slow_record)
    dataset_id = upload(api, name="refused").json()["id"]
    before = _audit(api)[0]["id"]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=30) as pool:
        refused = list(
            pool.map(
                lambda _: api.get(f"/datasets/{dataset_id}/pupils", "finance").status_code,
                range(30),
            )
        )
        me = pool.submit(lambda: api.get("/me").status_code)
        assert me.result(timeout=20) == 200
    assert refused == [403] * 30
    assert time.monotonic() - started < 20
    entries = [e for e in _audit(api) if e["id"] > before and e["outcome"] == "denied"]
    assert len(entries) == 30
    assert all(e["target"] == f"/datasets/{dataset_id}/pupils" for e in entries)


def test_refusals_inside_handlers_are_audited(api, planned):
    before = _audit(api)[0]["id"]
    assert api.get(f"/plans/{planned.plan_id}/routes", "finance").status_code == 403
    response = api.get(f"/plans/{planned.plan_id}/sheets.csv?operator=Wight Cars", "operator_a")
    assert response.status_code == 403
    new = [e for e in _audit(api) if e["id"] > before]
    assert {(e["user_name"], e["outcome"]) for e in new} >= {
        ("test finance", "denied"),
        ("test operator_a", "denied"),
    }


def test_not_found_probing_and_bad_tokens_are_audited(api):
    before = _audit(api)[0]["id"]
    assert api.get("/datasets/999999/pupils").status_code == 404
    assert api.get("/plans/999999/json").status_code == 404
    forged = api.client.get("/datasets", headers={"Authorization": "Bearer sr_forged"})
    assert forged.status_code == 401
    new = [e for e in _audit(api) if e["id"] > before]
    found = {(e["target"], e["outcome"]) for e in new}
    assert ("/datasets/999999/pupils", "not found") in found
    assert ("/plans/999999/json", "not found") in found
    bad = next(e for e in new if e["outcome"] == "unauthenticated")
    assert bad["user_name"] == "(unknown)" and "sr_forged" not in str(bad)


def test_every_entry_has_its_source_address(api):
    api.get("/datasets/999998")
    assert all(e["source"] for e in _audit(api)[:5])
    assert _audit(api)[0]["source"] == "testclient"


def test_long_refused_paths_are_audited(api):
    path = "/datasets/1/files/" + "x" * 5_000
    assert api.get(path, "finance").status_code == 403
    assert api.get(path).status_code == 404
    assert _audit(api)[0]["target"] == path[:200]


def test_sign_ins_good_and_bad_are_audited_and_limited(api):
    from fastapi.testclient import TestClient

    client = TestClient(api.client.app, client=("198.51.100.7", 50000))
    before = _audit(api)[0]["id"]
    assert client.post("/login", data={"token": api.tokens["officer"]}).status_code == 200
    for _ in range(10):
        assert client.post("/login", data={"token": "sr_guess"}).status_code == 401
    limited = client.post("/login", data={"token": api.tokens["officer"]})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    new = [e for e in _audit(api) if e["id"] > before and e["action"] == "signin"]
    assert [e["outcome"] for e in reversed(new)] == ["ok"] + ["denied"] * 11
    assert all(e["source"] == "198.51.100.7" for e in new)


def test_unknown_bearer_tokens_are_limited_per_address_and_audited(api):
    from fastapi.testclient import TestClient

    guesser = TestClient(api.client.app, client=("203.0.113.9", 50000))
    other = TestClient(api.client.app, client=("203.0.113.10", 50000))
    forged = {"Authorization": "Bearer sr_guess"}
    officer = api.headers("officer")
    before = _audit(api)[0]["id"]
    for _ in range(10):
        assert guesser.get("/me", headers=forged).status_code == 401
    limited = guesser.get("/me", headers=forged)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert "too many unknown tokens" in limited.json()["detail"]
    # while limited, the address is refused before any token is looked up, a good one too
    assert guesser.get("/me", headers=officer).status_code == 429
    # other addresses, and sessions, are not affected
    assert other.get("/me", headers=officer).status_code == 200
    assert other.get("/me", headers=forged).status_code == 401
    new = [e for e in _audit(api) if e["id"] > before and e["source"] == "203.0.113.9"]
    outcomes = [e["outcome"] for e in reversed(new)]
    assert outcomes == ["unauthenticated"] * 10 + ["rate limited"] * 2
    assert all(e["target"] == "/me" and "sr_guess" not in str(e) for e in new)
