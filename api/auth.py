"""Users, roles and tokens. Tokens are random, shown once, and stored only as SHA-256 digests."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import User


class Role(StrEnum):
    """Who may see what.

    ``officer``: everything. ``finance``: costs, counts and aggregates, never a pupil's name,
    address or notes. ``operator``: only its own routes and sheets, with the fields the sheets hold.
    """

    OFFICER = "officer"
    FINANCE = "finance"
    OPERATOR = "operator"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    user_id: int
    name: str
    role: Role
    operator: str | None = None

    def can_see_operator(self, operator: str) -> bool:
        """Whether this caller may see the routes of ``operator``."""
        if self.role is Role.OPERATOR:
            return operator == self.operator
        return self.role is Role.OFFICER


def hash_token(token: str) -> str:
    """The stored form of a token: its SHA-256 hex digest."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return "sr_" + secrets.token_urlsafe(32)


def create_user(db: Session, name: str, role: Role, operator: str | None = None) -> str:
    """Add a user and return their token (the only time it is ever available).

    Raises
    ------
    ValueError
        If an operator user has no operator name, or another role has one.
    """
    role = Role(role)
    if role is Role.OPERATOR and not operator:
        raise ValueError("an operator user needs --operator (the operator's name in the fleet)")
    if role is not Role.OPERATOR and operator:
        raise ValueError("only operator users belong to an operator")
    token = new_token()
    db.add(User(name=name, role=str(role), operator=operator, token_sha256=hash_token(token)))
    return token


def principal_for_token(db: Session, token: str) -> Principal | None:
    """The active user holding ``token``, or ``None``."""
    user = db.scalar(select(User).where(User.token_sha256 == hash_token(token)))
    if user is None or not user.active:
        return None
    return Principal(user.id, user.name, Role(user.role), user.operator)
