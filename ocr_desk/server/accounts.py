"""Companies, users and API tokens.

Passwords are hashed with scrypt (a memory-hard KDF, in the standard library);
tokens are random and only their SHA-256 is stored, so the database never holds
anything a thief could sign in with.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

from ocr_desk.core import Clock, format_ts

from .database import Database, Tx
from .errors import AccountError, Unauthorized
from .records import Company, Principal

__all__ = ["AccountRepository", "hash_password", "hash_token", "verify_password"]

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_DUMMY_HASH: str | None = None


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` of ``password`` with a fresh salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if kind != "scrypt":
        return False
    got = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(got.hex(), digest)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _company(row: dict[str, object]) -> Company:
    return Company(id=str(row["id"]), name=str(row["name"]), plan=str(row["plan"]))


class AccountRepository:
    """Accounts in the server database; the admin CLI and the API both use it."""

    def __init__(self, db: Database, *, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def add_company(self, name: str, *, plan: str) -> Company:
        name = name.strip()
        if not name:
            raise AccountError("a company needs a name")
        with self.db.transaction() as tx:
            if tx.one("SELECT id FROM companies WHERE name = ?", (name,)):
                raise AccountError(f"a company named {name!r} already exists")
            cid = "co_" + uuid.uuid4().hex[:16]
            tx.execute(
                "INSERT INTO companies (id, name, plan, change_seq, created_at) "
                "VALUES (?, ?, ?, 0, ?)",
                (cid, name, plan, format_ts(self.clock.now())),
            )
        return Company(id=cid, name=name, plan=plan)

    def set_plan(self, name: str, *, plan: str) -> Company:
        with self.db.transaction() as tx:
            row = tx.one("SELECT * FROM companies WHERE name = ?", (name,))
            if row is None:
                raise AccountError(f"no company named {name!r}; add it with `company add`")
            tx.execute("UPDATE companies SET plan = ? WHERE id = ?", (plan, row["id"]))
        return Company(id=row["id"], name=name, plan=plan)

    def company_by_name(self, name: str) -> Company:
        row = self.db.read().one("SELECT * FROM companies WHERE name = ?", (name,))
        if row is None:
            raise AccountError(f"no company named {name!r}; add it with `company add`")
        return _company(row)

    def companies(self) -> list[Company]:
        rows = self.db.read().execute("SELECT * FROM companies ORDER BY name")
        return [_company(r) for r in rows]

    def add_user(self, email: str, *, company: str, password: str | None = None) -> tuple[str, str]:
        """Create a user of ``company``; returns ``(user id, API token)``, the token shown once."""
        email = email.strip().lower()
        if "@" not in email:
            raise AccountError(f"{email!r} is not an email address")
        owner = self.company_by_name(company)
        now = format_ts(self.clock.now())
        with self.db.transaction() as tx:
            if tx.one("SELECT id FROM users WHERE email = ?", (email,)):
                raise AccountError(f"a user {email!r} already exists; revoke it first")
            uid = "u_" + uuid.uuid4().hex[:16]
            tx.execute(
                "INSERT INTO users (id, company_id, email, password_hash, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (uid, owner.id, email, hash_password(password) if password else None, now),
            )
            token = self._issue(tx, uid)
        return uid, token

    def revoke_user(self, email: str) -> int:
        """Revoke a user and every token of theirs; returns how many tokens were revoked."""
        email = email.strip().lower()
        now = format_ts(self.clock.now())
        with self.db.transaction() as tx:
            row = tx.one("SELECT id FROM users WHERE email = ?", (email,))
            if row is None:
                raise AccountError(f"no user {email!r}")
            tx.execute("UPDATE users SET revoked_at = ? WHERE id = ?", (now, row["id"]))
            revoked = tx.execute(
                "UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL "
                "RETURNING token_hash",
                (now, row["id"]),
            )
        return len(revoked)

    def _issue(self, tx: Tx, user_id: str) -> str:
        token = "ocd_" + secrets.token_urlsafe(32)
        tx.execute(
            "INSERT INTO tokens (token_hash, user_id, created_at) VALUES (?, ?, ?)",
            (hash_token(token), user_id, format_ts(self.clock.now())),
        )
        return token

    def login(self, email: str, password: str) -> tuple[str, Principal]:
        """A new token for email + password, or :class:`Unauthorized` (same for both mistakes)."""
        row = self.db.read().one(
            "SELECT u.id AS user_id, u.email, u.password_hash, c.id, c.name, c.plan "
            "FROM users u JOIN companies c ON c.id = u.company_id "
            "WHERE u.email = ? AND u.revoked_at IS NULL",
            (email.strip().lower(),),
        )
        stored = row["password_hash"] if row else None
        ok = verify_password(password, stored or _dummy_hash())
        if row is None or not stored or not ok:
            raise Unauthorized("wrong email or password; check both and sign in again")
        with self.db.transaction() as tx:
            token = self._issue(tx, row["user_id"])
        return token, Principal(user_id=row["user_id"], email=row["email"], company=_company(row))

    def authenticate(self, token: str) -> Principal:
        row = self.db.read().one(
            "SELECT u.id AS user_id, u.email, c.id, c.name, c.plan "
            "FROM tokens t JOIN users u ON u.id = t.user_id "
            "JOIN companies c ON c.id = u.company_id "
            "WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.revoked_at IS NULL",
            (hash_token(token),),
        )
        if row is None:
            raise Unauthorized(
                "the API token is unknown or revoked; sign in again or ask an admin for a token"
            )
        return Principal(user_id=row["user_id"], email=row["email"], company=_company(row))


def _dummy_hash() -> str:
    """A hash to check against when the user does not exist, so both cases take as long."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_hex(8))
    return _DUMMY_HASH
