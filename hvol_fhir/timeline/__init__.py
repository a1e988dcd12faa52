"""The CarePlan timeline, drawn as SVG on the server (pure: domain objects in, an SVG string out)."""

from hvol_fhir.timeline.svg import Lane, Row, render

__all__ = ["Lane", "Row", "render"]
