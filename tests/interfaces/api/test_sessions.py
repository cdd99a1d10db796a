"""Browser sessions: the token in an HttpOnly cookie, CSRF on unsafe methods."""

from __future__ import annotations

import pytest

from kiwerk.errors import Unauthenticated
from tests.interfaces.api.conftest import PASSWORD, World


def _session(api: World, user: str) -> str:
    """Open a cookie session for ``user``; return its CSRF value."""
    r = api.client.post("/auth/session", json={"username": user, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return str(r.json()["csrf_token"])


def test_session_sets_httponly_strict_cookies(api: World) -> None:
    """Login sets an HttpOnly SameSite=Strict session and a readable CSRF cookie."""
    r = api.client.post("/auth/session", json={"username": "ada", "password": PASSWORD})
    assert r.status_code == 200, r.text
    cookies = {c.split("=", 1)[0]: c for c in r.headers.get_list("set-cookie")}
    session, csrf = cookies["kiwerk_session"], cookies["kiwerk_csrf"]
    assert "HttpOnly" in session
    assert "SameSite=strict" in session
    assert "HttpOnly" not in csrf
    assert "SameSite=strict" in csrf
    assert r.json()["csrf_token"] in csrf
    assert r.json()["roles"] == {"acme": "owner"}
    assert api.client.get("/auth/me").json()["actor"] == "ada"


def test_session_refuses_wrong_password_and_forms(api: World) -> None:
    """A wrong password is 401 without cookies; a form body (cross-site) is 415."""
    r = api.client.post("/auth/session", json={"username": "ada", "password": "nope"})
    assert r.status_code == 401
    assert "set-cookie" not in r.headers
    r = api.client.post("/auth/session", data={"username": "ada", "password": PASSWORD})
    assert r.status_code == 415


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, 403),  # no CSRF header: refused
        ("0" * 64, 403),  # a forged value: refused
        ("good", 201),  # the session's own value: accepted
    ],
)
def test_unsafe_cookie_requests_need_csrf(
    api: World, header: str | None, status: int
) -> None:
    """POST with the session cookie succeeds only with the session's CSRF value."""
    csrf = _session(api, "ada")
    sent = csrf if header == "good" else header
    headers = {} if sent is None else {"X-CSRF-Token": sent}
    r = api.client.post("/orgs", json={"name": "neworg"}, headers=headers)
    assert r.status_code == status, r.text
    listed = {o["name"] for o in api.client.get("/orgs").json()}
    assert ("neworg" in listed) == (status == 201)


def test_csrf_value_of_another_session_is_refused(api: World) -> None:
    """The CSRF value is bound to one session: another session's value fails."""
    other = _session(api, "vic")
    _session(api, "ada")
    r = api.client.post("/orgs", json={"name": "x1"}, headers={"X-CSRF-Token": other})
    assert r.status_code == 403


def test_bearer_needs_no_csrf_and_wins_over_cookie(api: World) -> None:
    """A bearer token works without CSRF header even when a cookie is present."""
    _session(api, "vic")
    r = api.client.post("/orgs", json={"name": "byada"}, headers=api.headers["ada"])
    assert r.status_code == 201, r.text
    assert api.client.get("/auth/me").json()["actor"] == "vic"


def test_logout_revokes_cookie_session(api: World) -> None:
    """DELETE /auth/session (with CSRF) revokes the token and clears cookies."""
    csrf = _session(api, "ada")
    token = api.client.cookies["kiwerk_session"]
    assert api.client.delete("/auth/session").status_code == 403
    r = api.client.delete("/auth/session", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 204
    assert any("Max-Age=0" in c for c in r.headers.get_list("set-cookie"))
    api.client.cookies.set("kiwerk_session", token)
    assert api.client.get("/auth/me").status_code == 401


class Clock:
    """A wall clock the test moves by hand (the signer's, injected)."""

    def __init__(self, api: World) -> None:
        self.now = api.services.signer.clock()
        api.services.signer.clock = lambda: self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds


def _cookie(api: World) -> str:
    """The session cookie the client holds."""
    return str(api.client.cookies.get("kiwerk_session"))


def test_session_slides_while_used_and_keeps_its_csrf(api: World) -> None:
    """Requests renew the 15-minute token; hours of activity stay logged in."""
    clock = Clock(api)
    csrf = _session(api, "ada")
    ttl = api.services.signer.ttl_s
    first = _cookie(api)
    r = api.client.get("/auth/me")
    assert "set-cookie" not in r.headers  # too young to renew
    for _ in range(12):  # an hour, a request every five minutes
        clock.advance(300)
        r = api.client.get("/auth/me")
        assert r.status_code == 200, r.text
        renewed = {c.split("=", 1)[0]: c for c in r.headers.get_list("set-cookie")}
        assert "HttpOnly" in renewed["kiwerk_session"]
        assert f"Max-Age={int(ttl)}" in renewed["kiwerk_session"]
    assert _cookie(api) != first
    with pytest.raises(Unauthenticated, match="expired"):
        api.services.signer.decode(first)  # the login's token is long gone
    claims = api.services.signer.decode(_cookie(api))
    assert claims.auth_time < claims.issued_at - 3000  # same session, same login
    # the CSRF value is the session's: it still works after the renewals
    r = api.client.post("/orgs", json={"name": "slid"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text


def test_session_expires_after_idle_and_at_its_maximum(api: World) -> None:
    """No request for the token's lifetime ends it; renewals stop at 12 hours."""
    clock = Clock(api)
    _session(api, "ada")
    ttl = api.services.signer.ttl_s
    clock.advance(ttl - 1)
    assert api.client.get("/auth/me").status_code == 200  # renewed just in time
    clock.advance(ttl + 1)
    r = api.client.get("/auth/me")
    assert r.status_code == 401
    assert "expired" in r.json()["detail"]
    _session(api, "ada")
    steps = int(api.services.params.session_max_s // 700)  # 61 steps: 11 h 51 min
    for _ in range(steps):
        clock.advance(700)
        r = api.client.get("/auth/me")
        assert r.status_code == 200
    left = int(api.services.params.session_max_s - steps * 700)  # 9 min
    assert f"Max-Age={left}" in r.headers["set-cookie"]  # renewed up to the limit
    clock.advance(left)
    assert api.client.get("/auth/me").status_code == 401


def test_logout_ends_every_token_of_the_session(api: World) -> None:
    """After a renewal, logging out also refuses the session's older token."""
    clock = Clock(api)
    csrf = _session(api, "ada")
    old = _cookie(api)
    clock.advance(120)
    assert api.client.get("/auth/me").status_code == 200
    assert _cookie(api) != old
    r = api.client.delete("/auth/session", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 204
    assert "kiwerk_session" not in api.client.cookies
    api.client.cookies.set("kiwerk_session", old)
    r = api.client.get("/auth/me")
    assert r.status_code == 401
    assert "ended" in r.json()["detail"]
