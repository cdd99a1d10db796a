"""Tenant isolation, bad tokens, injection strings, sizes, types and file names."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import jwt
import pytest

from kiwerk.core.auth import TokenSigner

PUMPS = "ts,machine,operator,temp,speed\n2024-01-01 00:00:00,M1,alice.meyer,20.5,1500\n"

#: Every endpoint on a dataset, as (method, path, JSON body); {ds} is the dataset.
DATASET_ENDPOINTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/datasets/{ds}", None),
    ("PUT", "/datasets/{ds}/spec", {"spec": {}}),
    ("GET", "/datasets/{ds}/versions", None),
    ("GET", "/datasets/{ds}/versions/latest", None),
    ("GET", "/datasets/{ds}/versions/1", None),
    ("GET", "/datasets/{ds}/versions/1/quality", None),
    ("GET", "/datasets/{ds}/versions/1/rows", None),
    ("GET", "/datasets/{ds}/grants", None),
    ("PUT", "/datasets/{ds}/grants/uni", {"level": "read"}),
    ("DELETE", "/datasets/{ds}/grants/uni", None),
]
#: Every endpoint on an organisation; {org} is the organisation.
ORG_ENDPOINTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/orgs/{org}/users", None),
    (
        "POST",
        "/orgs/{org}/users",
        {"name": "eve", "role": "owner", "password": "x" * 12},
    ),
    ("GET", "/orgs/{org}/api-keys", None),
    ("POST", "/orgs/{org}/api-keys", {"name": "k", "role": "owner"}),
    ("DELETE", "/orgs/{org}/api-keys/0123456789ab", None),
]


def _call(api: Any, user: str, method: str, path: str, body: Any) -> Any:
    return api.client.request(method, path, headers=api.headers[user], json=body)


def test_other_org_gets_404_like_a_missing_dataset(api: Any) -> None:
    """uni's users on acme's dataset get exactly what a missing dataset gives."""
    before = api.services.pool.audit.entries()
    for user in ("bob", "ben"):
        for method, template, body in DATASET_ENDPOINTS:
            real = _call(api, user, method, template.format(ds="pumps"), body)
            fake = _call(api, user, method, template.format(ds="nope0"), body)
            assert real.status_code == fake.status_code == 404, (method, template)
            assert real.json()["detail"] == fake.json()["detail"].replace(
                "nope0", "pumps"
            )
            assert "alice" not in real.text
        upload = api.upload(user, "pumps", "pumps.csv", PUMPS.encode())
        assert upload.status_code == 404
    after = api.services.pool.audit.entries()
    assert [e.action for e in after[len(before) :]] == []
    assert len(api.services.pool.versions("pumps", actor="ada")) == 1


def test_other_org_gets_404_like_a_missing_org(api: Any) -> None:
    """uni's users on acme's organisation endpoints get what a missing org gives."""
    for user in ("bob", "ben"):
        for method, template, body in ORG_ENDPOINTS:
            real = _call(api, user, method, template.format(org="acme"), body)
            fake = _call(api, user, method, template.format(org="nope0"), body)
            assert real.status_code == fake.status_code == 404, (method, template)
            assert real.json()["detail"] == fake.json()["detail"].replace(
                "nope0", "acme"
            )
    assert (
        "eve" not in api.client.get("/orgs/acme/users", headers=api.headers["ada"]).text
    )


def test_roles_inside_own_org_give_403(api: Any) -> None:
    """A viewer who can see a resource but lacks the role gets 403, not 404."""
    for method, template, body in DATASET_ENDPOINTS[1:2] + DATASET_ENDPOINTS[8:]:
        r = _call(api, "vic", method, template.format(ds="pumps"), body)
        assert r.status_code == 403, (method, template, r.text)
    for method, template, body in ORG_ENDPOINTS[1:]:
        r = _call(api, "ana", method, template.format(org="acme"), body)
        assert r.status_code == 403, (method, template, r.text)


@pytest.fixture
def signer() -> TokenSigner:
    """A signer with the test app's secret."""
    return TokenSigner("test-secret-key-for-tokens", ttl_s=900)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bad_tokens(signer: TokenSigner, good: str) -> Iterator[tuple[str, str]]:
    yield "expired", signer.issue("ada", now=1_000_000.0).token
    head, body, sig = good.split(".")
    yield "tampered signature", f"{head}.{body}.{sig[:-4]}AAAA"
    forged = jwt.encode({"sub": "ada"}, "guessed-secret-of-32-bytes-or-more!!", "HS256")
    yield "wrong key", forged
    claims = {"sub": "ada", "jti": "x", "exp": 9e9, "iat": 1, "iss": "kiwerk"}
    parts = [{"alg": "none", "typ": "JWT"}, claims]
    unsigned = ".".join(_b64(json.dumps(p).encode()) for p in parts) + "."
    yield "alg none", unsigned
    yield "garbage", "not-a-token"
    yield "bad key", "kw_0123456789ab_" + "A" * 43


