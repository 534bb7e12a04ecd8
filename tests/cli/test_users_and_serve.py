"""``send-routes users add`` and ``send-routes serve``."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time

import httpx
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from send_routes.users import app as users_app

runner = CliRunner()


def test_users_add_prints_a_token_once_and_stores_only_its_digest(tmp_path):
    url = f"sqlite:///{tmp_path / 'users.sqlite3'}"
    result = runner.invoke(
        users_app,
        ["add", "--role", "operator", "--operator", "Island Taxis", "--database-url", url],
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("sr_") and len(token) > 30
    with create_engine(url).connect() as conn:
        row = conn.execute(text("select name, role, operator, token_sha256 from users")).one()
    assert row == (
        "Island Taxis",
        "operator",
        "Island Taxis",
        hashlib.sha256(token.encode()).hexdigest(),
    )
    listed = runner.invoke(users_app, ["list", "--database-url", url]).output
    assert "Island Taxis" in listed and token not in listed


def test_an_operator_user_needs_its_operator(tmp_path):
    url = f"sqlite:///{tmp_path / 'users.sqlite3'}"
    result = runner.invoke(users_app, ["add", "--role", "operator", "--database-url", url])
    assert result.exit_code == 2 and "--operator" in result.output
    result = runner.invoke(
        users_app, ["add", "--role", "finance", "--operator", "X", "--database-url", url]
    )
    assert result.exit_code == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_on_loopback(tmp_path):
    env = {**os.environ, "SEND_ROUTES_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    url = f"sqlite:///{tmp_path / 'service.sqlite3'}"
    token = runner.invoke(users_app, ["add", "Officer", "--database-url", url]).output.strip()
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "send_routes.serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/me",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=2,
                )
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.3)
        assert response.status_code == 200 and response.json()["role"] == "officer"
        assert httpx.get(f"http://127.0.0.1:{port}/me", timeout=2).status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=30)
