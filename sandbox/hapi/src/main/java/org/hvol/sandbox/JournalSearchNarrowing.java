package org.hvol.sandbox;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.RuntimeSearchParam;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.model.api.IQueryParameterType;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.param.DateParam;
import ca.uhn.fhir.rest.param.HasParam;
import ca.uhn.fhir.rest.param.ParamPrefixEnum;
import ca.uhn.fhir.rest.param.ReferenceOrListParam;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.param.TokenOrListParam;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.param.TokenParamModifier;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.util.ICachedSearchDetails;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.hl7.fhir.instance.model.api.IIdType;

/**
 * Narrows every JPA search of a token without clearance BEFORE it runs, so that it never matches a resource
 * the token may not see. The consent service filters afterwards as a second layer, but filtering alone
 * leaks through what the search did before the filter: HAPI sizes pages and builds `next` links from the
 * raw matches (counts through paging, issue 13 cause 4) and spends time loading every hidden match (cause
 * 10). A query that excludes the labels answers the same whether hidden entries exist or not.
 *
 * <p>STORAGE_PRESEARCH_REGISTERED also fires for the match searches of conditional creates, updates, patches,
 * deletes and conditional references (single requests and bundle entries). There this class also confines
 * the match to the token's patient compartment in patient mode, so a conditional create can neither find nor
 * return another youth's resource (cause 9). Modelled on HAPI's SearchNarrowingInterceptor.
 */
@Interceptor
public class JournalSearchNarrowing {

    private static final Set<RestOperationTypeEnum> WRITES = Set.of(RestOperationTypeEnum.CREATE,
            RestOperationTypeEnum.UPDATE, RestOperationTypeEnum.PATCH, RestOperationTypeEnum.DELETE,
            RestOperationTypeEnum.TRANSACTION, RestOperationTypeEnum.BATCH);

    private static final String JOURNAL = "Communication";
    private static final String NOTHING = "hvol-no-period";

    private final FhirContext ctx;
    private final DaoRegistry daos;

    public JournalSearchNarrowing(FhirContext ctx, DaoRegistry daos) {
        this.ctx = ctx;
        this.daos = daos;
    }

    @Hook(Pointcut.STORAGE_PRESEARCH_REGISTERED)
    public void narrow(RequestDetails request, SearchParameterMap map, ICachedSearchDetails search) {
        AccessToken token = AccessToken.of(request);
        if (token == null || token.admin()) {
            return; // internal searches (no request token) and the loader
        }
        String type = search == null ? null : search.getResourceType();
        if (request != null && WRITES.contains(request.getRestOperationType())
                && Boolean.TRUE.equals(request.getUserData().get(ScopeInterceptor.PATIENT_MODE))) {
            confineToPatient(map, type, token.patient());
        }
        if (token.seesAllJournals()) {
            return;
        }
        String youth = confinedYouth(map, request, type);
        boolean hideJournal;
        boolean hideProgramme;
        if (youth != null) {
            // Confined to one youth: her clearance decides for everything the search can match.
            hideJournal = !token.clearedFor(youth);
            hideProgramme = !token.programmeClearedFor(youth);
            if (!hideJournal && "Communication".equals(type)) {
                confineToPeriods(map, youth, token.periodsFor(youth));
            }
            if (!hideJournal && token.periodsFor(youth) != null) {
                refuseProbesIntoJournal(map, type);
            }
        } else if ("Communication".equals(type) && !token.journalPeriods().isEmpty()) {
            // Issue 14: naming no youth, her periods cannot all be written into one search (the periods differ
            // per youth), so the search is confined to her one youth with its periods, or refused.
            confineToOnlyYouthsPeriods(map, token);
            return;
        } else if (!token.journal().isEmpty() && JournalLabels.RESTRICTED_TYPES.contains(type)) {
            // Not confined, on a journal type, by a token cleared for some youths (a buddy or coach). Filtering
            // afterwards would let paging, counts and timing depend on other youths' hidden entries, and
            // "labelled AND about one of them, OR unlabelled" cannot be written as a search. So the search is
            // confined to her cleared youths: one OR parameter, ANDed with whatever the query asks. She then
            // matches nothing she may not see, and finds her own entries as before (Communication?_id=...).
            confineToClearedYouths(map, token);
            return;
        } else {
            // Not confined, on a type that holds no journal in practice (or by a token without any clearance).
            // Without any clearance the search is narrowed, which covers regular staff, mentors and the
            // behavioural scientist's journal level; a partly cleared token is left to the consent filter here.
            hideJournal = token.journal().isEmpty();
            hideProgramme = hideJournal && token.programme().isEmpty();
        }
        // Journal level: confidentiality V. Programme data below it: the compartment code without V.
        if (hideJournal) {
            map.add("_security", not(JournalLabels.CONFIDENTIALITY, "V"));
        }
        if (hideProgramme) {
            map.add("_security", not(JournalLabels.COMPARTMENT, JournalLabels.COMPARTMENT_CODE));
        }
    }

