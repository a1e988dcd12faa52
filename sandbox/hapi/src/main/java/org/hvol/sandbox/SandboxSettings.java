package org.hvol.sandbox;

/**
 * The --hvol.* command-line flags (see docs/sandbox-contract.md). {@code enforceJournal} false
 * (--hvol.enforce-journal=false) makes an EHR that enforces no labels: tokens and scopes are still checked, but
 * journal hiding and clearance are not registered, as on most real EHRs the programme joins (issue 12).
 */
public record SandboxSettings(
        String issuer, String audience, String jwksUrl, String authorizeUrl, String tokenUrl,
        boolean enforceJournal) {
}
