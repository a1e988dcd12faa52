"""Counting FHIR round trips, for the benchmarks (design.md "Tests and figures").

The client reports every HTTP attempt it makes, retries and the re-send after a 401 included, to an
optional observer. :class:`RoundTripCounter` is the ready-made one::

    counter = RoundTripCounter()
    client = FhirClient(base, token, counter=counter)
    with counter.span() as span:
        show_timeline(client, ...)
    print(span.count, counter.total)
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class RoundTrip:
    """One HTTP attempt: no URL, no query, no body (they may hold identifiers)."""

    method: str
    resource_type: str  # "" for the system level (transaction, batch, paging)
    status: int | None  # None when no response came back (connection error, timeout)
    attempt: int  # 1 for the first send of a call, 2.. for retries and the re-send after a 401


class RoundTripObserver(Protocol):
    def __call__(self, trip: RoundTrip) -> None: ...


@dataclass
class Span:
    """Round trips seen between entering and leaving :meth:`RoundTripCounter.span`."""

    count: int = 0
    trips: list[RoundTrip] = field(default_factory=list)


class RoundTripCounter:
    """Thread-safe tally of round trips, overall and by method and resource type."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.total = 0
        self.by_method: Counter[str] = Counter()
        self.by_type: Counter[str] = Counter()
        self.retries = 0
        self._spans: list[Span] = []

    def __call__(self, trip: RoundTrip) -> None:
        with self._lock:
            self.total += 1
            self.by_method[trip.method] += 1
            self.by_type[trip.resource_type] += 1
            if trip.attempt > 1:
                self.retries += 1
            for span in self._spans:
                span.count += 1
                span.trips.append(trip)

    def reset(self) -> None:
        with self._lock:
            self.total = self.retries = 0
            self.by_method.clear()
            self.by_type.clear()

    @contextmanager
    def span(self) -> Iterator[Span]:
        """Count the round trips of one block (spans may nest; threads share them)."""
        span = Span()
        with self._lock:
            self._spans.append(span)
        try:
            yield span
        finally:
            with self._lock:
                self._spans.remove(span)
