package org.hvol.sandbox;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
