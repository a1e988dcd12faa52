package org.hvol.sandbox;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** SMART App Launch resource scopes, v1 (read/write/*) and v2 (c r u d s), contexts patient/user/system. */
public final class SmartScopes {

    public enum Context { PATIENT, USER, SYSTEM }

    /** One granted resource scope; {@code type} is a resource type or "*". */
    public record Scope(Context context, String type, Set<Character> perms) {
        boolean covers(String resourceType, char perm) {
            return ("*".equals(type) || type.equals(resourceType)) && perms.contains(perm);
        }
    }

    private static final Pattern SCOPE = Pattern.compile("^(patient|user|system)/([A-Za-z]+|\\*)\\.([a-z*]+)$");

    private SmartScopes() {
    }

    public static List<Scope> parse(String text) {
        List<Scope> out = new ArrayList<>();
        if (text == null) {
            return out;
        }
        for (String s : text.trim().split("\\s+")) {
            // Granular v2 scopes ("...rs?category=x") are not supported: ignoring them can only narrow access.
            Matcher m = SCOPE.matcher(s);
            if (!m.matches()) {
                continue;
            }
            Set<Character> perms = permissions(m.group(3));
            if (perms.isEmpty()) {
                continue;
            }
            out.add(new Scope(Context.valueOf(m.group(1).toUpperCase()), m.group(2), perms));
        }
        return out;
    }

    static Set<Character> permissions(String p) {
        switch (p) {
            case "read":
                return Set.of('r', 's');
            case "write":
                return Set.of('c', 'u', 'd');
            case "*":
                return Set.of('c', 'r', 'u', 'd', 's');
            default:
                // v2: letters in the order c r u d s, each at most once.
                if (!p.matches("c?r?u?d?s?")) {
                    return Set.of();
                }
                Set<Character> out = new java.util.HashSet<>();
                for (char c : p.toCharArray()) {
                    out.add(c);
                }
                return Set.copyOf(out);
        }
    }

    /** How a request may use (type, perm): not at all, only inside the patient's compartment, or freely. */
    public enum Grant { NONE, PATIENT_COMPARTMENT, FULL }

    public static Grant grant(List<Scope> scopes, String resourceType, char perm) {
        Grant best = Grant.NONE;
        for (Scope s : scopes) {
            if (!s.covers(resourceType, perm)) {
                continue;
            }
            if (s.context() == Context.PATIENT) {
                best = best == Grant.NONE ? Grant.PATIENT_COMPARTMENT : best;
            } else {
                return Grant.FULL;
            }
        }
        return best;
    }
}
