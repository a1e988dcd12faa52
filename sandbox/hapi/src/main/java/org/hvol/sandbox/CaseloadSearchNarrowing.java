package org.hvol.sandbox;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.RuntimeResourceDefinition;
import ca.uhn.fhir.context.RuntimeSearchParam;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.param.ReferenceOrListParam;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.param.TokenOrListParam;
import ca.uhn.fhir.rest.server.util.ICachedSearchDetails;
import java.util.List;

/**
 * Issue 15: every search of a caseload token ({@link Caseload}: a buddy's or coach's user-level token) on a
 * type of the Patient compartment is ANDed, before it runs, with "about one of her girls" on the type's
 * compartment parameter ({@code patient=P1,P2}; {@code _id} for Patient; {@code subject} for Task, as in
 * {@link PatientCompartmentAuthorization}). A query naming another youth, directly, in a chain or a `_has`,
 * then matches nothing, exactly as for a youth who does not exist: pages, counts and timing never depend on
 * other youths' data, however the search is sent (GET, POST `_search`, batch or transaction entries, the
 * match search of a conditional write). Types outside the compartment (Practitioner, Questionnaire ...) are
 * not about a youth and are left alone. Modelled on HAPI's SearchNarrowingInterceptor.
 */
@Interceptor
public class CaseloadSearchNarrowing {

    private final FhirContext ctx;

    public CaseloadSearchNarrowing(FhirContext ctx) {
        this.ctx = ctx;
    }

    @Hook(Pointcut.STORAGE_PRESEARCH_REGISTERED)
    public void narrow(RequestDetails request, SearchParameterMap map, ICachedSearchDetails search) {
        Caseload caseload = request == null ? null : Caseload.confining(request);
        String type = search == null ? null : search.getResourceType();
        if (caseload == null || type == null) {
            return;
        }
        List<String> girls = caseload.sorted();
        AccessToken token = AccessToken.of(request);
        if (token != null && token.patient() != null && !girls.contains(token.patient())) {
            girls = new java.util.ArrayList<>(girls);
            girls.add(token.patient());
        }
        if (girls.isEmpty()) {
            girls = List.of("hvol-no-caseload");
        }
        String param = compartmentParam(type);
        if (param == null) {
            return;
        }
        if ("_id".equals(param)) {
            TokenOrListParam ids = new TokenOrListParam();
            girls.forEach(id -> ids.addOr(new ca.uhn.fhir.rest.param.TokenParam(id)));
            map.add("_id", ids);
            return;
        }
        ReferenceOrListParam or = new ReferenceOrListParam();
        girls.forEach(id -> or.addOr(new ReferenceParam("Patient/" + id)));
        map.add(param, or);
    }

    /** The parameter that ties a resource of {@code type} to its youth, or null outside the compartment. */
    private String compartmentParam(String type) {
        if ("Patient".equals(type)) {
            return "_id";
        }
        if ("Task".equals(type)) {
            return "subject";
        }
        RuntimeResourceDefinition def = ctx.getResourceDefinition(type);
        List<RuntimeSearchParam> params = def.getSearchParamsForCompartmentName("Patient");
        if (params.isEmpty()) {
            return null;
        }
        for (String preferred : List.of("patient", "subject")) {
            if (params.stream().anyMatch(p -> p.getName().equals(preferred))) {
                return preferred;
            }
        }
        return params.get(0).getName();
    }
}
