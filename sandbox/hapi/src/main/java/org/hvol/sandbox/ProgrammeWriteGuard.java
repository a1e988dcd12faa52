package org.hvol.sandbox;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import java.util.List;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.CanonicalType;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Communication;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Reference;

/**
 * Who may write the resources that clearance is derived from, and who may write a journal entry (issue 13,
 * causes 1 and 5).
 *
 * <p>The authorization server derives journal clearance from CareTeams (buddy, coach) and PractitionerRoles
 * (coordinator). If anyone with a write scope could write those, anyone could give herself clearance with one
 * request and read every journal with the next token. So:
 *
 * <ul>
 *   <li>a CareTeam or PractitionerRole that carries a programme code (careteam-role, or the programme
 *       category) before or after the write may be created, changed or deleted only by a token in the
 *       coordinator's role: full journal clearance ({@link AccessToken#seesAllJournals()}, i.e. {@code
 *       hvol_journal} = ["*"], which the authorization server issues only to a current coordinator or to a
 *       Backend Services client registered with it, such as the transfer service), or the loader;</li>
 *   <li>a journal entry (a Communication with the restricted labels, a journal-kind category or the journal
 *       profile) may be created or changed only with journal clearance for every youth it is about, and only
 *       with {@code sender} = the caller's {@code fhirUser} (relative): no entry in a buddy's name by someone
 *       else. An update
 *       may not take over another author's entry either. A token without {@code fhirUser} (Backend Services)
 *       needs a {@code system/} scope and clearance: a registered service copying entries keeps their author.</li>
 * </ul>
 *
 * <p>The checks run on the storage pointcuts, not on the request: every way a write reaches the database
 * (create, update, conditional create/update/delete, JSON and FHIRPath PATCH, batch and transaction entries)
 * passes them with the resource exactly as it will be stored, and the previous version for updates. Refusing
 * there rolls the whole transaction back.
 */
@Interceptor
public class ProgrammeWriteGuard {

    static final String CARETEAM_ROLE = "https://hvol-fhir.org/fhir/CodeSystem/careteam-role";
    static final String PROGRAMME = "https://hvol-fhir.org/fhir/CodeSystem/programme";
    static final String JOURNAL_KIND = "https://hvol-fhir.org/fhir/CodeSystem/journal-kind";
    static final String JOURNAL_PROFILE = "https://hvol-fhir.org/fhir/StructureDefinition/hvol-journal-communication";

    private final FhirContext ctx;

    public ProgrammeWriteGuard(FhirContext ctx) {
        this.ctx = ctx;
    }

