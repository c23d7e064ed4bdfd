"""``PingOneBackend``: turns validated ID token claims into a Django user.

Users are found by (issuer, subject) through ``PingOneIdentity``, never by email unless
``LINK_BY_VERIFIED_EMAIL`` is on. The hooks (``verify_claims``, ``map_claims``, ``create_user``,
``update_user``, ``find_user_by_email``, ``username_for``) are there to be overridden in a subclass.

Any user model works whose ``USERNAME_FIELD`` is a text field: with an ``EmailField`` the new user's
username is the ``email`` claim, otherwise ``USERNAME_CLAIM`` or a derived name. A user that cannot be
created or updated (a username or unique field already taken, a required field with no value) ends the
sign-on with a ``SignOnError`` (a 4xx page), and a database that cannot answer with a 503 page.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import unicodedata
from contextlib import nullcontext
from dataclasses import replace
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.db import DatabaseError, IntegrityError, connections, models, router, transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from django_pingone_authorize.conf import AliasConfig, aliases, get_alias, resets_on
from django_pingone_authorize.errors import SignOnError, database_unavailable
from django_pingone_authorize.models import PingOneIdentity
from django_pingone_authorize.signals import identity_linked, user_created

logger = logging.getLogger(__name__)

# Claims copied onto the standard user fields (when the user model has them).
STANDARD_CLAIMS = {"email": "email", "given_name": "first_name", "family_name": "last_name"}

USER_CONFLICT_MESSAGE = _(
    "An account on this site already uses your username or email address, so you cannot be signed on. "
    "Please contact the site's administrators."
)


def user_conflict() -> SignOnError:
    return SignOnError("user_conflict", USER_CONFLICT_MESSAGE, status=409)


class PingOneBackend(ModelBackend):
    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        *,
        pingone_claims: dict[str, Any] | None = None,
        pingone_config: AliasConfig | None = None,
        **kwargs: Any,
    ) -> AbstractBaseUser | None:
        if pingone_claims is None or pingone_config is None:
            return None  # not a PingOne sign-on: let the other backends answer
        claims, config = pingone_claims, pingone_config
        if not self.verify_claims(claims, config):
            logger.warning("PingOne sign-on refused by verify_claims for alias %s", config.alias)
            return None
        user = self.get_or_create_user(claims, config)
        if user is None or not self.user_can_authenticate(cast(Any, user)):
            return None
        return user

    # Django's ``authenticate()`` asks ``inspect.signature`` of each backend's ``authenticate`` on every call, which
    # works it out from the code each time: worked out once here (a subclass's own ``authenticate`` is not affected).
    authenticate.__signature__ = inspect.signature(authenticate)  # type: ignore[attr-defined]

    # -- hooks -------------------------------------------------------------------------------------

    def verify_claims(self, claims: dict[str, Any], config: AliasConfig) -> bool:
        """Whether these (already validated) claims may sign on at all. Override to restrict."""
        return True

    def map_claims(self, claims: dict[str, Any], config: AliasConfig) -> dict[str, Any]:
        """The user fields to set from the claims. Override (and call super()) to map more, e.g. the
        user model's ``REQUIRED_FIELDS``."""
        model = get_user_model()
        field_names = {f.name for f in model._meta.get_fields()}
        values: dict[str, Any] = {}
        for claim, field in STANDARD_CLAIMS.items():
            value = claims.get(claim)
            if field in field_names and isinstance(value, str):
                max_length = getattr(model._meta.get_field(field), "max_length", None)
                values[field] = value[:max_length] if max_length else value
        return values

    def create_user(self, claims: dict[str, Any], config: AliasConfig) -> AbstractBaseUser:
        model = get_user_model()
        # The username wins over a mapped claim of the same field (the email, for an email username).
        fields = {**self.map_claims(claims, config), model.USERNAME_FIELD: self.username_for(claims, config)}
        missing = missing_required_fields(model, fields)
        if missing:
            logger.error(
                "Cannot create a user for a PingOne identity (alias %s): no value for %s; "
                "map it from the claims in the backend's map_claims()",
                config.alias,
                ", ".join(missing),
            )
            raise SignOnError(
                "user_fields_missing",
                _("Your account cannot be created on this site: your PingOne profile lacks details it needs."),
                status=403,
            )
        user = model(**fields)
        user.set_unusable_password()
        user.save()
        logger.info("Created user %s for a PingOne identity (alias %s)", user.pk, config.alias)
        return user

    def update_user(self, user: AbstractBaseUser, claims: dict[str, Any], config: AliasConfig) -> AbstractBaseUser:
        """Copy the mapped claims onto the user; the username is set once, when the user is created."""
        values = self.map_claims(claims, config)
        values.pop(get_user_model().USERNAME_FIELD, None)
        changed = [field for field, value in values.items() if getattr(user, field, None) != value]
        for field in changed:
            setattr(user, field, values[field])
        if changed:
            user.save(update_fields=changed)
        return user

    def find_user_by_email(self, claims: dict[str, Any], config: AliasConfig) -> AbstractBaseUser | None:
        """With ``LINK_BY_VERIFIED_EMAIL``: the one existing user with this verified email, if exactly one."""
        email = claims.get("email")
        if claims.get("email_verified") is not True or not isinstance(email, str) or "@" not in email:
            return None
        model = get_user_model()
        email_field = model.get_email_field_name()
        try:
            model._meta.get_field(email_field)
        except FieldDoesNotExist:
            return None  # a user model without email addresses: nothing to link by
        matches = list(model._default_manager.filter(**{f"{email_field}__iexact": email})[:2])
        if len(matches) != 1:
            return None
        if PingOneIdentity.objects.filter(user=matches[0], issuer=claims["iss"]).exists():
            return None  # already linked to another identity of this issuer: never take it over
        return matches[0]

    def username_for(self, claims: dict[str, Any], config: AliasConfig) -> str:
        """The new user's username, NFKC-normalised and never equal (ignoring case) to an existing one.

        With an ``EmailField`` as ``USERNAME_FIELD``: the ``email`` claim, or a ``SignOnError`` when there is
        none or it is taken. Otherwise: the claim named by ``USERNAME_CLAIM`` when it is valid and free, else a
        stable name derived from (issuer, subject); a ``SignOnError`` if even that one is taken.
        """
        model = get_user_model()
        field = cast(Any, model._meta.get_field(model.USERNAME_FIELD))
        max_length = getattr(field, "max_length", None) or 150
        if isinstance(field, models.EmailField):
            email = claims.get("email")
            wanted = BaseUserManager.normalize_email(normalize(email)) if isinstance(email, str) else ""
            if not wanted or len(wanted) > max_length or not passes_validators(field, wanted):
                logger.error("Cannot create a user for a PingOne identity (alias %s): no usable email", config.alias)
                raise SignOnError(
                    "user_fields_missing",
                    _("Your account cannot be created on this site: your PingOne profile has no usable email address."),
                    status=403,
                )
            if username_taken(wanted):
                logger.warning("A new PingOne identity's email is another user's username (alias %s)", config.alias)
                raise user_conflict()
            return wanted
        claim = claims.get(config.USERNAME_CLAIM)
        wanted = normalize(claim) if isinstance(claim, str) else ""
        if 0 < len(wanted) <= max_length and passes_validators(field, wanted) and not username_taken(wanted):
            return wanted
        derived = "pingone-" + hashlib.sha256(f"{claims['iss']}|{claims['sub']}".encode()).hexdigest()[:20]
        if username_taken(derived):
            logger.warning("The derived username of a new PingOne identity is taken (alias %s)", config.alias)
            raise user_conflict()
        return derived

    def sync_groups(self, user: AbstractBaseUser, claims: dict[str, Any], config: AliasConfig) -> None:
        """Make the user's Django groups and staff/superuser flags follow the ``GROUPS_CLAIM`` claim, at every
        sign-on: the groups of ``GROUP_MAP`` are added or removed (a group the map does not name is left alone;
        a mapped group missing from the database is created), ``is_staff`` / ``is_superuser`` are set when the
        claim holds one of ``STAFF_GROUPS`` / ``SUPERUSER_GROUPS`` and unset when it holds none (only when those
        options are set). A claim that is absent counts as no groups; a claim that cannot be read clears the flags
        and leaves the groups. A user model without ``groups`` or the flags is left alone, with a log line.
        Override to sync differently."""
        names = group_names(claims.get(config.GROUPS_CLAIM or ""))
        readable = names is not None
        if names is None:
            # Nothing can be read from it, least of all that the user still holds an admin group: the flags go
            # (a deprovisioned admin must not keep them by a malformed claim); mapped groups stay as they are.
            logger.warning(
                "PingOne claim %s is not a list of group names (alias %s): staff/superuser flags granted by groups "
                "cleared, groups left as they are",
                config.GROUPS_CLAIM,
                config.alias,
            )
            names = frozenset()
        changed = []
        for flag, wanted_by in (("is_staff", config.STAFF_GROUPS), ("is_superuser", config.SUPERUSER_GROUPS)):
            if not wanted_by:
                continue
            if not has_field(type(user), flag):
                logger.info("User model has no %s: %s not synced (alias %s)", flag, flag, config.alias)
                continue
            wanted = any(name in names for name in wanted_by)
            if getattr(user, flag) != wanted:
                setattr(user, flag, wanted)
                changed.append(flag)
        if changed:
            user.save(update_fields=changed)
            logger.info("PingOne groups set %s of user %s (alias %s)", "/".join(changed), user.pk, config.alias)
        if config.GROUP_MAP and readable:
            self.sync_mapped_groups(user, names, config)

    def sync_mapped_groups(self, user: AbstractBaseUser, names: frozenset[str], config: AliasConfig) -> None:
        """Add the user to the Django groups ``GROUP_MAP`` maps their claim's values to, and remove them from
        the other mapped groups. Groups ``GROUP_MAP`` does not name are never touched."""
        from django.contrib.auth.models import Group

        related = getattr(user, "groups", None)
        if not has_field(type(user), "groups") or related is None or related.model is not Group:
            logger.info("User model has no groups of django.contrib.auth: groups not synced (alias %s)", config.alias)
            return
        mapping = config.GROUP_MAP or {}
        wanted = {group for value, group in mapping.items() if value in names}
        managed = set(mapping.values())
        current = set(related.filter(name__in=managed).values_list("name", flat=True))
        add, remove = wanted - current, current - wanted
        if add:
            for name in add:
                Group.objects.get_or_create(name=name)
            related.add(*Group.objects.filter(name__in=add))
        if remove:
            related.remove(*Group.objects.filter(name__in=remove))
        if add or remove:
            logger.info(
                "PingOne groups: user %s added to %d, removed from %d group(s) (alias %s)",
                user.pk,
                len(add),
                len(remove),
                config.alias,
            )

    def groups_config(self, claims: dict[str, Any], config: AliasConfig) -> AliasConfig | None:
        """The options groups are synced by at this sign-on: the alias's own when it has ``GROUPS_CLAIM``.

        Otherwise, when another alias of the same issuer (environment) grants staff or superuser from groups,
        its flags are synced from this sign-on's claims (its groups left alone): flags granted from groups
        follow the issuer, whichever alias (sign-on button) was used, so a user removed from the admin group
        cannot keep ``is_superuser`` by signing on through an alias that does not sync. None: nothing synced."""
        if config.GROUPS_CLAIM:
            return config
        for name in aliases():
            try:
                other = get_alias(name)
            except ImproperlyConfigured:
                continue
            if (
                other.GROUPS_CLAIM
                and (other.STAFF_GROUPS or other.SUPERUSER_GROUPS)
                and other.issuer == claims.get("iss")
            ):
                return replace(other, alias=config.alias, GROUP_MAP=None)
        return None

    # -- the lookup --------------------------------------------------------------------------------

    def get_or_create_user(self, claims: dict[str, Any], config: AliasConfig) -> AbstractBaseUser | None:
        try:
            user = self._get_or_create_user(claims, config)
            groups_config = self.groups_config(claims, config)
            if user is not None and groups_config is not None:
                with transaction.atomic():
                    self.sync_groups(user, claims, groups_config)
            return user
        except IntegrityError:
            raise  # a conflict not caught below is a bug, not an unavailable database
        except DatabaseError as error:
            # "database is locked", a lost connection...: the sign-on may work in a moment. Only the error's
            # class is logged: a database's message may quote the values it was given.
            logger.error("Database error during a PingOne sign-on (alias %s): %s", config.alias, type(error).__name__)
            raise database_unavailable() from error

    def _get_or_create_user(self, claims: dict[str, Any], config: AliasConfig) -> AbstractBaseUser | None:
        issuer, subject = claims["iss"], claims["sub"]
        model = get_user_model()
        # The user alone, found through the identity (one query, one model built: the identity row itself is
        # not needed).
        known = PingOneIdentity.objects.user_of(issuer, subject)
        if known is not None:
            # The returning user, written only when a claim changed: one UPDATE, or none. An override of
            # ``update_user`` runs in a transaction, as does any update inside one already (a savepoint, so that a
            # refused UPDATE leaves it usable); the default needs none, and so sends no BEGIN/COMMIT for nothing.
            overridden = type(self).update_user is not PingOneBackend.update_user
            in_transaction = transaction.get_connection(router.db_for_write(model)).in_atomic_block
            try:
                with transaction.atomic() if overridden or in_transaction else nullcontext():
                    return self.update_user(known, claims, config)
            except IntegrityError:
                # E.g. the new email is another user's, and the model wants emails unique.
                logger.warning("Cannot update user %s from a PingOne sign-on (alias %s)", known.pk, config.alias)
                raise user_conflict() from None
        linked = self.find_user_by_email(claims, config) if config.LINK_BY_VERIFIED_EMAIL else None
        if linked is None and not config.CREATE_USERS:
            logger.info("No user for a new PingOne identity and CREATE_USERS is off (alias %s)", config.alias)
            return None
        try:
            with transaction.atomic():
                if linked is None:
                    user = self.create_user(claims, config)
                else:
                    user = self.update_user(linked, claims, config)
                identity = PingOneIdentity.objects.create(user=cast(Any, user), issuer=issuer, subject=subject)
        except IntegrityError:
            # Two first sign-ons of the same identity raced and the other one won; or the new user's
            # username or another unique field (e.g. the email) is already another user's.
            winner = PingOneIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
            if winner is None:
                logger.warning("Cannot create or link a user for a PingOne identity (alias %s)", config.alias)
                raise user_conflict() from None
            return winner.user
        if linked is None:
            user_created.send(type(self), user=user, claims=claims, alias=config.alias)
        identity_linked.send(
            type(self), user=user, identity=identity, alias=config.alias, how="created" if linked is None else "email"
        )
        return user


