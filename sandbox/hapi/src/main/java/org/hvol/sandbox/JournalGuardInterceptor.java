package org.hvol.sandbox;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.jpa.model.entity.StorageSettings;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import ca.uhn.fhir.context.RuntimeSearchParam;
import ca.uhn.fhir.context.BaseRuntimeChildDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementDefinition;
import ca.uhn.fhir.rest.api.RestSearchParameterTypeEnum;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.util.IModelVisitor2;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.instance.model.api.IBase;
import java.util.Set;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.instance.model.api.IBaseReference;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Meta;
import org.hl7.fhir.r4.model.Parameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes the journal leaks that HAPI's ConsentInterceptor does not cover: $meta, writes aimed at hidden
 * resources, the conditional-write and inline-match-URL existence oracles, 410 for deleted journal entries,
 * differing 404 messages, and writes that would drop the restricted labels.
 */
@Interceptor
public class JournalGuardInterceptor {

    private static final Logger LOG = LoggerFactory.getLogger(JournalGuardInterceptor.class);

    private final FhirContext ctx;
    private final DaoRegistry daos;
    private final JpaStorageSettings storage;

    public JournalGuardInterceptor(FhirContext ctx, DaoRegistry daos, JpaStorageSettings storage) {
        this.ctx = ctx;
        this.daos = daos;
        this.storage = storage;
        LOG.info("Tag storage mode: {}", storage.getTagStorageMode());
    }

    @Hook(value = Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED, order = -80)
    public void guardRequest(RequestDetails request, RestOperationTypeEnum op) {
        AccessToken token = AccessToken.of(request);
        if (token == null || token.admin()) {
            return;
        }
        String type = request.getResourceName();
        String id = request.getId() == null ? null : request.getId().getIdPart();
        String operation = request.getOperation();
        if (request.isSubRequest()) {
            // GET entries of a batch/transaction run as sub-requests; their writes were checked with the bundle.
            switch (op) {
                case HISTORY_INSTANCE -> guardExistingTarget(token, type, id, true);
                case SEARCH_TYPE, SEARCH_SYSTEM -> guardSearchParameters(token, request);
                case HISTORY_TYPE, HISTORY_SYSTEM -> guardHistory(token, type);
                case META, EXTENDED_OPERATION_INSTANCE, EXTENDED_OPERATION_TYPE, EXTENDED_OPERATION_SERVER ->
                        guardOperation(token, request, op, type, id, operation);
                default -> { }
            }
            return;
        }
        switch (op) {
            case HISTORY_INSTANCE -> guardExistingTarget(token, type, id, true);
            case SEARCH_TYPE, SEARCH_SYSTEM -> guardSearchParameters(token, request);
            case HISTORY_TYPE, HISTORY_SYSTEM -> guardHistory(token, type);
            case CREATE -> {
                guardConditional(token, type, request.getHeader("If-None-Exist"));
                guardReferences(token, RequestBodies.parse(ctx, request));
            }
            case UPDATE, PATCH, DELETE -> {
                guardConditional(token, type, id == null ? queryOf(request.getCompleteUrl()) : null);
                if (id != null) {
                    guardExistingTarget(token, type, id, true);
                }
                if (op == RestOperationTypeEnum.UPDATE) {
                    guardReferences(token, RequestBodies.parse(ctx, request));
                }
            }
            case TRANSACTION, BATCH -> guardBundle(token, RequestBodies.parse(ctx, request));
            case META, META_ADD, META_DELETE, EXTENDED_OPERATION_INSTANCE, EXTENDED_OPERATION_TYPE,
                    EXTENDED_OPERATION_SERVER -> guardOperation(token, request, op, type, id, operation);
            default -> { }
        }
    }