    @Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED)
    public void created(IBaseResource resource, RequestDetails request) {
        check(request, null, resource);
    }

    @Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
    public void updated(IBaseResource previous, IBaseResource updated, RequestDetails request) {
        check(request, previous, updated);
    }

    @Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_DELETED)
    public void deleted(IBaseResource resource, RequestDetails request) {
        check(request, resource, null);
    }

    private void check(RequestDetails request, IBaseResource before, IBaseResource after) {
        boolean teamOrRole = isProgrammeTeamOrRole(before) || isProgrammeTeamOrRole(after);
        boolean journal = isJournalEntry(before) || isJournalEntry(after);
        if (!teamOrRole && !journal) {
            return;
        }
        AccessToken token = AccessToken.of(request);
        if (token == null) {
            // The server's own writes (no client request behind them) pass; a client request always has a token.
            if (request == null || request instanceof SystemRequestDetails) {
                return;
            }
            throw refused("Geen toegangstoken.");
        }
        if (token.admin()) {
            return;
        }
        if (teamOrRole && !token.seesAllJournals()) {
            throw refused("Alleen de coördinator mag een zorgteam of rol van het programma aanmaken, wijzigen of "
                    + "verwijderen.");
        }
        if (journal && after != null) {
            checkJournalWrite(token, before, after);
        }
    }

    private void checkJournalWrite(AccessToken token, IBaseResource before, IBaseResource after) {
        if (!token.seesAllJournals()) {
            checkYouthCleared(token, after);
        }
        if (token.fhirUser() == null) {
            if (!hasSystemScope(token)) {
                throw refused("Een dagboekverslag schrijven vraagt een gebruiker (fhirUser) als afzender.");
            }
            return; // a registered Backend Services client with clearance: it copies entries with their author
        }
        if (!isCaller(token, sender(after))) {
            throw refused("De afzender (sender) van een dagboekverslag moet de gebruiker van dit token zijn.");
        }
        if (isJournalEntry(before) && !isCaller(token, sender(before))) {
            throw refused("Een dagboekverslag van iemand anders mag niet worden overgenomen.");
        }
        // Issue 14: the entry's period is the running one by the server's clock (JournalPeriod.refusal).
        if (after instanceof Communication entry && entry.getSubject().getReferenceElement().hasIdPart()) {
            String why = JournalPeriod.refusal(token, entry.getSubject().getReferenceElement().getIdPart(),
                    before instanceof Communication was ? was : null, entry, java.time.Instant.now());
            if (why != null) {
                throw refused(why);
            }
        }
    }

    /**
     * Clearance for every youth the entry is about. The subject must be a literal Patient/id: inside a
     * transaction HAPI stores an entry before it replaces urn:uuid placeholders and match URLs with ids, so
     * such a subject cannot be checked here and is refused (only a token cleared for all youths may use one).
     */
    private void checkYouthCleared(AccessToken token, IBaseResource after) {
        Reference subject = after instanceof Communication c ? c.getSubject() : null;
        String ref = subject == null ? null : subject.getReference();
        IdType subjectId = ref == null || ref.startsWith("urn:") || ref.contains("?") ? null : new IdType(ref);
        if (subjectId == null || !"Patient".equals(subjectId.getResourceType()) || !subjectId.hasIdPart()) {
            throw refused("Een dagboekverslag moet over één jongere gaan (subject=Patient/...).");
        }
        // The terser's compartment owners include the Practitioner sender: only the Patients are youths.
        List<IIdType> youths = JournalLabels.patientsOf(ctx, after).stream()
                .filter(id -> !id.hasResourceType() || "Patient".equals(id.getResourceType()))
                .toList();
        if (!token.clearedFor(subjectId.getIdPart())) {
            throw refused("Dit token mag het dagboek van deze jongere niet schrijven.");
        }
        for (IIdType youth : youths) {
            String id = youth.getValue() == null ? null : youth.getIdPart();
            if (id == null || youth.getValue().startsWith("urn:") || !token.clearedFor(id)) {
                throw refused("Dit token mag het dagboek van deze jongere niet schrijven.");
            }
        }
    }

    private static boolean hasSystemScope(AccessToken token) {
        return token.scopes().stream().anyMatch(s -> s.context() == SmartScopes.Context.SYSTEM
                && s.covers("Communication", 'c'));
    }

    private static String sender(IBaseResource r) {
        return r instanceof Communication c && c.hasSender() ? c.getSender().getReference() : null;
    }

    /**
     * Is this reference the token's user? Only a relative Practitioner/id (a version suffix is ignored): an
     * absolute URL could name the same id at another server, so it is never "the caller".
     */
    static boolean isCaller(AccessToken token, String reference) {
        if (reference == null || token.fhirUser() == null || reference.startsWith("#") || reference.contains("?")) {
            return false;
        }
        IdType ref = new IdType(reference);
        if (ref.isAbsolute() || !ref.hasResourceType() || !ref.hasIdPart()) {
            return false;
        }
        IdType user = new IdType(token.fhirUser()).toUnqualifiedVersionless();
        return ref.toUnqualifiedVersionless().getValue().equals(user.getValue());
    }

    /** A CareTeam or PractitionerRole that carries any programme code anywhere in it. */
    boolean isProgrammeTeamOrRole(IBaseResource r) {
        if (r == null || !("CareTeam".equals(r.fhirType()) || "PractitionerRole".equals(r.fhirType()))) {
            return false;
        }
        return hasCodingFrom(r, CARETEAM_ROLE) || hasCodingFrom(r, PROGRAMME);
    }

    /** A journal entry: a Communication with a restricted label, a journal-kind code or the journal profile. */
    boolean isJournalEntry(IBaseResource r) {
        if (r == null || !"Communication".equals(r.fhirType())) {
            return false;
        }
        if (JournalLabels.isRestricted(r) || hasCodingFrom(r, JOURNAL_KIND)) {
            return true;
        }
        return r.getMeta() != null && r.getMeta().getProfile().stream()
                .anyMatch(p -> p instanceof CanonicalType c && c.getValue() != null
                        && c.getValue().startsWith(JOURNAL_PROFILE));
    }

    private boolean hasCodingFrom(IBaseResource r, String system) {
        return ctx.newTerser().getAllPopulatedChildElementsOfType(r, Coding.class).stream()
                .anyMatch(c -> system.equals(c.getSystem()));
    }

    private static ForbiddenOperationException refused(String message) {
        return new ForbiddenOperationException(message);
    }
}
