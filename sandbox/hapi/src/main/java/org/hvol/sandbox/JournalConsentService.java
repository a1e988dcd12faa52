package org.hvol.sandbox;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.interceptor.consent.ConsentOutcome;
import ca.uhn.fhir.rest.server.interceptor.consent.IConsentContextServices;
import ca.uhn.fhir.rest.server.interceptor.consent.IConsentService;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * Silently filters restricted resources for tokens without clearance for their patient: reads (404), searches,
 * includes, history, $everything and transaction/batch reads; HAPI then also clears Bundle.total and refuses
 * _summary=count and _total=accurate for such requests. For searches this is the second layer: it filters after
 * the database has answered, so paging and timing would still depend on hidden rows; JournalSearchNarrowing
 * keeps them out of the query itself.
 */
public class JournalConsentService implements IConsentService {

    private final FhirContext ctx;

    public JournalConsentService(FhirContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public ConsentOutcome startOperation(RequestDetails request, IConsentContextServices services) {
        AccessToken token = AccessToken.of(request);
        // Fully cleared callers skip consent entirely (and keep totals); everyone else is filtered.
        return token != null && token.seesAllJournals() ? ConsentOutcome.AUTHORIZED : ConsentOutcome.PROCEED;
    }

    @Override
    public boolean shouldProcessCanSeeResource(RequestDetails request, IConsentContextServices services) {
        return true;
    }

    @Override
    public ConsentOutcome canSeeResource(RequestDetails request, IBaseResource resource,
            IConsentContextServices services) {
        return JournalLabels.visibleTo(ctx, AccessToken.of(request), resource)
                ? ConsentOutcome.PROCEED : ConsentOutcome.REJECT;
    }

    @Override
    public ConsentOutcome willSeeResource(RequestDetails request, IBaseResource resource,
            IConsentContextServices services) {
        // Also catches resources that reach the response without passing canSeeResource (write echoes etc.).
        if (resource == null || "OperationOutcome".equals(resource.fhirType()) || "Bundle".equals(resource.fhirType())) {
            return ConsentOutcome.PROCEED;
        }
        return JournalLabels.visibleTo(ctx, AccessToken.of(request), resource)
                ? ConsentOutcome.PROCEED : ConsentOutcome.REJECT;
    }
}
