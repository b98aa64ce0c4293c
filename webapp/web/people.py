"""Who is asking, as the organisation's own sign-in says.

Behind the organisation's sign-in proxy (oauth2-proxy and the like), a header it sets
names the person; it is read only when `TRUSTED_USER_HEADER` names it and
`BEHIND_PROXY` is on, since only then does the proxy overwrite it on every request.
Without it, a name given at the app's own sign-in (kept with the session) is used;
otherwise nobody is named ("someone on the team").
"""

from __future__ import annotations

from flask import current_app, has_request_context, request, session

DISPLAY_NAME = "display_name"
SOMEONE = "Someone on the team"


def person() -> str | None:
    if not has_request_context():
        return None
    settings = current_app.extensions["webapp"].settings
    if settings.behind_proxy and settings.trusted_user_header:
        said = clean(request.headers.get(settings.trusted_user_header))
        if said:
            return said
    return clean(session.get(DISPLAY_NAME))


def clean(value: object) -> str | None:
    """A name fit for a page and a log: printable, on one line, not too long."""
    if not isinstance(value, str):
        return None
    text = "".join(ch for ch in value if ch.isprintable()).strip()
    return text[:100] or None


def in_words(who: str | None, starts_sentence: bool = True) -> str:
    """Who, as a sentence names them: 'Dana', or 'Someone on the team' ('someone on the
    team' inside a sentence)."""
    if who:
        return who
    return SOMEONE if starts_sentence else SOMEONE.lower()