    /**
     * Type- and server-level _history is no search: no query narrows it before it runs, so its paging, counts
     * and timing would depend on hidden versions. Refused on journal types and at the server level for every
     * token without full clearance, whether or not anything is hidden (issue 13 causes 4 and 10). Instance
     * history stays: for a hidden resource it answers as for a missing one (guardExistingTarget).
     */
    private static void guardHistory(AccessToken token, String type) {
        if (token.seesAllJournals() || (type != null && !JournalLabels.RESTRICTED_TYPES.contains(type))) {
            return;
        }
        throw new ForbiddenOperationException(type == null
                ? "De geschiedenis van de hele server is alleen beschikbaar met volledige journaalbevoegdheid."
                : "De geschiedenis van alle " + type + "-resources is alleen beschikbaar met volledige "
                        + "journaalbevoegdheid. Vraag de geschiedenis van één resource op.");
    }

    private void guardOperation(AccessToken token, RequestDetails request, RestOperationTypeEnum op, String type,
            String id, String operation) {
        boolean meta = "$meta".equals(operation) || "$meta-add".equals(operation) || "$meta-delete".equals(operation)
                || op == RestOperationTypeEnum.META || op == RestOperationTypeEnum.META_ADD
                || op == RestOperationTypeEnum.META_DELETE;
        if (!meta) {
            if (id != null) {
                // Any instance operation ($validate, $diff, $everything...) on a hidden resource: as if missing.
                guardExistingTarget(token, type, id, true);
            }
            return;
        }
        if (id == null) {
            // Type- and server-level $meta list every label in use: only for fully cleared callers.
            if (!token.seesAllJournals()) {
                throw new ForbiddenOperationException("$meta op type- of serverniveau is niet toegestaan.");
            }
            return;
        }
        // Deleted journal entries keep their labels in $meta: treat them like missing ones.
        IBaseResource current = guardExistingTarget(token, type, id, true);
        if (("$meta-delete".equals(operation) || op == RestOperationTypeEnum.META_DELETE) && current != null
                && JournalLabels.isRestricted(current)) {
            IBaseResource body = RequestBodies.parse(ctx, request);
            if (body instanceof Parameters p && p.getParameter("meta") != null
                    && p.getParameter("meta").getValue() instanceof Meta m) {
                boolean dropsV = m.getSecurity().stream().anyMatch(JournalLabels::isVeryRestricted)
                        && JournalLabels.hasV(current);
                boolean dropsCompartment = m.getSecurity().stream().anyMatch(JournalLabels::isCompartment)
                        && JournalLabels.hasCompartment(current);
                if (dropsV || dropsCompartment) {
                    throw labelsDropped();
                }
            }
        }
    }

    private void guardBundle(AccessToken token, IBaseResource body) {
        for (RequestBodies.Entry e : RequestBodies.entries(body)) {
            String type = e.type();
            String condition = e.ifNoneExist() != null && !e.ifNoneExist().isBlank() ? e.ifNoneExist()
                    : !"POST".equals(e.method()) && !"GET".equals(e.method()) && !"HEAD".equals(e.method())
                    && e.hasQuery() ? queryOf(e.url()) : null;
            guardConditional(token, type, condition);
            if (e.id() != null && List.of("PUT", "PATCH", "DELETE").contains(e.method())) {
                guardExistingTarget(token, type, e.id(), true);
            }
            if (e.resource() != null) {
                guardReferences(token, e.resource());
            }
        }
    }

    /**
     * Conditional writes on journal types: the match is a search the consent service never sees, so its outcome
     * (200/201/412) could reveal hidden entries. Allowed only when the condition confines the match to a youth
     * the token is cleared for (subject= or patient= that youth): then everything it can match is visible to the
     * caller anyway. Otherwise 403, whether or not anything matches. (A buddy can so save contact + journal
     * entry as one retry-safe transaction with a conditional create on the entry's identifier and subject.)
     */
    private void guardConditional(AccessToken token, String type, String condition) {
        if (condition == null || token.seesAllJournals()) {
            return;
        }
        // On any type: "Encounter?_has:Communication:encounter:_id=..." as a condition is an existence oracle.
        SearchExpressionGuard.checkQuery(ctx, type, condition);
        if (!JournalLabels.RESTRICTED_TYPES.contains(type)) {
            return;
        }
        String confinedTo = confinedPatient(condition);
        if (confinedTo == null || !token.clearedFor(confinedTo)) {
            throw new ForbiddenOperationException(
                    "Voorwaardelijke schrijfacties op " + type + " zijn alleen toegestaan binnen het dossier van "
                            + "een jongere waarvoor dit token het journaal mag zien (subject=Patient/...).");
        }
    }

