package org.imagingnode.bridge.sharing.nodeauth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.util.UUID;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;

/** The private key a node signs its node tokens with, read from a JWK file, or generated once and kept. */
public final class NodeSigningKey {
    private final JWK key;
    private final Path file;
    private final boolean generated;

    private NodeSigningKey(JWK key, Path file, boolean generated) {
        this.key = key;
        this.file = file;
        this.generated = generated;
    }

    /** Reads the JWK file; it must hold a private EC or RSA key. */
    public static NodeSigningKey read(Path file) {
        try {
            return new NodeSigningKey(privateKey(JWK.parse(Files.readString(file)), file), file, false);
        } catch (IOException e) {
            throw new UncheckedIOException("node.sharing.auth.signing-key-file: cannot read " + file, e);
        } catch (ParseException e) {
            throw new IllegalArgumentException("node.sharing.auth.signing-key-file: " + file + " is not a JWK: "
                    + e.getMessage(), e);
        }
    }

    /** The key kept in {@code file}, generated (EC P-256) and written there readable by the owner only if absent. */
    public static NodeSigningKey generatedIn(Path file) {
        if (Files.exists(file)) {
            NodeSigningKey k = read(file);
            return new NodeSigningKey(k.key, file, true);
        }
        try {
            ECKey key = new ECKeyGenerator(Curve.P_256).keyID("node-" + UUID.randomUUID()).keyUse(KeyUse.SIGNATURE)
                    .algorithm(JWSAlgorithm.ES256).generate();
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), "key", ".tmp");
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: the directory's own protection applies
            }
            Files.writeString(tmp, key.toJSONString(), StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            return new NodeSigningKey(key, file, true);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot generate a node signing key", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the node signing key to " + file, e);
        }
    }

    private static JWK privateKey(JWK key, Path file) {
        if (!key.isPrivate() || !(key instanceof ECKey || key instanceof RSAKey)) {
            throw new IllegalArgumentException("node.sharing.auth.signing-key-file: " + file
                    + " must hold a private EC or RSA key");
        }
        if (key.getKeyID() == null) {
            try {
                // a stable key id lets peers with several keys of ours pick the right one
                String kid = key.computeThumbprint().toString();
                key = key instanceof ECKey ec ? new ECKey.Builder(ec).keyID(kid).build()
                        : new RSAKey.Builder((RSAKey) key).keyID(kid).build();
            } catch (JOSEException e) {
                throw new IllegalArgumentException("cannot compute the key id of " + file, e);
            }
        }
        return key;
    }

    JWK key() {
        return key;
    }

    /** The signature algorithm: the key's own, or ES256/ES384 for EC keys, RS256 for RSA keys. */
    JWSAlgorithm algorithm() {
        if (key.getAlgorithm() != null) {
            return JWSAlgorithm.parse(key.getAlgorithm().getName());
        }
        if (key instanceof ECKey ec) {
            return Curve.P_384.equals(ec.getCurve()) ? JWSAlgorithm.ES384
                    : Curve.P_521.equals(ec.getCurve()) ? JWSAlgorithm.ES512 : JWSAlgorithm.ES256;
        }
        return JWSAlgorithm.RS256;
    }

    /** The public half, as a JWKS other nodes can be configured with. */
    public JWKSet publicKeys() {
        return new JWKSet(key.toPublicJWK());
    }

    public Path file() {
        return file;
    }

    /** True when the node made this key itself (no signing-key-file configured). */
    public boolean generated() {
        return generated;
    }
}
