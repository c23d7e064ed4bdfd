"""``PingOneBackend``: turns validated ID token claims into a Django user.

Users are found by (issuer, subject) through ``PingOneIdentity``, never by email unless
``LINK_BY_VERIFIED_EMAIL`` is on. The hooks (``verify_claims``, ``map_claims``, ``create_user``,
``update_user``, ``find_user_by_email``) are there to be overridden in a subclass.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from django_pingone_authorize.conf import AliasConfig
from django_pingone_authorize.models import PingOneIdentity

logger = logging.getLogger("django_pingone_authorize")

# Claims copied onto the standard user fields (when the user model has them).
STANDARD_CLAIMS = {"email": "email", "given_name": "first_name", "family_name": "last_name"}


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

    # -- hooks -------------------------------------------------------------------------------------

    def verify_claims(self, claims: dict[str, Any], config: AliasConfig) -> bool:
        """Whether these (already validated) claims may sign on at all. Override to restrict."""
        return True

    def map_claims(self, claims: dict[str, Any], config: AliasConfig) -> dict[str, Any]:
        """The user fields to set from the claims. Override (and call super()) to map more."""
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
        fields = {model.USERNAME_FIELD: self.username_for(claims, config), **self.map_claims(claims, config)}
        user = model(**fields)
        user.set_unusable_password()
        user.save()
        logger.info("Created user %s for a PingOne identity (alias %s)", user.pk, config.alias)
        return user

    def update_user(self, user: AbstractBaseUser, claims: dict[str, Any], config: AliasConfig) -> AbstractBaseUser:
        values = self.map_claims(claims, config)
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
        matches = list(model._default_manager.filter(email__iexact=email)[:2])
        if len(matches) != 1:
            return None
        if PingOneIdentity.objects.filter(user=matches[0], issuer=claims["iss"]).exists():
            return None  # already linked to another identity of this issuer: never take it over
        return matches[0]

    def username_for(self, claims: dict[str, Any], config: AliasConfig) -> str:
        """The claim named by USERNAME_CLAIM when it is valid and free; else a stable derived name."""
        model = get_user_model()
        field = cast(Any, model._meta.get_field(model.USERNAME_FIELD))
        max_length = getattr(field, "max_length", None) or 150
        derived = "pingone-" + hashlib.sha256(f"{claims['iss']}|{claims['sub']}".encode()).hexdigest()[:20]
        wanted = claims.get(config.USERNAME_CLAIM)
        if isinstance(wanted, str) and 0 < len(wanted) <= max_length:
            try:
                field.run_validators(wanted)
            except ValidationError:
                return derived
            if not model._default_manager.filter(**{model.USERNAME_FIELD: wanted}).exists():
                return wanted
        return derived

    # -- the lookup --------------------------------------------------------------------------------

    def get_or_create_user(self, claims: dict[str, Any], config: AliasConfig) -> AbstractBaseUser | None:
        issuer, subject = claims["iss"], claims["sub"]
        try:
            # get(), not first(): (issuer, subject) is unique, and first() adds an ORDER BY to every sign-on.
            identity: PingOneIdentity | None = PingOneIdentity.objects.select_related("user").get(
                issuer=issuer, subject=subject
            )
        except PingOneIdentity.DoesNotExist:
            identity = None
        if identity is not None:
            return self.update_user(identity.user, claims, config)
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
                PingOneIdentity.objects.create(user=cast(Any, user), issuer=issuer, subject=subject)
        except IntegrityError:
            # Two first sign-ons of the same identity raced; the other one won.
            identity = PingOneIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
            if identity is None:
                raise
            return identity.user
        return user
