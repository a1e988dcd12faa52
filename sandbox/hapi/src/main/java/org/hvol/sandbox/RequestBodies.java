package org.hvol.sandbox;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;

/** Parses (once per request) the body of a write, and describes the entries of a transaction/batch. */
final class RequestBodies {

    private static final String KEY = RequestBodies.class.getName() + ".body";

    /** One interaction inside a transaction or batch Bundle. */
    record Entry(String method, String url, String ifNoneExist, IBaseResource resource) {
        /** First path segment, e.g. "Communication" for "Communication/1/_history" or "Communication?x=1". */
        String type() {
            if (resource != null && ("POST".equals(method) || "PUT".equals(method))) {
                return resource.fhirType();
            }
            String u = path();
            int slash = u.indexOf('/');
            return slash < 0 ? u : u.substring(0, slash);
        }

        String path() {
            String u = url == null ? "" : url;
            int q = u.indexOf('?');
            return q < 0 ? u : u.substring(0, q);
        }

        boolean hasQuery() {
            return url != null && url.contains("?");
        }

        String id() {
            String[] parts = path().split("/");
            return parts.length >= 2 && !parts[1].startsWith("$") && !parts[1].startsWith("_") ? parts[1] : null;
        }

        String operation() {
            for (String part : path().split("/")) {
                if (part.startsWith("$")) {
                    return part;
                }
            }
            return null;
        }
    }

    private RequestBodies() {
    }

    static IBaseResource parse(FhirContext ctx, RequestDetails request) {
        Object cached = request.getUserData().get(KEY);
        if (cached instanceof IBaseResource r) {
            return r;
        }
        byte[] bytes = request.loadRequestContents();
        if (bytes == null || bytes.length == 0) {
            return null;
        }
        String contentType = request.getHeader("Content-Type");
        EncodingEnum enc = contentType == null ? null : EncodingEnum.forContentType(contentType);
        if (contentType != null && contentType.contains("patch")) {
            return null; // JSON/XML Patch documents are not resources
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        IBaseResource res;
        try {
            res = (enc == EncodingEnum.XML ? ctx.newXmlParser() : ctx.newJsonParser()).parseResource(text);
        } catch (DataFormatException e) {
            throw new InvalidRequestException("Ongeldige FHIR-resource: " + e.getMessage());
        }
        request.getUserData().put(KEY, res);
        return res;
    }

    static List<Entry> entries(IBaseResource body) {
        List<Entry> out = new ArrayList<>();
        if (!(body instanceof Bundle b)) {
            return out;
        }
        for (Bundle.BundleEntryComponent e : b.getEntry()) {
            Bundle.BundleEntryRequestComponent r = e.getRequest();
            String method = r.getMethod() == null ? "" : r.getMethod().toCode();
            out.add(new Entry(method, r.getUrl(), r.getIfNoneExist(), e.getResource()));
        }
        return out;
    }
}
