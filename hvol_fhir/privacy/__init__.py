"""Who may see and do what in the programme (design.md, "Privacy"), as pure decisions the pages ask.

- ``features``: the parts of the app with their Dutch labels and SMART permissions, the role table and the
  card-only rule (P-MENTOR); ``roles``: the user's role on this youth from signed memberships, and
  :class:`~hvol_fhir.privacy.roles.RolePolicy`, what the pages ask;
- ``access``: who reads and writes which journal, discloses, overrides, and opens which sealed content;
- ``audit``: the AuditEvents of journal access; ``guard``: the labels checked on what the EHR sends back.

The security labels themselves are FHIR encoding and live with the mappers (:mod:`hvol_fhir.mapping.labels`):
privacy builds on mapping, never the other way round.
"""
