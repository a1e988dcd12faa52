"""Biweekly measurements (domain.md "Measurements", guide §1.5 and §1.6; issue 7).

The pilot's 0-10 sliders as an SDC Questionnaire (mappings/Questionnaire/hvol-measurement), answered
together by
the youth and her buddy and stored as a QuestionnaireResponse `basedOn` the traject's CarePlan; a Task due
every
two weeks during the contact period; trends per item; a cohort report in the spirit of §1.6.

Pure modules: `questionnaire` (the Questionnaire as data), `model`, `validate`, `fhir` (mapping both ways),
`schedule`, `report`, `trend`, `access`. I/O only in `store` (FHIR REST through `hvol_fhir.ehr.FhirClient`).
"""

from hvol_fhir.measurements.model import Measurement, MeasurementTask
from hvol_fhir.measurements.questionnaire import ItemDef, QuestionnaireDef, questionnaire

__all__ = ["ItemDef", "Measurement", "MeasurementTask", "QuestionnaireDef", "questionnaire"]
