"""The stand-in's HTML pages: its hosted sign-on steps, the external provider, form_post, errors.

Every form carries a hidden ``action`` field naming the step (the same names as the flows API actions);
``testing.driver`` finds its way through the pages by it, so keep those names stable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape

_STYLE = """
body { font-family: system-ui, sans-serif; background: #f4f5f7; color: #1c1e21; margin: 0; }
main { max-width: 26rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 6px;
       box-shadow: 0 1px 3px rgba(0, 0, 0, .15); }
h1 { font-size: 1.4rem; margin-top: 0; }
label { display: block; margin: .8rem 0 .2rem; }
input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: .5rem; }
button { margin-top: 1rem; padding: .5rem 1rem; }
.error { color: #b00020; }
.note { color: #5f6368; font-size: .85rem; }
"""


def _document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n"
        "</body>\n</html>\n"
    )


def _hidden(fields: Mapping[str, str]) -> str:
    return "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">\n' for name, value in fields.items()
    )


def _error(message: str | None) -> str:
    return f'<p class="error" id="error" role="alert">{escape(message)}</p>\n' if message else ""


def _cancel_form(action_url: str, flow_id: str, label: str = "Cancel") -> str:
    return (
        f'<form method="post" action="{escape(action_url)}" id="cancel">\n'
        f"{_hidden({'flowId': flow_id, 'action': 'cancel'})}"
        f'<button type="submit">{escape(label)}</button>\n</form>\n'
    )


def _header(application_name: str) -> str:
    return (
        f"<h1>{escape(application_name)}</h1>\n"
        '<p class="note">PingOne stand-in: a local test double, not PingOne.</p>\n'
    )


def sign_on_page(
    *,
    action_url: str,
    flow_id: str,
    application_name: str,
    login_hint: str | None,
    providers: Iterable[tuple[str, str, str]],
    error: str | None = None,
) -> str:
    """The username/password step; ``providers`` are (id, name, authenticate URL)."""
    provider_links = "".join(
        f'<li><a class="provider" data-provider-id="{escape(provider_id)}" href="{escape(url)}">'
        f"Sign on with {escape(name)}</a></li>\n"
        for provider_id, name, url in providers
    )
    body = (
        f"{_header(application_name)}<h2>Sign On</h2>\n{_error(error)}"
        f'<form method="post" action="{escape(action_url)}" id="sign-on">\n'
        f"{_hidden({'flowId': flow_id, 'action': 'usernamePassword.check'})}"
        '<label for="username">Username</label>\n'
        f'<input type="text" id="username" name="username" value="{escape(login_hint or "")}" '
        'autocomplete="username" required autofocus>\n'
        '<label for="password">Password</label>\n'
        '<input type="password" id="password" name="password" autocomplete="current-password" required>\n'
        '<button type="submit">Sign On</button>\n</form>\n'
        f"{_cancel_form(action_url, flow_id)}"
    )
    if provider_links:
        body += f'<ul class="providers">\n{provider_links}</ul>\n'
    return _document("Sign On", body)


def change_password_page(
    *, action_url: str, flow_id: str, application_name: str, username: str, error: str | None = None
) -> str:
    body = (
        f"{_header(application_name)}<h2>Change Password</h2>\n"
        f"<p>The password of <strong>{escape(username)}</strong> must be changed before signing on.</p>\n"
        f"{_error(error)}"
        f'<form method="post" action="{escape(action_url)}" id="password-reset">\n'
        f"{_hidden({'flowId': flow_id, 'action': 'password.reset'})}"
        '<label for="currentPassword">Current password</label>\n'
        '<input type="password" id="currentPassword" name="currentPassword" '
        'autocomplete="current-password" required autofocus>\n'
        '<label for="newPassword">New password</label>\n'
        '<input type="password" id="newPassword" name="newPassword" autocomplete="new-password" required>\n'
        '<button type="submit">Change Password</button>\n</form>\n'
        f"{_cancel_form(action_url, flow_id)}"
    )
    return _document("Change Password", body)


def otp_page(*, action_url: str, flow_id: str, application_name: str, error: str | None = None) -> str:
    body = (
        f"{_header(application_name)}<h2>Enter Passcode</h2>\n{_error(error)}"
        f'<form method="post" action="{escape(action_url)}" id="otp-check">\n'
        f"{_hidden({'flowId': flow_id, 'action': 'otp.check'})}"
        '<label for="otp">One-time passcode</label>\n'
        '<input type="text" id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" '
        "required autofocus>\n"
        '<button type="submit">Verify</button>\n</form>\n'
        f"{_cancel_form(action_url, flow_id)}"
    )
    return _document("Enter Passcode", body)


def unsupported_step_page(*, action_url: str, flow_id: str, application_name: str, status: str) -> str:
    body = (
        f"{_header(application_name)}<h2>Sign On</h2>\n"
        f'<p id="status">The sign-on stopped at step <code>{escape(status)}</code>, which the stand-in '
        "does not carry out.</p>\n"
        f"{_cancel_form(action_url, flow_id)}"
    )
    return _document("Sign On", body)


def external_provider_page(
    *,
    action_url: str,
    flow_id: str,
    provider_name: str,
    username: str,
    error: str | None = None,
) -> str:
    body = (
        f"<h1>{escape(provider_name)}</h1>\n"
        '<p class="note">External identity provider, played by the PingOne stand-in.</p>\n'
        f"{_error(error)}"
        f'<form method="post" action="{escape(action_url)}" id="external">\n'
        f"{_hidden({'flowId': flow_id, 'action': 'external.continue'})}"
        '<label for="username">Sign on as</label>\n'
        f'<input type="text" id="username" name="username" value="{escape(username)}" required>\n'
        '<button type="submit">Continue</button>\n</form>\n'
        f'<form method="post" action="{escape(action_url)}" id="cancel">\n'
        f"{_hidden({'flowId': flow_id, 'action': 'external.cancel'})}"
        '<button type="submit">Cancel</button>\n</form>\n'
    )
    return _document(provider_name, body)


def form_post_page(action_url: str, fields: Mapping[str, str]) -> str:
    """OAuth 2.0 Form Post Response Mode: posts ``fields`` to the client by itself, or at a click."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Submit This Form</title>\n'
        "</head>\n<body>\n"
        f'<form method="post" action="{escape(action_url)}" id="form-post">\n{_hidden(fields)}'
        "<noscript><p>Scripts are off: press Continue to go back to the application.</p></noscript>\n"
        '<button type="submit">Continue</button>\n</form>\n'
        "<script>document.getElementById('form-post').submit();</script>\n"
        "</body>\n</html>\n"
    )


def message_page(title: str, message: str) -> str:
    """An error (or a plain notice, such as "signed off") for the person at the browser."""
    return _document(title, f'<h1>{escape(title)}</h1>\n<p id="message">{escape(message)}</p>')
