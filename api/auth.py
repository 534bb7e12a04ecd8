"""Users, roles and tokens. Tokens are random, shown once, and stored only as SHA-256 digests."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.db import User, WebSession, utcnow

SESSION_S = 10 * 3600  # a signed-in browser's session: a working day


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


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def start_session(db: Session, user_id: int, seconds: float = SESSION_S) -> str:
    """A new browser session of a user; returns the secret for its cookie (stored as a digest)."""
    secret = "ss_" + secrets.token_urlsafe(32)
    now = utcnow()
    db.execute(delete(WebSession).where(WebSession.expires_at < now))  # nothing kept past use
    db.add(
        WebSession(
            secret_sha256=hash_token(secret),
            user_id=user_id,
            created_at=now,
            expires_at=now + timedelta(seconds=seconds),
        )
    )
    return secret


def principal_for_session(db: Session, secret: str) -> Principal | None:
    """The active user of an unexpired session, or ``None``."""
    found = db.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.secret_sha256 == hash_token(secret))
    ).first()
    if found is None:
        return None
    session, user = found
    if not user.active or _aware(session.expires_at) <= utcnow():
        return None
    return Principal(user.id, user.name, Role(user.role), user.operator)


def end_session(db: Session, secret: str) -> None:
    """Sign a browser out: its session is deleted, so the cookie is dead wherever it is copied."""
    db.execute(delete(WebSession).where(WebSession.secret_sha256 == hash_token(secret)))


def find_user(db: Session, who: str) -> User | None:
    """A user by id (digits) or by exact name."""
    if who.isdigit():
        return db.get(User, int(who))
    return db.scalar(select(User).where(User.name == who).order_by(User.id).limit(1))


def set_active(db: Session, user: User, active: bool) -> None:
    """Disable or enable a user; disabling also ends every browser session of theirs."""
    user.active = active
    if not active:
        db.execute(delete(WebSession).where(WebSession.user_id == user.id))


def rotate_token(db: Session, user: User) -> str:
    """Give a user a new token (the old one stops working) and end their browser sessions."""
    token = new_token()
    user.token_sha256 = hash_token(token)
    db.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return token
