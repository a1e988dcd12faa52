package org.hvol.sandbox;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.model.api.ResourceMetadataKeyEnum;
import java.util.List;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseCoding;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;

/** The journal's restricted labels (docs/sandbox-contract.md) and who a labelled resource is about. */
final class JournalLabels {

    static final String CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
    static final String COMPARTMENT = "https://hvol-fhir.org/fhir/CodeSystem/security-compartment";
    static final String COMPARTMENT_CODE = "buddy-programme";

    /** Types that carry journal data in practice; conditional writes on them are an existence oracle. */
    static final Set<String> RESTRICTED_TYPES = Set.of("Communication", "AuditEvent", "Consent",
            "QuestionnaireResponse");

    private JournalLabels() {
    }

    static boolean isVeryRestricted(IBaseCoding c) {
        return CONFIDENTIALITY.equals(c.getSystem()) && "V".equals(c.getCode());
    }

    static boolean isCompartment(IBaseCoding c) {
        return COMPARTMENT.equals(c.getSystem()) && COMPARTMENT_CODE.equals(c.getCode());
    }

    static boolean isRestricted(IBaseResource r) {
        if (r == null || r.getMeta() == null) {
            return false;
        }
        for (IBaseCoding c : r.getMeta().getSecurity()) {
            if (isVeryRestricted(c) || isCompartment(c)) {
                return true;
            }
        }
        return false;
    }

    static boolean hasV(IBaseResource r) {
        return r != null && r.getMeta() != null && r.getMeta().getSecurity().stream().anyMatch(JournalLabels::isVeryRestricted);
    }

    static boolean hasCompartment(IBaseResource r) {
        return r != null && r.getMeta() != null && r.getMeta().getSecurity().stream().anyMatch(JournalLabels::isCompartment);
    }

    /** A deleted version (history tombstone) carries no labels, so its type decides. */
    static boolean isDeletedTombstone(IBaseResource r) {
        return r instanceof org.hl7.fhir.r4.model.Resource res
                && ResourceMetadataKeyEnum.DELETED_AT.get(res) != null;
    }

    /**
     * Patients whose compartment holds this resource (subject, patient, AuditEvent entity/agent...). R4 leaves
     * Task out of the Patient compartment; a programme Task (an escalation) is about the youth in Task.for, as
     * PatientCompartmentAuthorization also has it.
     */
    static List<IIdType> patientsOf(FhirContext ctx, IBaseResource r) {
        String type = ctx.getResourceType(r);
        if ("Patient".equals(type)) {
            return List.of(r.getIdElement().toUnqualifiedVersionless());
        }
        if (r instanceof org.hl7.fhir.r4.model.Task task) {
            IIdType youth = task.getFor().getReferenceElement();
            return "Patient".equals(youth.getResourceType()) && youth.hasIdPart()
                    ? List.of(youth.toUnqualifiedVersionless()) : List.of();
        }
        return ctx.newTerser().getCompartmentOwnersForResource("Patient", r, Set.of());
    }

    /** May this token see this resource? Unrestricted: yes. Restricted: only if cleared for one of its patients. */
    static boolean visibleTo(FhirContext ctx, AccessToken token, IBaseResource r) {
        if (token != null && token.seesAllJournals()) {
            return true;
        }
        if (isDeletedTombstone(r)) {
            return !RESTRICTED_TYPES.contains(ctx.getResourceType(r));
        }
        if (!isRestricted(r)) {
            return true;
        }
        if (token == null) {
            return false;
        }
        // Below the journal (R + compartment, no V: measurement scores) programme clearance is enough.
        boolean belowJournal = !hasV(r);
        for (IIdType p : patientsOf(ctx, r)) {
            String youth = p.getIdPart();
            if (token.clearedFor(youth) && (belowJournal || inReadersPeriod(token, youth, r))) {
                return true;
            }
            if (belowJournal && token.programmeClearedFor(youth)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Issue 14: a journal entry (Communication) is read by the buddy and coach of the period it was written in;
     * the token's periods for the youth decide by {@code Communication.sent}. Other journal types are not
     * bound to a period.
     */
    static boolean inReadersPeriod(AccessToken token, String youth, IBaseResource r) {
        if (!(r instanceof org.hl7.fhir.r4.model.Communication entry)) {
            return true;
        }
        return token.readsEntryAt(youth, entry.hasSent() ? entry.getSent().toInstant() : null);
    }
}