def test_bad_tokens_are_401(api: Any, signer: TokenSigner) -> None:
    """Expired, tampered, forged, unsigned and garbage credentials answer 401."""
    good = api.headers["ada"]["Authorization"].removeprefix("Bearer ")
    for what, token in _bad_tokens(signer, good):
        r = api.client.get("/datasets", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, what
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.headers["content-type"] == "application/problem+json"
    assert api.client.get("/datasets").status_code == 401


def test_logout_revokes_the_token(api: Any) -> None:
    """After logout the same token is refused."""
    headers = api.login("vic")
    assert api.client.get("/datasets", headers=headers).status_code == 200
    assert api.client.post("/auth/logout", headers=headers).status_code == 204
    r = api.client.get("/datasets", headers=headers)
    assert r.status_code == 401
    assert "revoked" in r.json()["detail"]


def test_wrong_password_and_unknown_user_look_alike(api: Any) -> None:
    """A wrong password and an unknown user give the same 401."""
    wrong = api.client.post("/auth/token", data={"username": "ada", "password": "x"})
    unknown = api.client.post("/auth/token", data={"username": "zed", "password": "x"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_api_key_scope_revocation_and_rate(api: Any) -> None:
    """A viewer key reads but cannot write; a revoked key is 401; rates give 429."""
    r = api.client.post(
        "/orgs/acme/api-keys",
        headers=api.headers["ada"],
        json={"name": "gateway", "role": "viewer", "rate_per_minute": 3},
    )
    assert r.status_code == 201, r.text
    key, key_id = r.json()["key"], r.json()["key_id"]
    listed = api.client.get("/orgs/acme/api-keys", headers=api.headers["ada"]).text
    assert key[16:] not in listed
    headers = {"X-API-Key": key}
    assert api.client.get("/datasets", headers=headers).json()[0]["name"] == "pumps"
    write = api.client.post(
        "/datasets", headers={"Authorization": f"Bearer {key}"},
        json={"name": "k1", "org": "acme"},
    )  # fmt: skip
    assert write.status_code == 403
    assert api.client.get("/datasets", headers=headers).status_code == 200  # 3rd
    limited = api.client.get("/datasets", headers=headers)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    r = api.client.delete(f"/orgs/acme/api-keys/{key_id}", headers=api.headers["ada"])
    assert r.status_code == 204
    api.services.limiter = type(api.services.limiter)()
    assert api.client.get("/datasets", headers=headers).status_code == 401


INJECTIONS = [
    "x'; DROP TABLE datasets; --",
    "' OR '1'='1",
    'a" ; DELETE FROM audit; --',
    "pumps@1 UNION SELECT * FROM users",
    "0x3b; ATTACH '/tmp/evil.db' AS e",
]


def test_sql_injection_strings_are_refused_or_inert(api: Any) -> None:
    """Injection strings in every free-text field are 4xx or stored verbatim."""
    pool = api.services.pool
    before = (len(pool.audit.entries()), pool.organisations())
    ada = api.headers["ada"]
    for text in INJECTIONS:
        calls = [
            ("POST", "/datasets", {"name": text, "org": "acme"}),
            ("POST", "/datasets", {"name": "ok1", "org": text}),
            ("POST", "/orgs", {"name": text}),
            (
                "POST",
                "/orgs/acme/users",
                {"name": text, "role": "viewer", "password": "x" * 12},
            ),
            ("PUT", "/datasets/pumps/grants/x", {"level": text}),
            (
                "PUT",
                "/datasets/pumps/spec",
                {"spec": {"columns": {text: {"dtype": text}}}},
            ),
        ]
        for method, path, body in calls:
            r = api.client.request(method, path, headers=ada, json=body)
            assert 400 <= r.status_code < 500, (path, text, r.text)
        for path in (
            f"/datasets/{quote(text, safe='')}",
            f"/orgs/{quote(text, safe='')}/users",
        ):
            assert api.client.get(path, headers=ada).status_code in (404, 422)
        r = api.client.post("/auth/token", data={"username": text, "password": text})
        assert r.status_code == 401
    assert pool.organisations() == before[1]
    r = api.client.post(
        "/orgs/acme/api-keys", headers=ada, json={"name": INJECTIONS[0]}
    )
    assert r.status_code == 201
    names = [
        k["name"] for k in api.client.get("/orgs/acme/api-keys", headers=ada).json()
    ]
    assert names == [INJECTIONS[0]]
    assert [o["name"] for o in pool.organisations()] == ["acme", "uni"]
    assert [d.name for d in pool.datasets(actor="ada")] == ["pumps"]
    assert api.client.post("/audit/verify", headers=ada).json()["ok"] is True


def test_oversized_bodies_are_413(small: Any) -> None:
    """Bodies past the limit are 413, declared or streamed, and store nothing."""
    ada, ana = small.headers["ada"], small.headers["ana"]
    big = {"name": "ok1", "org": "acme", "spec": {"pad": "x" * 5000}}
    assert small.client.post("/datasets", headers=ada, json=big).status_code == 413
    rows = PUMPS + "2024-01-01 00:03:00,M2,bernd.schulz,23.0,1505\n" * 200
    r = small.upload("ana", "pumps", "pumps.csv", rows.encode())
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "ok2", "org": "acme", "spec": {"pad": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}}'

    r = small.client.post(
        "/datasets",
        headers={**ana, "Content-Type": "application/json"},
        content=chunks(),
    )
    assert r.status_code == 413
    assert [d.name for d in small.services.pool.datasets(actor="ada")] == ["pumps"]


def test_wrong_content_types_are_415(api: Any) -> None:
    """JSON where a file is due, text where JSON is due, or mismatched parts: 415."""
    ana = api.headers["ana"]
    r = api.client.post("/datasets/pumps/versions", headers=ana, json={"a": 1})
    assert r.status_code == 415
    r = api.client.post(
        "/datasets",
        headers={**ana, "Content-Type": "text/plain"},
        content=b'{"name": "x", "org": "acme"}',
    )
    assert r.status_code == 415
    assert api.upload("ana", "pumps", "pumps.csv", b"a", "image/png").status_code == 415
    assert api.upload("ana", "pumps", "pumps.exe", b"a").status_code == 415
    assert len(api.services.pool.versions("pumps", actor="ada")) == 1


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.csv",  # climbs out
        "..\\..\\win.csv",  # Windows separators
        "/tmp/abs.csv",  # absolute
        "sub/dir.csv",  # a folder
        ".hidden.csv",  # dot file
        "nul\x00.csv",  # NUL byte
    ],
)
def test_path_traversal_in_file_names_is_refused(api: Any, name: str) -> None:
    """Upload file names with folders, traversal or odd bytes are 422."""
    r = api.upload("ana", "pumps", name, PUMPS.encode())
    assert r.status_code == 422, r.text
    assert len(api.services.pool.versions("pumps", actor="ada")) == 1
    assert not any((api.services.settings.home / "tmp").iterdir())
