"""Who is calling an API with a PingOne access token: a Django user, or a ``PingOneClient``.

A token issued to a user whose (issuer, ``sub``) is in ``PingOneIdentity`` (the table sign-on fills) is that
Django user. Any other token (client credentials: no ``sub``, or ``sub`` is the client's id; or a user who
never signed on to this site) is a ``PingOneClient``: authenticated (``is_authenticated`` is True, so DRF's
``IsAuthenticated`` and ``login_required`` let it through), but no database user: ``pk`` is None, it holds no
permissions, is never staff, and cannot be saved. Views tell the two apart with ``isinstance(user,
PingOneClient)`` or ``request.auth.is_user``. Users are never created from an access token.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group, Permission
from django.db import DatabaseError
from django.db.models.manager import EmptyManager

from django_pingone_authorize.api.access_tokens import INVALID_TOKEN, UNAVAILABLE, AccessToken, AccessTokenError
from django_pingone_authorize.models import PingOneIdentity

logger = logging.getLogger(__name__)


class PingOneClient:
    """An API caller that is no Django user: an application (client credentials) or an unknown subject."""

    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None
    _groups = EmptyManager(Group)
    _user_permissions = EmptyManager(Permission)

    def __init__(self, token: AccessToken) -> None:
        self.token = token
        self.client_id = token.client_id
        self.subject = token.subject

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def username(self) -> str:
        return f"pingone-client:{self.client_id or '-'}"

    def get_username(self) -> str:
        return self.username

    @property
    def groups(self) -> EmptyManager[Group]:
        return self._groups

    @property
    def user_permissions(self) -> EmptyManager[Permission]:
        return self._user_permissions

    def get_user_permissions(self, obj: Any = None) -> set[str]:
        return set()

    def get_group_permissions(self, obj: Any = None) -> set[str]:
        return set()

    def get_all_permissions(self, obj: Any = None) -> set[str]:
        return set()

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False

    def has_perms(self, perm_list: Any, obj: Any = None) -> bool:
        return False

    def has_module_perms(self, module: str) -> bool:
        return False

    def save(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("A PingOneClient is not stored in the database.")

    def delete(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("A PingOneClient is not stored in the database.")

    def __str__(self) -> str:
        return self.username

    def __repr__(self) -> str:
        return f"<PingOneClient client_id={self.client_id!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PingOneClient) and (self.client_id, self.subject, self.token.issuer) == (
            other.client_id,
            other.subject,
            other.token.issuer,
        )

    def __hash__(self) -> int:
        return hash((self.client_id, self.subject, self.token.issuer))


def principal_for(token: AccessToken) -> AbstractBaseUser | PingOneClient:
    """The Django user of a user token (found by (issuer, ``sub``), never created), else a ``PingOneClient``.

    Raises ``AccessTokenError`` when the user exists but is inactive (``invalid_token``) or the database
    cannot answer (``temporarily_unavailable``).
    """
    if not token.is_user:
        return PingOneClient(token)
    try:
        # get(), not first(): (issuer, subject) is unique, and first() adds an ORDER BY to every request.
        identity = PingOneIdentity.objects.select_related("user").get(issuer=token.issuer, subject=token.subject)
    except PingOneIdentity.DoesNotExist:
        return PingOneClient(token)
    except DatabaseError as error:
        logger.error("Database error finding the user of a PingOne access token: %s", type(error).__name__)
        raise AccessTokenError(UNAVAILABLE, "The access token cannot be checked right now.") from error
    user: AbstractBaseUser = identity.user
    if not getattr(user, "is_active", True):
        raise AccessTokenError(INVALID_TOKEN, "The access token's user is inactive.")
    return user
