package org.imagingnode.bridge.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * Self-signed certificates for TLS tests, made by the machine's openssl ({@code name.crt} and {@code name.key}, PEM) in
 * a directory of one test class: the node's own (subject alternative names 127.0.0.1 and localhost) and its peers'.
 */
public final class TestCertificates {
    private final Path dir;

    private TestCertificates(Path dir) {
        this.dir = dir;
    }

    /** A new directory under {@code target/} with certificates for "node" and for each peer name. */
    public static TestCertificates forNodeAnd(String... peers) {
        try {
            TestCertificates certificates = new TestCertificates(
                    Files.createTempDirectory(Files.createDirectories(Path.of("target")), "tls"));
            certificates.selfSigned("node", "IP:127.0.0.1", "DNS:localhost");
            for (String peer : peers) {
                certificates.selfSigned(peer);
            }
            return certificates;
        } catch (IOException e) {
            throw new IllegalStateException("cannot make test certificates with openssl", e);
        }
    }

    /** A file of this directory as a Spring resource location, e.g. {@code file("ris.crt")}. */
    public String file(String name) {
        return "file:" + dir.resolve(name).toAbsolutePath();
    }

    public Path path(String name) {
        return dir.resolve(name);
    }

    /** Registers SSL bundle {@code bundle}: the node's key and certificate, trusting {@code trusted}'s (none: null). */
    public void registerBundle(DynamicPropertyRegistry registry, String bundle, String trusted) {
        String prefix = "spring.ssl.bundle.pem." + bundle + ".";
        registry.add(prefix + "keystore.certificate", () -> file("node.crt"));
        registry.add(prefix + "keystore.private-key", () -> file("node.key"));
        if (trusted != null) {
            registry.add(prefix + "truststore.certificate", () -> file(trusted + ".crt"));
        }
    }

    /** RSA 2048, valid two days, CN={@code name}, with the given subjectAltName entries (e.g. {@code IP:127.0.0.1}). */
    private void selfSigned(String name, String... subjectAltNames) throws IOException {
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
