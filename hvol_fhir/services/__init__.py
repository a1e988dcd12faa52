"""The programme's use cases, one function per thing a person does (issue 16).

Shape (as :mod:`hvol_fhir.transfer.service`): the rules are pure functions in :mod:`hvol_fhir.programme`
and the mappings in :mod:`hvol_fhir.mapping`; a service is the I/O shell around them. It takes a
:class:`Caller` (a FHIR client with the user's token, who she is and her role, the clock, a lock) and a typed
command, checks the role, runs the rules, writes, and returns a typed result or raises an error of
:mod:`hvol_fhir.errors`. Web frameworks only adapt: form to command, result to page, error to message.

- :mod:`.contacts`: ``record_contact`` (held with its journal entry, or planned), ``record_coach_contact``
- :mod:`.journal`: ``read_journal``, ``amend_entry``, ``write_coaching_entry``
- :mod:`.disclosure`: ``disclose`` (sharing under the youth's consent), ``override_for_danger``
- :mod:`.measurements`: ``record_measurement`` (the biweekly fill-in)

Audit (one policy, :mod:`.audit`): every journal write carries its AuditEvent in its own transaction; every
read writes its AuditEvent before any content is returned, and without it returns nothing
(:class:`~.audit.AuditUnavailable`).
"""

from hvol_fhir.services.audit import AuditUnavailable
from hvol_fhir.services.caller import Caller

__all__ = ["AuditUnavailable", "Caller"]
