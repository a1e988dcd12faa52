"""Discovery (R29, R226, R227, R379; smart-launch.md §1.4 and §4.3 scenario 5)."""

from __future__ import annotations

import pytest
import requests
import responses

from hvol_fhir.smart import Discovery, DiscoveryError, InsecureTransport
from hvol_fhir.smart.discovery import OAUTH_URIS, parse_smart_configuration

from .conftest import BASE, FakeClock

WELL_KNOWN = f"{BASE}/.well-known/smart-configuration"
METADATA = f"{BASE}/metadata"


def capability_statement(authorize: str = "https://auth.example.org/authorize") -> dict[str, object]:
    return {
        "resourceType": "CapabilityStatement",
        "rest": [
            {
                "mode": "server",
                "security": {
                    "extension": [
                        {
                            "url": OAUTH_URIS,
                            "extension": [
                                {"url": "authorize", "valueUri": authorize},
                                {"url": "token", "valueUri": "https://auth.example.org/token"},
                            ],
                        }
                    ]
                },
            }
        ],
    }


@pytest.fixture
def discovery(clock: FakeClock) -> Discovery:
    return Discovery(requests.Session(), clock=clock, ttl=600)


def test_well_known_is_read_with_accept_json(discovery: Discovery, rsps: responses.RequestsMock) -> None:
    rsps.add(
        responses.GET,
        WELL_KNOWN,
        json={
            "authorization_endpoint": "https://auth.example.org/authorize",
            "token_endpoint": "https://auth.example.org/token",
            "capabilities": ["permission-v2", "context-passthrough-banner"],
        },
    )
    config = discovery.get(BASE)
    assert config.token_endpoint == "https://auth.example.org/token" and config.source == "well-known"
    assert rsps.calls[0].request.headers["Accept"] == "application/json"  # R227
    assert config.supports("context-banner")  # passthrough alias
    assert config.code_challenge_methods_supported == ()  # absent: tolerated, PKCE is sent anyway


def test_relative_endpoints_resolve_against_the_fhir_base() -> None:
    # R379; the base has a path, so ".well-known" is appended to it, not to the host.
    config = parse_smart_configuration(
        {"authorization_endpoint": "auth/authorize", "token_endpoint": "/t"}, BASE
    )
    assert config.authorization_endpoint == f"{BASE}/auth/authorize"
    assert config.token_endpoint == "https://ehr.example.org/t"


def test_cached_per_issuer_until_ttl(
    discovery: Discovery, rsps: responses.RequestsMock, clock: FakeClock
) -> None:
    other = "https://other.example.org/r4"
    for base in (BASE, other):
        rsps.add(
            responses.GET,
            f"{base}/.well-known/smart-configuration",
            json={"authorization_endpoint": f"{base}/a", "token_endpoint": f"{base}/t"},
        )
    assert discovery.get(BASE).token_endpoint == f"{BASE}/t"
    assert discovery.get(other).token_endpoint == f"{other}/t"
    discovery.get(BASE)
    assert len(rsps.calls) == 2
    clock.advance(601)
    discovery.get(BASE)
    assert len(rsps.calls) == 3


def test_fallback_to_metadata_only_after_404(discovery: Discovery, rsps: responses.RequestsMock) -> None:
    rsps.add(responses.GET, WELL_KNOWN, status=404)
    rsps.add(responses.GET, METADATA, json=capability_statement())
    config = discovery.get(BASE)
    assert (
        config.source == "metadata" and config.authorization_endpoint == "https://auth.example.org/authorize"
    )
    assert [c.request.url for c in rsps.calls] == [WELL_KNOWN, METADATA]


@pytest.mark.parametrize("status", [500, 401, 403])
def test_no_fallback_on_other_errors(discovery: Discovery, rsps: responses.RequestsMock, status: int) -> None:
    rsps.add(responses.GET, WELL_KNOWN, status=status)
    with pytest.raises(DiscoveryError):
        discovery.get(BASE)
    assert len(rsps.calls) == 1


