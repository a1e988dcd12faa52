package org.hvol.sandbox;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.validation.JpaValidationSupportChain;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * HAPI 8's validation chain caches misses and never expires StructureDefinitions: after a conformance resource
 * is stored, flush those caches (after commit) so a profile uploaded late is still honoured.
 */
@Interceptor
public class ConformanceCacheInterceptor {

    private static final Set<String> TYPES = Set.of("StructureDefinition", "ValueSet", "CodeSystem", "Questionnaire",
            "ConceptMap", "SearchParameter");
    private final JpaValidationSupportChain chain;

    public ConformanceCacheInterceptor(JpaValidationSupportChain chain) {
        this.chain = chain;
    }

    @Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED)
    public void created(IBaseResource resource) {
        flushIfConformance(resource);
    }

    @Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_UPDATED)
    public void updated(IBaseResource previous, IBaseResource resource) {
        flushIfConformance(resource);
    }

    private void flushIfConformance(IBaseResource resource) {
        if (resource == null || !TYPES.contains(resource.fhirType())) {
            return;
        }
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    chain.invalidateCaches();
                }
            });
        } else {
            chain.invalidateCaches();
        }
    }
}