    /** The one youth a condition is confined to (every subject/patient parameter names her), or null. */
    static String confinedPatient(String query) {
        String found = null;
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq < 0) {
                continue;
            }
            String name = java.net.URLDecoder.decode(pair.substring(0, eq), java.nio.charset.StandardCharsets.UTF_8);
            if (!name.equals("subject") && !name.equals("patient")) {
                if (name.startsWith("subject") || name.startsWith("patient")) {
                    return null; // modifiers and chains (subject:missing, patient.name) confine nothing
                }
                continue;
            }
            String value = java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8);
            if (value.contains(",")) {
                return null; // an OR over several youths
            }
            String id = value.startsWith("Patient/") ? value.substring("Patient/".length()) : value;
            if (id.isEmpty() || id.contains("/") || (found != null && !found.equals(id))) {
                return null;
            }
            found = id;
        }
        return found;
    }

    private static String queryOf(String url) {
        if (url == null) {
            return "";
        }
        int q = url.indexOf('?');
        return q < 0 ? "" : url.substring(q + 1);
    }

    /**
     * A write or $meta aimed at a resource the token may not see answers exactly as for a resource that does not
     * exist. Without full clearance a journal type cannot be created by PUT either (that would reveal taken ids).
     */
    private IBaseResource guardExistingTarget(AccessToken token, String type, String id, boolean write) {
        IBaseResource current = readAsSystem(type, id);
        if (token.seesAllJournals()) {
            return current;
        }
        boolean missing = current == null || JournalLabels.isDeletedTombstone(current);
        boolean hidden = !missing && !JournalLabels.visibleTo(ctx, token, current);
        if (hidden || (missing && write && JournalLabels.RESTRICTED_TYPES.contains(type))) {
            throw notKnown(type, id);
        }
        return current;
    }

    /**
     * Reverse chains (_has) and forward chains through a journal type test hidden resources without returning
     * them: "Patient?_has:Communication:subject:status=completed" would reveal that a hidden entry exists. Every
     * level and hop is checked (SearchExpressionGuard); POST _search bodies arrive here as parameters too, and
     * batch/transaction GET entries as sub-requests.
     */
    private void guardSearchParameters(AccessToken token, RequestDetails request) {
        if (token.seesAllJournals()) {
            return;
        }
        SearchExpressionGuard.check(ctx, request.getResourceName(), request.getParameters().keySet());
    }

    /**
     * Inline match URLs ("Communication?identifier=...", "Patient?_id=1&_has:Communication:subject:_id=2") are
     * resolved by a search the consent service never sees: refuse them on journal types, and refuse every
     * expression in them that reaches one (SearchExpressionGuard), whether or not anything matches.
     */
    private void guardReferences(AccessToken token, IBaseResource resource) {
        if (resource == null || token.seesAllJournals()) {
            return;
        }
        for (String target : referencesByPath(resource).values()) {
            int q = target.indexOf('?');
            if (q <= 0) {
                continue;
            }
            String type = target.substring(0, q);
            if (JournalLabels.RESTRICTED_TYPES.contains(type)) {
                throw new ForbiddenOperationException("Voorwaardelijke verwijzingen naar " + type
                        + " zijn niet toegestaan voor dit token.");
            }
            SearchExpressionGuard.checkQuery(ctx, type, target.substring(q + 1));
        }
    }

    /**
     * A plain reference to a hidden resource at an indexed path gets the same 400 HAPI gives for a missing
     * target (HAPI-1094), so referential-integrity checks do not reveal that it exists. Checked as the
     * resource is stored, not when the request arrives: in a batch HAPI fails only the entry with a missing
     * target, so the hidden one must fail only its entry too (issue 13 cause 8), and conditional and
     * placeholder references are resolved by then.
     */
    @Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED)
    public void hiddenReferencesOnCreate(IBaseResource resource, RequestDetails request) {
        refuseHiddenReferences(AccessToken.of(request), resource);
    }

    @Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
    public void hiddenReferencesOnUpdate(IBaseResource previous, IBaseResource updated, RequestDetails request) {
        refuseHiddenReferences(AccessToken.of(request), updated);
    }

    private void refuseHiddenReferences(AccessToken token, IBaseResource resource) {
        if (resource == null || token == null || token.seesAllJournals()) {
            return;
        }
        String type = resource.fhirType();
        Map<String, Set<String>> indexed = null;
        for (Map.Entry<String, String> ref : referencesByPath(resource).entrySet()) {
            String target = ref.getValue();
            IdType id = new IdType(target);
            if (target.indexOf('?') >= 0 || !id.hasResourceType() || !id.hasIdPart() || id.isAbsolute()
                    || target.startsWith("#") || target.startsWith("urn:")) {
                continue;
            }
            if (indexed == null) {
                indexed = indexedReferencePaths(type);
            }
            String path = ref.getKey().substring(0, ref.getKey().lastIndexOf('#'));
            Set<String> targets = indexed.get(path);
            if (targets == null) {
                continue; // HAPI does not check this reference, so neither may we
            }
            if (!targets.isEmpty() && !targets.contains(id.getResourceType())) {
                continue; // HAPI refuses the type itself (HAPI-0931, 422), whether or not the target exists
            }
            IBaseResource current = readAsSystem(id.getResourceType(), id.getIdPart());
            if (current != null && !JournalLabels.isDeletedTombstone(current)
                    && !JournalLabels.visibleTo(ctx, token, current)) {
                throw new InvalidRequestException("HAPI-1094: Resource " + id.getResourceType() + "/" + id.getIdPart()
                        + " not found, specified in path: " + path);
            }
        }
    }

    /** "Task.focus#0" -> "Communication/1": every populated reference with its element path. */
    private Map<String, String> referencesByPath(IBaseResource resource) {
        Map<String, String> out = new LinkedHashMap<>();
        String type = resource.fhirType();
        ctx.newTerser().visit(resource, new IModelVisitor2() {
            @Override
            public boolean acceptElement(IBase element, List<IBase> containing, List<BaseRuntimeChildDefinition> children,
                    List<BaseRuntimeElementDefinition<?>> definitions) {
                if (element instanceof IBaseReference ref && ref.getReferenceElement().getValue() != null) {
                    StringBuilder path = new StringBuilder(type);
                    for (BaseRuntimeChildDefinition c : children) {
                        path.append('.').append(c.getElementName().replace("[x]", ""));
                    }
                    out.put(path + "#" + out.size(), ref.getReferenceElement().getValue());
                }
                return !(element instanceof IBaseResource) || element == resource;
            }
        });
        return out;
    }

    /** Element path -> the types its reference search parameters allow (empty: any type). */
    private Map<String, Set<String>> indexedReferencePaths(String type) {
        Map<String, Set<String>> out = new HashMap<>();
        for (RuntimeSearchParam sp : ctx.getResourceDefinition(type).getSearchParams()) {
            if (sp.getParamType() != RestSearchParameterTypeEnum.REFERENCE) {
                continue;
            }
            for (String p : sp.getPathsSplitForResourceType(type)) {
                String clean = p.trim().replaceAll("\\.where\\(.*$", "").replaceAll(" as .*$", "")
                        .replaceAll("^\\((.*)\\)$", "$1");
                Set<String> known = out.get(clean);
                if (known != null && known.isEmpty()) {
                    continue; // already "any type"
                }
                if (sp.getTargets().isEmpty()) {
                    out.put(clean, Set.of());
                } else {
                    out.computeIfAbsent(clean, k -> new HashSet<>()).addAll(sp.getTargets());
                }
            }
        }
        return out;
    }

    private IBaseResource readAsSystem(String type, String id) {
        if (type == null || id == null || !daos.isResourceTypeSupported(type)) {
            return null;
        }
        IFhirResourceDao<?> dao = daos.getResourceDao(type);
        try {
            return dao.read(new IdType(type, id), new SystemRequestDetails(), true);
        } catch (ResourceNotFoundException | ResourceGoneException e) {
            return null;
        }
    }

    /** Refuse updates and patches that would remove V or the compartment code (admin excepted). */
    @Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
    public void keepLabels(IBaseResource previous, IBaseResource updated, RequestDetails request) {
        AccessToken token = AccessToken.of(request);
        if (token == null || token.admin() || !JournalLabels.isRestricted(previous)) {
            return;
        }
        // In the default tag modes HAPI merges labels on update, so a body without any security label keeps
        // them. An explicit, shorter label list is taken as an attempt to drop them and refused.
        boolean inline = storage.getTagStorageMode() == StorageSettings.TagStorageModeEnum.INLINE;
        boolean explicit = updated.getMeta() != null && !updated.getMeta().getSecurity().isEmpty();
        if (!inline && !explicit) {
            return;
        }
        if ((JournalLabels.hasV(previous) && !JournalLabels.hasV(updated))
                || (JournalLabels.hasCompartment(previous) && !JournalLabels.hasCompartment(updated))) {
            throw labelsDropped();
        }
    }

    /** One 404 text for "does not exist", "hidden" and "deleted journal entry", so messages reveal nothing. */
    @Hook(Pointcut.SERVER_PRE_PROCESS_OUTGOING_EXCEPTION)
    public BaseServerResponseException uniformNotFound(RequestDetails request, Throwable error) {
        if (request == null) {
            return null;
        }
        AccessToken token = AccessToken.of(request);
        boolean full = token != null && token.seesAllJournals();
        String type = request.getResourceName();
        boolean goneJournal = error instanceof ResourceGoneException && !full
                && JournalLabels.RESTRICTED_TYPES.contains(type);
        if (error instanceof ResourceNotFoundException || goneJournal) {
            String id = request.getId() == null ? null : request.getId().getIdPart();
            return id == null ? new ResourceNotFoundException("Resource niet gevonden.") : notKnown(type, id);
        }
        return null;
    }

    /** Batch/transaction entries carry HAPI's own 404 texts (hidden and missing differ): make them uniform. */
    @Hook(Pointcut.SERVER_OUTGOING_RESPONSE)
    public void uniformEntryOutcomes(RequestDetails request, IBaseResource response) {
        if (!(response instanceof Bundle bundle)) {
            return;
        }
        for (Bundle.BundleEntryComponent e : bundle.getEntry()) {
            if (e.hasResponse() && e.getResponse().getStatus() != null && e.getResponse().getStatus().startsWith("404")
                    && e.getResponse().getOutcome() instanceof OperationOutcome oo) {
                for (OperationOutcome.OperationOutcomeIssueComponent issue : oo.getIssue()) {
                    if (issue.getDiagnostics() != null) {
                        issue.setDiagnostics(HAPI_CODE.matcher(issue.getDiagnostics()).replaceFirst(""));
                    }
                    issue.setCode(OperationOutcome.IssueType.PROCESSING);
                }
            }
        }
    }

    private static final Pattern HAPI_CODE = Pattern.compile("^HAPI-\\d+: ");

    static ResourceNotFoundException notKnown(String type, String id) {
        return new ResourceNotFoundException("Resource " + type + "/" + id + " is not known");
    }

    private static UnprocessableEntityException labelsDropped() {
        return new UnprocessableEntityException(
                "De beveiligingslabels van een afgeschermde resource (V en buddy-programme) mogen niet verdwijnen.");
    }

}
