"""Pure mappings between the programme's domain types and FHIR R4 resources (fhir.resources R4B models).

One module per resource: careplan (Traject), episodeofcare (Traject -> EpisodeOfCare), encounter (Contact),
communication (JournalEntry), careteam (CareTeam), consent (ConsentGrant), task (Task), inclusion
(InclusionAssessment), auditevent (JournalAccess). Each has `to_fhir`, `from_fhir` and, where the resource
can be changed, `update_fhir(existing, domain)`, which keeps everything it does not map. See
mappings/MAPPING.md.
"""
