"""Which requested scopes a client gets: requested ∩ allowed, with v1/v2 permissions and wildcards."""

from __future__ import annotations

import pytest

from sandbox.auth.scopes import grant_scopes, parse_resource_scope

ALLOWED = ["launch", "openid", "fhirUser", "patient/*.rs", "user/Communication.cruds", "system/*.read"]


@pytest.mark.parametrize(
    ("requested", "granted"),
    [
        (["patient/Patient.rs"], ["patient/Patient.rs"]),
        (["patient/Patient.read"], ["patient/Patient.read"]),  # v1 read = v2 rs
        (["patient/*.read"], ["patient/*.read"]),
        (["patient/Patient.r"], ["patient/Patient.r"]),
        (["patient/Patient.cruds"], []),  # wider than allowed
        (["patient/*.write"], []),
        (["user/Communication.write"], ["user/Communication.write"]),
        (["user/Communication.rs?category=x"], ["user/Communication.rs?category=x"]),
        (["user/Patient.rs"], []),  # other type, no wildcard
        (["system/Patient.rs"], ["system/Patient.rs"]),
        (["openid", "profile", "fhirUser"], ["openid", "fhirUser"]),  # narrower grant: profile dropped
        (["launch/patient"], []),  # not registered for this client
        (["bogus", "patient/Patient.sr"], []),  # letters out of order are not a v2 scope
    ],
)
def test_grant_is_requested_intersected_with_allowed(requested: list[str], granted: list[str]) -> None:
    assert grant_scopes(requested, ALLOWED) == granted


def test_query_restricted_allowance_covers_only_that_query() -> None:
    allowed = ["patient/Observation.rs?category=vital-signs"]
    assert grant_scopes(["patient/Observation.rs?category=vital-signs"], allowed)
    assert not grant_scopes(["patient/Observation.rs"], allowed)


def test_parse_recognises_v1_and_v2() -> None:
    v1 = parse_resource_scope("user/*.*")
    v2 = parse_resource_scope("user/*.cruds")
    assert v1 is not None and v2 is not None
    assert v1.permissions == v2.permissions == frozenset("cruds")
    assert parse_resource_scope("openid") is None
