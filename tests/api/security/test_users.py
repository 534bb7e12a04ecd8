"""``send-routes users disable|enable|rotate`` against a running service's database, and browser
sessions that end on the server."""

from __future__ import annotations

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from send_routes.users import app as users_app

runner = CliRunner()


def _run(api, *args: str):
    result = runner.invoke(users_app, [*args, "--database-url", api.settings.database_url])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_disable_enable_and_rotate(fresh_api):
    api = fresh_api
    browser = TestClient(api.client.app)
    assert browser.post("/login", data={"token": api.tokens["finance"]}).status_code == 200
    assert browser.get("/me").status_code == 200

    _run(api, "disable", "test finance")
    assert api.get("/me", "finance").status_code == 401
    assert browser.get("/me").status_code == 401  # its browser session ended too
    _run(api, "enable", "test finance")
    assert api.get("/me", "finance").status_code == 200

    old = api.tokens["finance"]
    new = _run(api, "rotate", "test finance")
    assert new.startswith("sr_") and new != old
    assert api.get("/me", "finance").status_code == 401
    api.tokens["finance"] = new
    assert api.get("/me", "finance").json()["role"] == "finance"
    actions = [e["action"] for e in api.get("/audit").json()]
    assert {"user.disable", "user.enable", "user.rotate"} <= set(actions)


def test_an_unknown_user_is_an_error(fresh_api):
    result = runner.invoke(
        users_app, ["disable", "nobody", "--database-url", fresh_api.settings.database_url]
    )
    assert result.exit_code == 2 and "no user" in result.output


def test_a_browser_session_ends_on_the_server_when_it_expires(api):
    from datetime import timedelta

    from sqlalchemy import update

    from api.auth import hash_token
    from api.db import WebSession, transaction, utcnow

    browser = TestClient(api.client.app)
    assert browser.post("/login", data={"token": api.tokens["officer"]}).status_code == 200
    secret = browser.cookies.get("send_routes_token")
    assert browser.get("/me").status_code == 200
    with transaction(api.client.app.state.service.sessions) as db:  # ten hours later
        db.execute(
            update(WebSession)
            .where(WebSession.secret_sha256 == hash_token(secret))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert browser.get("/me").status_code == 401  # whatever the browser keeps
    assert api.get("/me").status_code == 200  # the token itself still works
