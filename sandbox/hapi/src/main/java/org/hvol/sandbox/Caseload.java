package org.hvol.sandbox;

import ca.uhn.fhir.rest.api.server.RequestDetails;
import com.nimbusds.jwt.JWTClaimsSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Issue 15: the girls a buddy's or coach's token may reach with its user/ scopes (claim `hvol_caseload`, bare
 * Patient ids the authorization server derived from her signed CareTeam memberships). A token without the
 * claim is not confined by it (the coordinator, regular staff, the loader); a token with an empty list reaches
 * no youth at all. Kept apart from {@link AccessToken} so that the claim can be read where it is needed.
 */
public record Caseload(Set<String> patients) {

    static final String CLAIM = "hvol_caseload";
    private static final String KEY = Caseload.class.getName();

    static Caseload fromClaims(JWTClaimsSet claims) {
        Object value = claims.getClaim(CLAIM);
        if (!(value instanceof List<?> list)) {
            return null;
        }
        Set<String> ids = new TreeSet<>();
        for (Object x : list) {
            String id = String.valueOf(x);
            ids.add(id.startsWith("Patient/") ? id.substring("Patient/".length()) : id);
        }
        return new Caseload(Set.copyOf(ids));
    }

    public void attach(RequestDetails request) {
        request.getUserData().put(KEY, this);
    }

    /** The caseload of the request's token, or null when the token carries none. */
    public static Caseload of(RequestDetails request) {
        if (request == null) {
            return null;
        }
        Object c = request.getUserData().get(KEY);
        return c instanceof Caseload k ? k : null;
    }

    /** The caseload that confines this request: a caseload token outside patient mode (user/ scopes). */
    public static Caseload confining(RequestDetails request) {
        AccessToken token = AccessToken.of(request);
        if (token == null || token.admin()
                || Boolean.TRUE.equals(request.getUserData().get(ScopeInterceptor.PATIENT_MODE))) {
            return null;
        }
        return of(request);
    }

    /** Sorted, so that the narrowed search (and thus its cache key and paging) never depends on order. */
    public List<String> sorted() {
        return new TreeSet<>(patients).stream().toList();
    }
}
