package org.hvol.sandbox;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.r4.model.Communication;

/**
 * One period in which a buddy or coach was on a youth's team (issue 14): she reads the journal entries sent
 * from {@code start} (inclusive) to {@code end} (exclusive); a null bound is open. Parsed from the token claim
 * `hvol_journal_periods` ({"youth-id": [["2026-01-05T10:00:00+01:00", null], ...]}), as the authorization
 * server derived it from the signed CareTeam. A bound that cannot be read makes the period match nothing.
 */
public record JournalPeriod(Instant start, Instant end, boolean readable) {

    private static final ZoneId AMSTERDAM = ZoneId.of("Europe/Amsterdam");

    public boolean contains(Instant moment) {
        return readable && (start == null || !moment.isBefore(start)) && (end == null || moment.isBefore(end));
    }

    /** How far a new entry's {@code sent} may lie ahead of the server's clock (clocks of app and EHR differ). */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(5);

    /**
     * The periods as few disjoint ones, sorted by start: overlapping or touching periods merged (she was
     * buddy and coach at once, or her membership was ended and renewed at the same moment). Null when a
     * period cannot be read: the caller then matches nothing.
     */
    static List<JournalPeriod> union(List<JournalPeriod> periods) {
        if (periods.stream().anyMatch(p -> !p.readable())) {
            return null;
        }
        List<JournalPeriod> sorted = new ArrayList<>(periods);
        sorted.sort(Comparator.comparing(JournalPeriod::start, Comparator.nullsFirst(Comparator.naturalOrder())));
        List<JournalPeriod> out = new ArrayList<>();
        for (JournalPeriod p : sorted) {
            JournalPeriod last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && (last.end() == null || (p.start() != null && !p.start().isAfter(last.end())))) {
                Instant end = last.end() == null || p.end() == null ? null
                        : p.end().isAfter(last.end()) ? p.end() : last.end();
                out.set(out.size() - 1, new JournalPeriod(last.start(), end, true));
            } else {
                out.add(p);
            }
        }
        return List.copyOf(out);
    }

    /**
     * Issue 14: which period an entry belongs to must not be the writer's choice. {@code sent} is the client's
     * value, and the readers' filter and the search narrowing go by it; so a buddy or coach (a token with
     * periods for the youth) may write only while one of her periods runs by the server's own clock, a new
     * entry's {@code sent} must lie in that same running period and not ahead of the server's clock, and an
     * update keeps {@code sent} as stored. Back-dating into another buddy's period and an old buddy writing
     * after her period ended are both refused; the coordinator and Backend Services copies (no periods) are not
     * bound. The app's seal binds the same {@code sent} (hvol_fhir/sealing/codec.py), so its readers agree.
     *
     * @return null when allowed, else the Dutch reason for the refusal
     */
    static String refusal(AccessToken token, String youth, Communication before, Communication after, Instant now) {
        List<JournalPeriod> periods = token.periodsFor(youth);
        if (periods == null) {
            return null;
        }
        Instant sent = after.hasSent() ? after.getSent().toInstant() : null;
        if (sent == null) {
            return "Een dagboekverslag heeft een tijd van schrijven (sent) nodig.";
        }
        JournalPeriod running = periods.stream().filter(p -> p.contains(now)).findFirst().orElse(null);
        if (running == null) {
            return "Uw periode als maatje of coach van deze jongere is voorbij of nog niet begonnen: u kunt in haar "
                    + "dagboek nu niet schrijven.";
        }
        if (before != null) {
            Instant was = before.hasSent() ? before.getSent().toInstant() : null;
            return sent.equals(was) && token.readsEntryAt(youth, was) ? null
                    : "De tijd van schrijven (sent) van een dagboekverslag verandert niet.";
        }
        if (!running.contains(sent) || sent.isAfter(now.plus(CLOCK_SKEW))) {
            return "De tijd van schrijven (sent) moet in uw huidige periode liggen en niet in de toekomst.";
        }
        return null;
    }

    static Map<String, List<JournalPeriod>> parseClaim(Object claim) {
        Map<String, List<JournalPeriod>> out = new java.util.HashMap<>();
        if (!(claim instanceof Map<?, ?> byYouth)) {
            return Map.of();
        }
        for (Map.Entry<?, ?> e : byYouth.entrySet()) {
            List<JournalPeriod> periods = new ArrayList<>();
            if (e.getValue() instanceof List<?> list) {
                for (Object item : list) {
                    periods.add(parse(item));
                }
            }
            out.put(String.valueOf(e.getKey()), List.copyOf(periods));
        }
        return Map.copyOf(out);
    }

    private static JournalPeriod parse(Object item) {
        if (!(item instanceof List<?> pair) || pair.size() != 2) {
            return new JournalPeriod(null, null, false);
        }
        try {
            return new JournalPeriod(instant(pair.get(0)), instant(pair.get(1)), true);
        } catch (RuntimeException e) {
            return new JournalPeriod(null, null, false);
        }
    }

    /** A FHIR dateTime: with a time and offset, or a date (its start in Amsterdam). */
    private static Instant instant(Object value) {
        if (value == null) {
            return null;
        }
        String text = String.valueOf(value);
        if (text.length() == 10) {
            return LocalDate.parse(text).atStartOfDay(AMSTERDAM).toInstant();
        }
        return OffsetDateTime.parse(text).toInstant();
    }
}
