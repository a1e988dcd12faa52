"""Reading and writing the programme's resources through :class:`hvol_fhir.ehr.FhirClient`.

The I/O edge between the pure domain (``hvol_fhir.programme``, ``hvol_fhir.mapping``) and the EHR: a traject
in at most three round trips (:mod:`.reads`), one transaction per contact and journal entry (:mod:`.writes`),
the paged cohort (:mod:`.cohort`). No Flask here; the web app adapts requests to these calls.
"""
