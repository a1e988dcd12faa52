package org.hvol.sandbox;

import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.interceptor.auth.AuthorizedList;
import ca.uhn.fhir.rest.server.interceptor.auth.SearchNarrowingInterceptor;
import java.util.ArrayList;
import java.util.List;

/**
 * Issue 15: HAPI's own SearchNarrowingInterceptor for a caseload token ({@link Caseload}): a search on a type
 * of the Patient compartment gets "about one of her girls" added to the request itself, before
 * {@link PatientCompartmentAuthorization} looks at it, so that her searches that name no youth (the start
 * page's "my CareTeams") run, confined, instead of being refused. A search that names another youth keeps
 * that name and is refused by the authorization rules: the same answer for a youth who does not exist, as
 * the decision depends on the request alone. Conditional URLs are narrowed the same way.
 * {@link CaseloadSearchNarrowing} repeats the confinement in storage, for what the request does not show.
 */
public class CaseloadRequestNarrowing extends SearchNarrowingInterceptor {

    public CaseloadRequestNarrowing() {
        setNarrowConditionalUrls(true);
    }

    @Override
    protected AuthorizedList buildAuthorizedList(RequestDetails request) {
        Caseload caseload = Caseload.of(request);
        AccessToken token = AccessToken.of(request);
        if (caseload == null || token == null || token.admin()) {
            return null;
        }
        // Patient mode is decided later (ScopeInterceptor); narrowing a patient-level request to her girls
        // plus the launched youth takes nothing from it that the compartment check would give.
        List<String> owners = new ArrayList<>();
        caseload.sorted().forEach(id -> owners.add("Patient/" + id));
        if (token.patient() != null && !caseload.patients().contains(token.patient())) {
            owners.add("Patient/" + token.patient());
        }
        if (owners.isEmpty()) {
            owners.add("Patient/hvol-no-caseload");
        }
        return new AuthorizedList().addCompartments(owners.toArray(String[]::new));
    }
}
