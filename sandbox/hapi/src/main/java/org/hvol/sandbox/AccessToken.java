package org.hvol.sandbox;

import ca.uhn.fhir.rest.api.server.RequestDetails;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The verified claims of one request's bearer token, as HAPI's interceptors need them. */
public record AccessToken(
        String subject,
        List<SmartScopes.Scope> scopes,
        String patient,
        String fhirUser,
        Set<String> journal,
        Set<String> programme,
        Map<String, List<JournalPeriod>> journalPeriods,
        boolean admin) {

    private static final String KEY = AccessToken.class.getName();

    /** Cleared for every journal: the coordinator's "*" or the loader's admin flag. */
    public boolean seesAllJournals() {
        return admin || journal.contains("*");
    }

    /** Cleared for the journal of this Patient (bare id or "Patient/id"). */
    public boolean clearedFor(String patientId) {
        return seesAllJournals() || listed(journal, patientId);
    }

    /**
     * Cleared for this youth's programme data below the journal (confidentiality R + compartment, e.g. the
     * measurement scores): journal clearance, or the `hvol_programme` claim (adds the behavioural scientist).
     */
    public boolean programmeClearedFor(String patientId) {
        return clearedFor(patientId) || programme.contains("*") || listed(programme, patientId);
    }

    /**
     * Issue 14: may this token read a journal entry of this youth written at {@code sent}? A buddy or coach
     * reads only the entries of her own periods on the youth's team (claim `hvol_journal_periods`); no claim
     * for the youth (the coordinator, the loader) means no limit. An entry without a time fails closed.
     */
    public boolean readsEntryAt(String patientId, Instant sent) {
        List<JournalPeriod> periods = journalPeriods.get(bareId(patientId));
        if (seesAllJournals() || periods == null) {
            return true;
        }
        return sent != null && periods.stream().anyMatch(p -> p.contains(sent));
    }

    /** The periods that limit this youth's journal for this token, or null when none do. */
    public List<JournalPeriod> periodsFor(String patientId) {
        return seesAllJournals() ? null : journalPeriods.get(bareId(patientId));
    }

    private static String bareId(String patientId) {
        return patientId != null && patientId.startsWith("Patient/") ? patientId.substring("Patient/".length())
                : patientId;
    }

    private static boolean listed(Set<String> ids, String patientId) {
        if (patientId == null) {
            return false;
        }
        String bare = patientId.startsWith("Patient/") ? patientId.substring("Patient/".length()) : patientId;
        return ids.contains(bare) || ids.contains("Patient/" + bare);
    }

    public void attach(RequestDetails request) {
        request.getUserData().put(KEY, this);
    }

    /** The token of the request (sub-requests of a transaction share their parent's user data). */
    public static AccessToken of(RequestDetails request) {
        if (request == null) {
            return null;
        }
        Object t = request.getUserData().get(KEY);
        return t instanceof AccessToken a ? a : null;
    }
}
