"""The programme's domain (domain.md): typed frozen dataclasses (`model`), its codes (`codes`), time helpers
(`clock`) and the P-… rules as pure functions returning alerts (`rules`). No I/O, no FHIR, no Flask."""
