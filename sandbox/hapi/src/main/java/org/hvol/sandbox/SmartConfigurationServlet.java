package org.hvol.sandbox;

import com.nimbusds.jose.util.JSONObjectUtils;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** GET {fhir}/.well-known/smart-configuration, open to all, built from the --hvol.* URLs. */
public class SmartConfigurationServlet extends HttpServlet {

    private final transient SandboxSettings settings;

    public SmartConfigurationServlet(SandboxSettings settings) {
        this.settings = settings;
    }

    static Map<String, Object> document(SandboxSettings s) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("issuer", s.issuer());
        doc.put("jwks_uri", s.jwksUrl());
        doc.put("authorization_endpoint", s.authorizeUrl());
        doc.put("token_endpoint", s.tokenUrl());
        doc.put("token_endpoint_auth_methods_supported", List.of("private_key_jwt", "client_secret_basic"));
        doc.put("token_endpoint_auth_signing_alg_values_supported", List.of("RS384", "ES384", "RS256"));
        doc.put("grant_types_supported", List.of("authorization_code", "refresh_token", "client_credentials"));
        doc.put("scopes_supported", List.of("openid", "fhirUser", "profile", "launch", "launch/patient",
                "offline_access", "online_access", "patient/*.read", "patient/*.rs", "user/*.read", "user/*.rs",
                "user/*.cruds", "user/*.write", "system/*.read", "system/*.rs", "system/*.cruds"));
        doc.put("response_types_supported", List.of("code"));
        doc.put("code_challenge_methods_supported", List.of("S256"));
        doc.put("capabilities", List.of("launch-ehr", "launch-standalone", "client-public",
                "client-confidential-asymmetric", "client-confidential-symmetric", "context-ehr-patient",
                "context-standalone-patient", "context-banner", "context-style", "permission-v1", "permission-v2",
                "permission-patient", "permission-user", "sso-openid-connect", "permission-offline",
                "permission-online"));
        return doc;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        byte[] body = JSONObjectUtils.toJSONString(document(settings)).getBytes(StandardCharsets.UTF_8);
        resp.setStatus(200);
        resp.setContentType("application/json");
        resp.setCharacterEncoding("UTF-8");
        resp.setHeader("Access-Control-Allow-Origin", "*");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }
}