    /**
     * Issue 14: a buddy's or coach's search of one youth's journal matches only entries sent within her
     * periods, before it runs, so paging, counts and timing do not depend on another buddy's entries. One
     * period (after merging) is a date range: {@code sent=ge<start>&sent=lt<end>}. Several periods with gaps
     * between them cannot be written as date clauses (HAPI's OR lists of prefixed dates do not mean "before or
     * after"), so her entries are first found period by period with a range search each, which never touches
     * the entries in a gap, and her search is confined to their ids ({@code _id=a,b,...}, ANDed with her query).
     */
    private void confineToPeriods(SearchParameterMap map, String youth, List<JournalPeriod> periods) {
        if (periods == null) {
            return;
        }
        List<JournalPeriod> merged = JournalPeriod.union(periods);
        if (merged == null || merged.isEmpty()) {
            map.add("_id", new TokenParam(NOTHING)); // nothing to read: match nothing
            return;
        }
        if (merged.size() == 1) {
            addRange(map, merged.get(0));
            return;
        }
        TokenOrListParam ids = new TokenOrListParam();
        IFhirResourceDao<?> entries = daos.getResourceDao(JOURNAL);
        for (JournalPeriod period : merged) {
            SearchParameterMap own = SearchParameterMap.newSynchronous();
            own.add("patient", new ReferenceParam("Patient/" + youth));
            addRange(own, period);
            for (IIdType id : entries.searchForResourceIds(own, new SystemRequestDetails())) {
                ids.addOr(new TokenParam(id.getIdPart()));
            }
        }
        if (ids.getValuesAsQueryTokens().isEmpty()) {
            ids.addOr(new TokenParam(NOTHING));
        }
        map.add("_id", ids);
    }

    private static void addRange(SearchParameterMap map, JournalPeriod period) {
        if (period.start() != null) {
            map.add("sent", new DateParam(ParamPrefixEnum.GREATERTHAN_OR_EQUALS, Date.from(period.start())));
        }
        if (period.end() != null) {
            map.add("sent", new DateParam(ParamPrefixEnum.LESSTHAN, Date.from(period.end())));
        }
    }

    /** A Communication search naming no youth by a token with periods: confined to her only youth, or 403. */
    private void confineToOnlyYouthsPeriods(SearchParameterMap map, AccessToken token) {
        Set<String> youths = new TreeSet<>();
        token.journal().forEach(id -> youths.add(bare(id)));
        if (token.patient() != null && token.clearedFor(token.patient())) {
            youths.retainAll(Set.of(bare(token.patient()))); // a launch for one youth: the server keeps her in it
        }
        if (youths.size() != 1) {
            throw nameTheYouth();
        }
        String youth = youths.iterator().next();
        map.add("patient", new ReferenceParam("Patient/" + youth));
        confineToPeriods(map, youth, token.periodsFor(youth));
    }

    /**
     * Issue 14: a search of another type can still ask about journal entries of other periods through `_has`
     * or a chain into Communication (Encounter?_has:Communication:encounter:sender=...: "which contacts have an
     * entry by the previous buddy"). Those parts of a search cannot be bounded by her periods, so for a token
     * whose journal is limited to periods they are refused, whatever the data (403 is no oracle).
     */
    private void refuseProbesIntoJournal(SearchParameterMap map, String type) {
        for (var param : map.entrySet()) {
            for (List<IQueryParameterType> or : param.getValue()) {
                for (IQueryParameterType value : or) {
                    if (value instanceof HasParam has && (JOURNAL.equals(has.getTargetResourceType())
                            || String.valueOf(has.getParameterName()).contains(JOURNAL))) {
                        throw probeRefused();
                    }
                    if (value instanceof ReferenceParam ref && ref.getChain() != null && !ref.getChain().isEmpty()
                            && chainMayReachJournal(type, param.getKey(), ref)) {
                        throw probeRefused();
                    }
                }
            }
        }
    }