def test_missing_document_and_metadata_without_oauth_uris(
    discovery: Discovery, rsps: responses.RequestsMock
) -> None:
    rsps.add(responses.GET, WELL_KNOWN, status=404)
    rsps.add(responses.GET, METADATA, json={"resourceType": "CapabilityStatement", "rest": [{}]})
    with pytest.raises(DiscoveryError) as err:
        discovery.get(BASE)
    assert "oauth-uris" in str(err.value)
    assert "beheerder" in err.value.message_nl


@pytest.mark.parametrize(
    "kwargs",
    [
        {"body": "<html><body>Login</body></html>", "content_type": "text/html"},
        {"json": ["not", "an", "object"]},
        {"json": {"authorization_endpoint": "https://auth.example.org/authorize"}},  # no token_endpoint
        {"json": {"authorization_endpoint": 42, "token_endpoint": "https://auth.example.org/token"}},
    ],
    ids=["html", "array", "no-token-endpoint", "endpoint-not-string"],
)
def test_malformed_document(
    discovery: Discovery, rsps: responses.RequestsMock, kwargs: dict[str, object]
) -> None:
    rsps.add(responses.GET, WELL_KNOWN, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(DiscoveryError):
        discovery.get(BASE)


def test_oversized_document(discovery: Discovery, rsps: responses.RequestsMock) -> None:
    rsps.add(responses.GET, WELL_KNOWN, body=b"{" + b" " * 2_000_000 + b"}", content_type="application/json")
    with pytest.raises(DiscoveryError, match="larger than"):
        discovery.get(BASE)


def test_network_failure(discovery: Discovery, rsps: responses.RequestsMock) -> None:
    rsps.add(responses.GET, WELL_KNOWN, body=requests.ConnectTimeout("timed out"))
    with pytest.raises(DiscoveryError):
        discovery.get(BASE)


def test_redirect_to_another_host_is_not_followed(discovery: Discovery, rsps: responses.RequestsMock) -> None:
    rsps.add(responses.GET, WELL_KNOWN, status=302, headers={"Location": "https://evil.example.com/conf"})
    with pytest.raises(DiscoveryError, match="another host"):
        discovery.get(BASE)
    assert len(rsps.calls) == 1


def test_same_host_redirect_is_followed(discovery: Discovery, rsps: responses.RequestsMock) -> None:
    moved = "https://ehr.example.org/smart.json"
    rsps.add(responses.GET, WELL_KNOWN, status=301, headers={"Location": "/smart.json"})
    rsps.add(responses.GET, moved, json={"authorization_endpoint": "/a", "token_endpoint": "/t"})
    assert discovery.get(BASE).token_endpoint == "https://ehr.example.org/t"


def test_plain_http_token_endpoint_is_refused(discovery: Discovery, rsps: responses.RequestsMock) -> None:
    # R1: codes and tokens go over TLS only.
    rsps.add(
        responses.GET,
        WELL_KNOWN,
        json={
            "authorization_endpoint": "https://auth.example.org/a",
            "token_endpoint": "http://auth.example.org/t",
        },
    )
    with pytest.raises(InsecureTransport):
        discovery.get(BASE)


def test_loopback_http_allowed_in_sandbox_mode(clock: FakeClock, rsps: responses.RequestsMock) -> None:
    base = "http://127.0.0.1:8802/fhir"
    rsps.add(
        responses.GET,
        f"{base}/.well-known/smart-configuration",
        json={
            "authorization_endpoint": "http://127.0.0.1:8801/authorize",
            "token_endpoint": "http://localhost:8801/token",
        },
    )
    with pytest.raises(InsecureTransport):
        Discovery(requests.Session(), clock=clock).get(base)
    assert len(rsps.calls) == 0
    config = Discovery(requests.Session(), sandbox=True, clock=clock).get(base)
    assert config.token_endpoint == "http://localhost:8801/token"
