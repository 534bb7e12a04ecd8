"""The JSON API on the session cookie: a request that changes anything must come from this site
with the session's CSRF token; bearer-token requests are unaffected."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient

from api.csrf import csrf_token
from tests.api.helpers import DATASET_FILES, QUICK_PLAN, upload

EVIL = {"Origin": "https://evil.example"}


def _signed_in(api) -> TestClient:
    client = TestClient(api.client.app)
    assert client.post("/login", data={"token": api.tokens["officer"]}).status_code == 200
    return client


def _files():
    return [("files", (n, io.BytesIO(b), "text/csv")) for n, b in DATASET_FILES.items()]


def test_cookie_delete_upload_and_plan_start_need_origin_and_token(api):
    client = _signed_in(api)
    secret = client.cookies.get("send_routes_token")
    dataset_id = upload(api, name="csrf").json()["id"]
    count = len(api.get("/datasets").json())

    assert client.delete(f"/datasets/{dataset_id}", headers=EVIL).status_code == 403
    assert client.delete(f"/datasets/{dataset_id}").status_code == 403  # no token
    assert client.post("/datasets", files=_files(), headers=EVIL).status_code == 403
    assert client.post("/datasets", files=_files()).status_code == 403
    assert client.post(f"/datasets/{dataset_id}/plans", json=QUICK_PLAN).status_code == 403
    assert len(api.get("/datasets").json()) == count

    good = {"X-CSRF-Token": csrf_token(secret), "Origin": "http://testserver"}
    assert client.delete(f"/datasets/{dataset_id}", headers=good).status_code == 204
    assert client.delete(f"/datasets/{dataset_id}", headers={**good, **EVIL}).status_code == 403
    assert client.get("/datasets").status_code == 200  # reads need neither


def test_bearer_requests_are_unaffected_by_origin(api):
    dataset_id = upload(api, name="bearer").json()["id"]
    response = api.client.delete(
        f"/datasets/{dataset_id}", headers={**api.headers("officer"), **EVIL}
    )
    assert response.status_code == 204