    private boolean chainMayReachJournal(String type, String name, ReferenceParam ref) {
        if (JOURNAL.equals(ref.getResourceType()) || ref.getChain().contains(JOURNAL)) {
            return true;
        }
        if (ref.getResourceType() != null && !ref.getResourceType().isEmpty()) {
            return false;
        }
        RuntimeSearchParam sp = type == null ? null : ctx.getResourceDefinition(type).getSearchParam(name);
        return sp == null || sp.getTargets().isEmpty() || sp.getTargets().contains(JOURNAL);
    }

    private static ForbiddenOperationException probeRefused() {
        return new ForbiddenOperationException("Zoeken via journaalverslagen (_has of een keten naar Communication) "
                + "kan niet met dit token: zoek de verslagen zelf (Communication?patient=...).");
    }

    /**
     * Adds {@code patient=P1,P2,...} (her cleared youths). Every restricted type has a `patient` parameter.
     * Programme clearance for a youth whose journal she may not see cannot be expressed in the same OR (it
     * would match that youth's journal entries too), so such a token is refused: name the youth instead.
     */
    private static void confineToClearedYouths(SearchParameterMap map, AccessToken token) {
        Set<String> youths = new TreeSet<>();
        for (String id : token.journal()) {
            youths.add(bare(id));
        }
        for (String id : token.programme()) {
            if (!youths.contains(bare(id))) {
                throw nameTheYouth();
            }
        }
        ReferenceOrListParam or = new ReferenceOrListParam();
        for (String youth : youths) {
            or.addOr(new ReferenceParam("Patient/" + youth));
        }
        map.add("patient", or);
    }

    private static String bare(String id) {
        return id.startsWith("Patient/") ? id.substring("Patient/".length()) : id;
    }

    static ForbiddenOperationException nameTheYouth() {
        return new ForbiddenOperationException("Zoek in het journaal alleen binnen het dossier van een jongere: "
                + "noem de jongere in de zoekvraag (subject=Patient/...).");
    }

    private static TokenParam not(String system, String code) {
        TokenParam t = new TokenParam(system, code);
        t.setModifier(TokenParamModifier.NOT);
        return t;
    }

    /**
     * The one youth a search is confined to: an AND clause of `subject`/`patient` naming exactly one Patient
     * (no chain, no modifier), or the Patient of `$everything`. Null when not confined. Everything such a
     * search can match is in her compartment, so her clearance decides for all of it.
     */
    static String confinedYouth(SearchParameterMap map, RequestDetails request, String type) {
        if (map.getEverythingMode() != null && request != null && request.getId() != null
                && "Patient".equals(request.getResourceName())) {
            return request.getId().getIdPart();
        }
        for (String name : List.of("patient", "subject")) {
            List<List<IQueryParameterType>> and = map.get(name);
            if (and == null) {
                continue;
            }
            for (List<IQueryParameterType> or : and) {
                if (or.size() == 1 && or.get(0) instanceof ReferenceParam ref && ref.getMissing() == null
                        && (ref.getChain() == null || ref.getChain().isEmpty())
                        && (ref.getResourceType() == null || "Patient".equals(ref.getResourceType()))
                        && ref.getIdPart() != null && !ref.getIdPart().isEmpty() && !ref.getIdPart().contains("/")
                        && (ref.getBaseUrl() == null || ref.getBaseUrl().isEmpty())) {
                    return ref.getIdPart();
                }
            }
        }
        return null;
    }

    /**
     * Adds the token's patient to a write's match search, on the type's Patient-compartment parameter
     * (`_id` for Patient itself; `patient`, then `subject`, then the first one listed). Types outside the
     * Patient compartment are readable to the token anyway (PatientCompartmentAuthorization).
     */
    private void confineToPatient(SearchParameterMap map, String type, String patient) {
        if (type == null || patient == null) {
            return;
        }
        if ("Patient".equals(type)) {
            map.add("_id", new TokenParam(patient));
            return;
        }
        if ("Task".equals(type)) {
            map.add("subject", new ReferenceParam("Patient/" + patient));
            return;
        }
        List<RuntimeSearchParam> params = ctx.getResourceDefinition(type).getSearchParamsForCompartmentName("Patient");
        if (params.isEmpty()) {
            return;
        }
        String chosen = params.get(0).getName();
        for (String preferred : List.of("subject", "patient")) {
            if (params.stream().anyMatch(p -> p.getName().equals(preferred))) {
                chosen = preferred;
            }
        }
        map.add(chosen, new ReferenceParam("Patient/" + patient));
    }
}