def normalize(text: str) -> str:
    """NFKC, as Django's own ``AbstractBaseUser.normalize_username``: a full-width "admin" is "admin"."""
    return unicodedata.normalize("NFKC", text)


def passes_validators(field: Any, value: str) -> bool:
    try:
        field.run_validators(value)
    except ValidationError:
        return False
    return True


def group_names(value: Any) -> frozenset[str] | None:
    """A groups claim as a set of names: a list of strings, one string, or absent (no groups); None otherwise."""
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset({value})
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return frozenset(value)
    return None


def has_field(model: type[models.Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def username_taken(username: str) -> bool:
    """Whether a user already has this username, ignoring case (``Admin`` is not a new name next to ``admin``).

    Django's ``filter(<USERNAME_FIELD>__iexact=username)`` over every row (``_base_manager``: a row a custom
    default manager hides still holds its name), on the database the new user is written to. The ORM compiles the
    query once per user model and database (the primary key of the first match), run with each username as its
    parameter: building and compiling it took about 0.15 ms of every new user's sign-on (``tests/perf/README.md``).
    """
    model: Any = get_user_model()
    database = router.db_for_write(model)
    compiled = _taken_query(model, database)
    if compiled is None:
        return bool(model._base_manager.using(database).filter(**{_iexact(model): username}).exists())
    sql, params, at = compiled
    connection = connections[database]
    params[at] = connection.ops.prep_for_iexact_query(username)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


def _iexact(model: Any) -> str:
    return f"{model.USERNAME_FIELD}__iexact"


# A probe with what the LIKE-based lookups escape (``%``, ``_``, ``\``): the compiled query is kept only when the
# probe stands in its parameters as exactly what ``prep_for_iexact_query`` makes of it, once.
_PROBE = "pingone-probe-%_\\-username"
_TAKEN_QUERIES: dict[tuple[str, str], tuple[str, tuple[Any, ...], int] | None] = {}


@resets_on("AUTH_USER_MODEL", "DATABASES")
def reset_caches() -> None:
    _TAKEN_QUERIES.clear()


def _taken_query(model: Any, database: str) -> tuple[str, list[Any], int] | None:
    """The SQL of the username check, its parameters (a copy) and where the username goes; None: use the ORM."""
    key = (model._meta.label, database)
    if key not in _TAKEN_QUERIES:
        first = model._base_manager.using(database).filter(**{_iexact(model): _PROBE}).values_list("pk")[:1]
        sql, params = first.query.get_compiler(using=database).as_sql()
        prepared = connections[database].ops.prep_for_iexact_query(_PROBE)
        found = [index for index, value in enumerate(params) if value == prepared]
        _TAKEN_QUERIES[key] = (sql, tuple(params), found[0]) if len(found) == 1 else None
    compiled = _TAKEN_QUERIES[key]
    return None if compiled is None else (compiled[0], list(compiled[1]), compiled[2])


def missing_required_fields(model: type[AbstractBaseUser], values: dict[str, Any]) -> list[str]:
    """The model's ``REQUIRED_FIELDS`` that need a value (not blank-able, no default) and have none."""
    missing = []
    for name in model.REQUIRED_FIELDS:
        field = cast(Any, model._meta.get_field(name))
        if values.get(name) in (None, "") and not field.blank and not field.has_default():
            missing.append(name)
    return missing
