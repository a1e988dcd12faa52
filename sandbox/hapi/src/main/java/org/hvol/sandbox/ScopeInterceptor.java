package org.hvol.sandbox;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Enforces SMART scopes per interaction: every resource type touched by the request (including each entry of a
 * transaction or batch) needs a scope with the right permission (c r u d s). When only patient/ scopes grant
 * it, the request is marked so that {@link PatientCompartmentAuthorization} confines it to the patient.
 */
@Interceptor
public class ScopeInterceptor {

    static final String PATIENT_MODE = ScopeInterceptor.class.getName() + ".patientMode";

    /** Operations anyone with read access to the type may call; all others are for the loader only. */
    private static final Set<String> READ_OPERATIONS = Set.of(
            "$meta", "$validate", "$expand", "$lookup", "$validate-code", "$subsumes", "$translate", "$diff");
    private static final Set<String> UPDATE_OPERATIONS = Set.of("$meta-add", "$meta-delete");

    private static final Set<String> ADMIN_ONLY_TYPES = Set.of("Subscription", "SubscriptionTopic",
            "SearchParameter", "StructureDefinition", "CodeSystem", "ValueSet", "ConceptMap", "Questionnaire");

    private final FhirContext ctx;

    public ScopeInterceptor(FhirContext ctx) {
        this.ctx = ctx;
    }

    record Need(String type, char perm) {
    }

    @Hook(value = Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED, order = -90)
    public void checkScopes(RequestDetails request, RestOperationTypeEnum op) {
        if (op == RestOperationTypeEnum.METADATA || request.isSubRequest()) {
            return; // sub-requests of a transaction were checked with their parent
        }
        AccessToken token = AccessToken.of(request);
        if (token == null) {
            throw new ForbiddenOperationException("Geen toegangstoken.");
        }
        if (token.admin()) {
            return;
        }
        List<Need> needs = needs(request, op);
        for (Need n : needs) {
            // Subscriptions are evaluated by the server itself, past every filter: loader only.
            if (ADMIN_ONLY_TYPES.contains(n.type()) && n.perm() != 'r' && n.perm() != 's') {
                throw new ForbiddenOperationException(n.type() + " schrijven is voorbehouden aan de beheerder.");
            }
        }
        boolean patientMode = false;
        for (Need n : needs) {
            SmartScopes.Grant g = SmartScopes.grant(token.scopes(), n.type(), n.perm());
            if (g == SmartScopes.Grant.PATIENT_COMPARTMENT && token.patient() == null) {
                g = SmartScopes.Grant.NONE;
            }
            if (g == SmartScopes.Grant.NONE) {
                throw new ForbiddenOperationException("Onvoldoende scope: " + describe(n) + " is niet toegestaan.");
            }
            patientMode |= g == SmartScopes.Grant.PATIENT_COMPARTMENT;
        }
        request.getUserData().put(PATIENT_MODE, patientMode);
    }

    private static String describe(Need n) {
        return n.type() + " (" + n.perm() + ")";
    }

    List<Need> needs(RequestDetails request, RestOperationTypeEnum op) {
        String type = request.getResourceName();
        List<Need> out = new ArrayList<>();
        switch (op) {
            case READ, VREAD, HISTORY_INSTANCE -> out.add(new Need(type, 'r'));
            case SEARCH_TYPE, HISTORY_TYPE -> out.add(new Need(type, 's'));
            case SEARCH_SYSTEM -> {
                String[] types = request.getParameters().get("_type");
                if (types == null || types.length == 0) {
                    out.add(new Need("*", 's'));
                } else {
                    for (String t : String.join(",", types).split(",")) {
                        out.add(new Need(t.trim(), 's'));
                    }
                }
            }
            case HISTORY_SYSTEM -> out.add(new Need("*", 's'));
            case CREATE -> out.add(new Need(type, 'c'));
            case UPDATE, PATCH -> out.add(new Need(type, 'u'));
            case DELETE -> out.add(new Need(type, 'd'));
            case GET_PAGE -> { } // a page of a search that was itself checked; consent still filters it
            case TRANSACTION, BATCH -> {
                for (RequestBodies.Entry e : RequestBodies.entries(RequestBodies.parse(ctx, request))) {
                    out.addAll(entryNeeds(e));
                }
            }
            case EXTENDED_OPERATION_SERVER, EXTENDED_OPERATION_TYPE, EXTENDED_OPERATION_INSTANCE, META, META_ADD,
                    META_DELETE, VALIDATE -> out.addAll(operationNeeds(type, request.getOperation(), op));
            default -> throw new ForbiddenOperationException("Interactie " + op + " is niet toegestaan.");
        }
        return out;
    }

    private List<Need> operationNeeds(String type, String operation, RestOperationTypeEnum op) {
        String name = operation == null ? "" : operation;
        String target = type == null || op == RestOperationTypeEnum.EXTENDED_OPERATION_SERVER ? "*" : type;
        if ("$everything".equals(name)) {
            return List.of(new Need("*", 'r'));
        }
        if (READ_OPERATIONS.contains(name) || op == RestOperationTypeEnum.META || op == RestOperationTypeEnum.VALIDATE) {
            return List.of(new Need(target, 'r'));
        }
        if (UPDATE_OPERATIONS.contains(name) || op == RestOperationTypeEnum.META_ADD
                || op == RestOperationTypeEnum.META_DELETE) {
            return List.of(new Need(target, 'u'));
        }
        throw new ForbiddenOperationException("Operatie " + name + " is voorbehouden aan de beheerder.");
    }

    private List<Need> entryNeeds(RequestBodies.Entry e) {
        String type = e.type();
        String opName = e.operation();
        if (type.isEmpty() || type.startsWith("$") || type.startsWith("_")) {
            type = "*";
        }
        if (opName != null) {
            return operationNeeds(type, opName, e.id() != null
                    ? RestOperationTypeEnum.EXTENDED_OPERATION_INSTANCE : RestOperationTypeEnum.EXTENDED_OPERATION_TYPE);
        }
        return switch (e.method()) {
            case "GET", "HEAD" -> List.of(new Need(type, e.id() != null ? 'r' : 's'));
            case "POST" -> List.of(new Need(type, 'c'));
            case "PUT", "PATCH" -> List.of(new Need(type, 'u'));
            case "DELETE" -> List.of(new Need(type, 'd'));
            default -> throw new ForbiddenOperationException("Onbekende methode in bundel: " + e.method());
        };
    }
}
