package org.hvol.sandbox;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.AuthenticationException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.ConfigurableJWTProcessor;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.net.MalformedURLException;
import java.net.URL;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requires an RS256 JWT bearer token from the sandbox authorization server on every request except the
 * CapabilityStatement. Checks signature (JWKS), iss, aud (= the FHIR base) and exp; stores the claims.
 */
@Interceptor
public class BearerTokenInterceptor {

    private static final Logger LOG = LoggerFactory.getLogger(BearerTokenInterceptor.class);
    private final ConfigurableJWTProcessor<SecurityContext> processor;
    private final boolean enforce;

    public BearerTokenInterceptor(SandboxSettings settings) {
        enforce = settings.enforceJournal();
        JWKSource<SecurityContext> keys;
        try {
            keys = JWKSourceBuilder.create(new URL(settings.jwksUrl())).retrying(true).build();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("--hvol.jwks-url is not a URL: " + settings.jwksUrl(), e);
        }
        processor = new DefaultJWTProcessor<>();
        processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(
                JOSEObjectType.JWT, new JOSEObjectType("at+jwt"), null));
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.RS256, keys));
        processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(
                settings.audience(),
                new JWTClaimsSet.Builder().issuer(settings.issuer()).build(),
                Set.of("sub", "exp", "iss", "aud")));
    }

    // Runs before request validation (order), so anonymous bodies are never looked at.
    @Hook(value = Pointcut.SERVER_INCOMING_REQUEST_POST_PROCESSED, order = -100)
    public boolean authenticate(RequestDetails request) {
        String path = request.getRequestPath();
        if ("metadata".equals(path) || "metadata/".equals(path)) {
            return true;
        }
        String header = request.getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw unauthorized("Geen geldig toegangstoken (Bearer) meegestuurd.", "invalid_request");
        }
        JWTClaimsSet claims;
        try {
            claims = processor.process(header.substring(7).trim(), null);
        } catch (Exception e) {
            LOG.info("Rejected bearer token: {}", e.getMessage());
            throw unauthorized("Toegangstoken ongeldig of verlopen.", "invalid_token");
        }
        toAccessToken(claims).attach(request);
        // Issue 15: a buddy's or coach's user-level requests reach her girls only (not on an EHR that
        // enforces nothing: there the app's signed memberships are the only layer).
        Caseload caseload = enforce ? Caseload.fromClaims(claims) : null;
        if (caseload != null) {
            caseload.attach(request);
        }
        return true;
    }

    static AccessToken toAccessToken(JWTClaimsSet claims) {
        Object scope = claims.getClaim("scope");
        String scopeText = scope instanceof String s ? s
                : scope instanceof List<?> l ? String.join(" ", l.stream().map(String::valueOf).toList()) : "";
        Set<String> journal = idsClaim(claims, "hvol_journal");
        Set<String> programme = idsClaim(claims, "hvol_programme");
        boolean admin = Boolean.TRUE.equals(claims.getClaim("hvol_admin"));
        Object patient = claims.getClaim("patient");
        Object fhirUser = claims.getClaim("fhirUser");
        return new AccessToken(claims.getSubject(), SmartScopes.parse(scopeText),
                patient == null ? null : String.valueOf(patient), fhirUser == null ? null : String.valueOf(fhirUser),
                journal, programme, JournalPeriod.parseClaim(claims.getClaim("hvol_journal_periods")), admin);
    }

    private static Set<String> idsClaim(JWTClaimsSet claims, String name) {
        Set<String> ids = new HashSet<>();
        Object value = claims.getClaim(name);
        if (value instanceof List<?> l) {
            l.forEach(x -> ids.add(String.valueOf(x)));
        } else if (value instanceof String s) {
            ids.add(s);
        }
        return Set.copyOf(ids);
    }

    private static AuthenticationException unauthorized(String message, String error) {
        AuthenticationException e = new AuthenticationException(message);
        e.addResponseHeader("WWW-Authenticate", "Bearer realm=\"hvol-sandbox\", error=\"" + error + "\"");
        return e;
    }
}
