package org.imagingnode.bridge.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Self-signed certificates for TLS tests, made by the machine's openssl: {@code name.crt} and {@code name.key} (PEM). */
public final class TestCertificates {
    private TestCertificates() {
    }

    /**
     * Writes {@code dir/name.crt} and {@code dir/name.key}: RSA 2048, valid two days, CN={@code name},
     * with the given subjectAltName entries (e.g. {@code IP:127.0.0.1}) when any.
     */
    public static void selfSigned(Path dir, String name, String... subjectAltNames) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                "2", "-subj", "/CN=" + name, "-keyout", dir.resolve(name + ".key").toString(),
                "-out", dir.resolve(name + ".crt").toString()));
        if (subjectAltNames.length > 0) {
            cmd.addAll(List.of("-addext", "subjectAltName=" + String.join(",", subjectAltNames)));
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (p.waitFor() != 0) {
                throw new IOException("openssl failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while openssl ran", e);
        }
    }
}
