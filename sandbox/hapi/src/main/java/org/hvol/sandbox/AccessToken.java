package org.hvol.sandbox;

import ca.uhn.fhir.rest.api.server.RequestDetails;
import java.util.List;
import java.util.Set;

/** The verified claims of one request's bearer token, as HAPI's interceptors need them. */
public record AccessToken(
        String subject,
        List<SmartScopes.Scope> scopes,
        String patient,
        String fhirUser,
        Set<String> journal,
        Set<String> programme,
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
