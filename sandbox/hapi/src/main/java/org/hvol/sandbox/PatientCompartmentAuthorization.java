package org.hvol.sandbox;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.RuntimeResourceDefinition;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.interceptor.auth.AuthorizationInterceptor;
import ca.uhn.fhir.rest.server.interceptor.auth.IAuthRule;
import ca.uhn.fhir.rest.server.interceptor.auth.IAuthRuleBuilder;
import ca.uhn.fhir.rest.server.interceptor.auth.PolicyEnum;
import ca.uhn.fhir.rest.server.interceptor.auth.RuleBuilder;
import ca.uhn.fhir.interceptor.auth.CompartmentSearchParameterModifications;
import java.util.List;
import java.util.Set;
import org.hl7.fhir.r4.model.IdType;

/**
 * Confines requests that only patient/ scopes allow to the Patient compartment of the token's `patient`
 * claim, using HAPI's AuthorizationInterceptor (it also checks every resource in the response). Requests
 * allowed by user/ or system/ scopes pass; the types and permissions were checked by {@link ScopeInterceptor}.
 */
public class PatientCompartmentAuthorization extends AuthorizationInterceptor {

    /**
     * R4 leaves Task out of the Patient compartment; the programme's tasks (waiting list, coach contact, 18th
     * birthday talk) are about one youth, so Task.for (search parameter `subject`) puts them in hers. Without
     * this a patient-level token could either write no Task at all or read every youth's tasks.
     */
    private static final CompartmentSearchParameterModifications TASK_FOR =
            CompartmentSearchParameterModifications.fromAdditionalCompartmentParamNames("Task", Set.of("subject"));

    private final FhirContext ctx;

    public PatientCompartmentAuthorization(FhirContext ctx) {
        super(PolicyEnum.DENY);
        this.ctx = ctx;
    }

    @Override
    public List<IAuthRule> buildRuleList(RequestDetails request) {
        AccessToken token = AccessToken.of(request);
        boolean patientMode = Boolean.TRUE.equals(request.getUserData().get(ScopeInterceptor.PATIENT_MODE));
        if (token == null) {
            return new RuleBuilder().allow().metadata().andThen().denyAll("Geen toegangstoken").build();
        }
        if (token.admin() || !patientMode) {
            return new RuleBuilder().allowAll().build();
        }
        IdType patient = new IdType("Patient", token.patient());
        IAuthRuleBuilder rules = new RuleBuilder();
        rules.allow().metadata().andThen()
                .allow().read().allResources().inModifiedCompartment("Patient", patient, TASK_FOR).andThen()
                .allow().write().allResources().inModifiedCompartment("Patient", patient, TASK_FOR).andThen()
                .allow().delete().allResources().inModifiedCompartment("Patient", patient, TASK_FOR).andThen()
                .allow().patch().allRequests().andThen()
                .allow().transaction().withAnyOperation().andApplyNormalRules().andThen()
                .allow().operation().withAnyName().onServer().andRequireExplicitResponseAuthorization().andThen()
                .allow().operation().withAnyName().onAnyType().andRequireExplicitResponseAuthorization().andThen()
                .allow().operation().withAnyName().onAnyInstance().andRequireExplicitResponseAuthorization();
        // Resources outside every patient compartment (Practitioner, Organization, CodeSystem...) stay readable.
        for (String type : ctx.getResourceTypes()) {
            RuntimeResourceDefinition def = ctx.getResourceDefinition(type);
            if (def.getSearchParamsForCompartmentName("Patient").isEmpty() && !"Patient".equals(type)
                    && !"Task".equals(type)) {
                rules.allow().read().resourcesOfType(type).withAnyId();
            }
        }
        return rules.denyAll("Buiten het dossier van de patiënt in het token").build();
    }
}
