"""The project's one FHIR R4 REST client: :class:`FhirClient` and its helpers.

- :mod:`.client`: read, search and paging, create (conditional), update (If-Match), transaction, batch.
- :mod:`.http`: one exchange with auth, the 401 hook, retries, JSON checks; never logs bodies or URLs.
- :mod:`.errors`: EhrError subclasses inside the library's HvolError tree.
- :mod:`.outcome`: OperationOutcome -> plain Dutch words, without echoing content.
- :mod:`.bundle`, :mod:`.paging`: pure helpers for transaction Bundles and search pages.
- :mod:`.counting`: the round-trip counter for the benchmarks.
"""

from . import bundle, paging
from .client import CreateResult, FhirClient
from .counting import RoundTrip, RoundTripCounter
from .errors import (
    AmbiguousMatch,
    BadResponse,
    EhrDown,
    EhrError,
    EhrForbidden,
    EhrNotFound,
    EhrRejected,
    OutcomeUnknown,
    PageLimitReached,
    SessionExpired,
    UntrustedLink,
    VersionConflict,
)
from .http import NO_RETRY, Auth, RetryPolicy, UnauthorizedHook
from .outcome import Outcome, parse_outcome

__all__ = [
    "NO_RETRY",
    "AmbiguousMatch",
    "Auth",
    "BadResponse",
    "CreateResult",
    "EhrDown",
    "EhrError",
    "EhrForbidden",
    "EhrNotFound",
    "EhrRejected",
    "FhirClient",
    "Outcome",
    "OutcomeUnknown",
    "PageLimitReached",
    "RetryPolicy",
    "RoundTrip",
    "RoundTripCounter",
    "SessionExpired",
    "UnauthorizedHook",
    "UntrustedLink",
    "VersionConflict",
    "bundle",
    "paging",
    "parse_outcome",
]
