"""PingOne's password-policy refusals, shown as they come: a refused new password (``password.recover``,
``password.reset``, ``user.register``) carries ``details[].innerError.unsatisfiedRequirements``, the names of the
policy's rules it broke (``length``, ``minCharacters``, ``excludesCommonlyUsed``...). Each known name is said in
the visitor's language; a name PingOne adds later is shown as PingOne spells it."""

from __future__ import annotations

import re
from typing import Any

from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

REQUIREMENTS = {
    "length": _("long enough (and not too long)"),
    "minCharacters": _("the kinds of characters the policy asks for"),
    "maxRepeatedCharacters": _("no character repeated too often"),
    "minUniqueCharacters": _("enough different characters"),
    "minComplexity": _("complex enough"),
    "history": _("not one of your recent passwords"),
    "excludesProfileData": _("not made of your name or other profile data"),
    "notSimilarToCurrent": _("not like your current password"),
    "excludesCommonlyUsed": _("not a commonly used password"),
    "minAgeInDays": _("not changed again too soon"),
}
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,40}$")
MAX_REQUIREMENTS = 12


def unsatisfied(details: Any) -> list[str]:
    """The rule names of every detail's ``innerError.unsatisfiedRequirements`` (checked, at most a dozen)."""
    names: list[str] = []
    for detail in details if isinstance(details, list) else []:
        inner = detail.get("innerError") if isinstance(detail, dict) else None
        listed = inner.get("unsatisfiedRequirements") if isinstance(inner, dict) else None
        for name in listed if isinstance(listed, list) else []:
            if isinstance(name, str) and NAME.match(name) and name not in names:
                names.append(name)
    return names[:MAX_REQUIREMENTS]


def requirements_text(details: Any) -> str:
    """ "The new password must be: ..." for the rules PingOne says were not met ("" when it names none)."""
    names = unsatisfied(details)
    if not names:
        return ""
    listed = ", ".join(force_str(REQUIREMENTS.get(name, name)) for name in names)
    return force_str(_("The password must be: %(requirements)s.") % {"requirements": listed})
