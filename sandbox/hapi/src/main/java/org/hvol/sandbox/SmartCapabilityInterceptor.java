package org.hvol.sandbox;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.UriType;

/** Advertises SMART on FHIR in CapabilityStatement.rest.security (oauth-uris extension + service code). */
@Interceptor
public class SmartCapabilityInterceptor {

    private final SandboxSettings settings;

    public SmartCapabilityInterceptor(SandboxSettings settings) {
        this.settings = settings;
    }

    @Hook(Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED)
    public void addSecurity(IBaseConformance conformance) {
        if (!(conformance instanceof CapabilityStatement cs)) {
            return;
        }
        for (CapabilityStatement.CapabilityStatementRestComponent rest : cs.getRest()) {
            CapabilityStatement.CapabilityStatementRestSecurityComponent sec = rest.getSecurity();
            sec.setCors(true);
            sec.getService().clear();
            sec.addService(new CodeableConcept().addCoding(new org.hl7.fhir.r4.model.Coding(
                    "http://terminology.hl7.org/CodeSystem/restful-security-service", "SMART-on-FHIR",
                    "SMART-on-FHIR")).setText("OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)"));
            sec.getExtension().removeIf(e -> e.getUrl().endsWith("/oauth-uris"));
            Extension oauth = sec.addExtension();
            oauth.setUrl("http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris");
            if (!settings.tokenUrl().isBlank()) {
                oauth.addExtension("token", new UriType(settings.tokenUrl()));
            }
            if (!settings.authorizeUrl().isBlank()) {
                oauth.addExtension("authorize", new UriType(settings.authorizeUrl()));
            }
        }
    }
}
