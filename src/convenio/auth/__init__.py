"""Who may do what: principals, roles and their scopes, secrets, and the audit trail.

Pure code: `principal` says what each role may do (`Principal.require`), `secrets` hashes
passwords (Argon2id) and API tokens (SHA-256 of a random secret, shown once), `audit`
encodes an audit record canonically and chains it. The store keeps users, tokens and the
audit trail (`convenio.store.auth_repo`); `convenio.services.access` ties them together
for the CLI and the API.
"""

from convenio.auth.audit import AUDIT_GENESIS, AuditEntry, audit_hash, verify_audit_chain
from convenio.auth.principal import (
    ANONYMOUS,
    OPERATOR,
    Action,
    Principal,
    Role,
    needs_org_unit,
    needs_party,
)
from convenio.auth.secrets import (
    TOKEN_PREFIX,
    IssuedToken,
    check_password,
    hash_password,
    hash_token_secret,
    new_token,
    split_token,
)

__all__ = [
    "ANONYMOUS",
    "AUDIT_GENESIS",
    "OPERATOR",
    "TOKEN_PREFIX",
    "Action",
    "AuditEntry",
    "IssuedToken",
    "Principal",
    "Role",
    "audit_hash",
    "check_password",
    "hash_password",
    "hash_token_secret",
    "needs_org_unit",
    "needs_party",
    "new_token",
    "split_token",
    "verify_audit_chain",
]
