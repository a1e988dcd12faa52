package org.hvol.sandbox;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.RuntimeResourceDefinition;
import ca.uhn.fhir.context.RuntimeSearchParam;
import ca.uhn.fhir.rest.api.RestSearchParameterTypeEnum;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Decides whether a search expression can test restricted resources without returning them, wherever the
 * expression appears: a search URL or POST _search body, a batch/transaction entry, an If-None-Exist header,
 * a conditional update/patch/delete URL or a conditional reference ("Patient?_id=1&_has:...").
 *
 * <p>The consent service filters what a search returns, never what a search only tests: a reverse chain
 * (_has) or a forward chain through a journal type answers "does a hidden entry match?" through the
 * presence of the outer resource. So every _has level and every chain hop is walked, at any depth; a hop
 * into a restricted type is refused, and so is every hop we cannot resolve to concrete types (a reference
 * to "Any", an unknown parameter or type): refusing what cannot be decided is the only safe answer.
 * Only for tokens without full clearance; the decision depends on the expression alone, never on data.
 */
final class SearchExpressionGuard {

    /** Parameters whose value is itself an expression we do not parse. */
    private static final Set<String> UNDECIDABLE = Set.of("_filter", "_query", "_content", "_text");

    private SearchExpressionGuard() {
    }

    /** Throws 403 when one of the parameter names of a search on {@code type} reaches a restricted type. */
    static void check(FhirContext ctx, String type, Collection<String> parameterNames) {
        for (String name : parameterNames) {
            if (!decidable(ctx, type == null ? Set.of() : Set.of(type), name)) {
                throw refused(name);
            }
        }
    }

    /** The same for a query string ("a=1&_has:X:y:z=2"), as in conditional headers, URLs and references. */
    static void checkQuery(FhirContext ctx, String type, String query) {
        // HAPI also accepts "Encounter?a=1" where "a=1" is meant: judge what follows the '?'.
        String q = query == null ? "" : query.substring(query.indexOf('?') + 1);
        check(ctx, type, parameterNames(q));
    }

    static List<String> parameterNames(String query) {
        List<String> out = new ArrayList<>();
        if (query == null || query.isEmpty()) {
            return out;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String raw = eq < 0 ? pair : pair.substring(0, eq);
            if (!raw.isEmpty()) {
                out.add(URLDecoder.decode(raw, StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    /**
     * True when {@code name}, a parameter of a search on one of {@code types}, tests no restricted type.
     * An empty {@code types} (a system-level search) only allows names without chains.
     */
    static boolean decidable(FhirContext ctx, Set<String> types, String name) {
        if (UNDECIDABLE.contains(bare(name))) {
            return false;
        }
        if (name.startsWith("_has:")) {
            // _has:<Type>:<reference parameter of Type>:<rest>, where rest is a parameter of Type (maybe a
            // chain) or another _has.
            String[] parts = name.split(":", 4);
            if (parts.length < 4 || !knownUnrestricted(ctx, parts[1]) || parts[2].isEmpty()) {
                return false;
            }
            return decidable(ctx, Set.of(parts[1]), parts[3]);
        }
        String[] hops = name.split("\\.");
        if (hops.length == 1) {
            return true; // a plain parameter (modifiers included) tests only the searched resource itself
        }
        if (types.isEmpty()) {
            return false;
        }
        Set<String> current = types;
        for (int i = 0; i < hops.length - 1; i++) {
            current = targetsOf(ctx, current, hops[i]);
            if (current.isEmpty()) {
                return false;
            }
        }
        // The last hop is a parameter of the final target types (or, should HAPI accept it, another _has).
        return decidable(ctx, current, hops[hops.length - 1]);
    }

    /**
     * The types a chain hop ("subject", "subject:Patient") leads to from {@code from}; empty when the hop is
     * unknown, not a reference, leads to "Any" or to a restricted type.
     */
    private static Set<String> targetsOf(FhirContext ctx, Set<String> from, String hop) {
        int colon = hop.indexOf(':');
        String param = colon < 0 ? hop : hop.substring(0, colon);
        String typed = colon < 0 ? null : hop.substring(colon + 1);
        if (typed != null && !knownUnrestricted(ctx, typed)) {
            return Set.of();
        }
        Set<String> out = new HashSet<>();
        boolean found = false;
        for (String type : from) {
            RuntimeSearchParam sp = ctx.getResourceDefinition(type).getSearchParam(param);
            if (sp == null) {
                continue;
            }
            if (sp.getParamType() != RestSearchParameterTypeEnum.REFERENCE) {
                return Set.of();
            }
            found = true;
            Set<String> targets = sp.getTargets();
            if (typed != null) {
                if (!targets.isEmpty() && !targets.contains(typed)) {
                    return Set.of();
                }
                out.add(typed);
                continue;
            }
            if (targets.isEmpty()) {
                return Set.of(); // "Any": could be a journal type
            }
            for (String t : targets) {
                if (!knownUnrestricted(ctx, t)) {
                    return Set.of();
                }
                out.add(t);
            }
        }
        return found ? out : Set.of();
    }

    private static boolean knownUnrestricted(FhirContext ctx, String type) {
        if (JournalLabels.RESTRICTED_TYPES.contains(type) || !ctx.getResourceTypes().contains(type)) {
            return false;
        }
        RuntimeResourceDefinition def = ctx.getResourceDefinition(type);
        return def != null;
    }

    private static String bare(String name) {
        int colon = name.indexOf(':');
        return colon < 0 ? name : name.substring(0, colon);
    }

    static ForbiddenOperationException refused(String name) {
        return new ForbiddenOperationException("Zoekparameter " + name
                + " (keten via een afgeschermd of onbepaald resourcetype) is niet toegestaan voor dit token.");
    }
}
