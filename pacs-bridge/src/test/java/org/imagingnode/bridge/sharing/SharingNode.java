package org.imagingnode.bridge.sharing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.imagingnode.bridge.NodeApplication;
import org.imagingnode.bridge.dicom.TestObjects;
import org.imagingnode.bridge.dimse.DimseServer;
import org.imagingnode.bridge.testing.Dcmtk;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A whole node started in the test's JVM (its own Spring context, embedded PostgreSQL and blob store under its
 * own data folder, free loopback ports), for tests where several nodes talk to each other. Restarting one on
 * the same folder keeps its database: what it had not finished is still there.
 */
final class SharingNode implements AutoCloseable {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final ObjectMapper JSON = new ObjectMapper();

    final String aeTitle;
    final Path dataDir;
    final Map<String, String> properties;
    private ConfigurableApplicationContext context;

    SharingNode(String aeTitle, Path dataDir, Map<String, String> properties) {
        this.aeTitle = aeTitle;
        this.dataDir = dataDir;
        this.properties = new LinkedHashMap<>(properties);
    }

    SharingNode start() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("node.data-dir", dataDir.toString());
        p.put("node.ae-title", aeTitle);
        p.put("node.dimse.port", "0");
        p.put("node.dimse.bind-address", "127.0.0.1");
        p.put("node.dimse.calling-aes", "STORESCU=store|query|retrieve");
        p.put("server.port", "0");
        p.put("server.address", "127.0.0.1");
        p.put("node.sharing.manifest.enabled", "false");
        p.putAll(properties);
        // as command-line arguments: they win over application.yml (default properties would not)
        context = new SpringApplicationBuilder(NodeApplication.class)
                .run(p.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new));
        return this;
    }

    @Override
    public void close() {
        if (context != null) {
            context.close();
            context = null;
        }
    }

    <T> T bean(Class<T> type) {
        return context.getBean(type);
    }

    int httpPort() {
        return Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
    }

    String url(String path) {
        return "http://127.0.0.1:" + httpPort() + path;
    }

    /** Sends the objects to the node with DCMTK's storescu. */
    void store(List<TestObjects.Spec> specs) throws Exception {
        Path dir = Files.createTempDirectory(Files.createDirectories(dataDir), "objects");
        List<String> cmd = new ArrayList<>(Dcmtk.args("storescu", "-aet", "STORESCU", "-aec", aeTitle, "127.0.0.1",
                Integer.toString(bean(DimseServer.class).port())));
        for (TestObjects.Spec s : specs) {
            cmd.add(TestObjects.write(s, dir.resolve(s.sopInstanceUid + ".dcm")).toString());
        }
        Dcmtk.Result r = Dcmtk.run(60, cmd.toArray(String[]::new));
        assertThat(r.ok()).as(r.output()).isTrue();
    }

    HttpResponse<String> send(String method, String path, Map<String, String> headers, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(30));
        headers.forEach(b::header);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A real signed token from the node's dev issuer (the node must run in tokens mode with it on), as "Bearer ...". */
    String devToken(Map<String, Object> claims) throws Exception {
        HttpResponse<String> rs = send("POST", "/dev/tokens", Map.of("Content-Type", "application/json"),
                JSON.writeValueAsString(claims));
        assertThat(rs.statusCode()).as(rs.body()).isEqualTo(200);
        return "Bearer " + JSON.readTree(rs.body()).get("token").asText();
    }
}
