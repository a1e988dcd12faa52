package org.hvol.sandbox;

/** The --hvol.* command-line flags (see docs/sandbox-contract.md). */
public record SandboxSettings(
        String issuer, String audience, String jwksUrl, String authorizeUrl, String tokenUrl) {
}
