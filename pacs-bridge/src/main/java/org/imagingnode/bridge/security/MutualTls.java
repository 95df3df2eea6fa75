package org.imagingnode.bridge.security;

import java.net.Socket;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/** How the node's TLS listeners (DICOM, HL7 MLLP) and clients agree on TLS and name the peer they authenticated. */
public final class MutualTls {
    /** Only TLS 1.3 and 1.2: older versions are broken or deprecated (RFC 8996). */
    public static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private MutualTls() {
    }

    /** Restricts a listener to {@link #PROTOCOLS} and requires (or only asks for) a client certificate. */
    public static SSLServerSocket configure(SSLServerSocket listener, boolean requireClientCertificate) {
        listener.setEnabledProtocols(PROTOCOLS);
        if (requireClientCertificate) {
            listener.setNeedClientAuth(true);
        } else {
            listener.setWantClientAuth(true);
        }
        return listener;
    }

    /** The subject of the certificate the peer of a TLS connection authenticated with, or null (plain TCP, none). */
    public static String peerSubject(Socket socket) {
        if (socket instanceof SSLSocket ssl) {
            try {
                return ssl.getSession().getPeerPrincipal().getName();
            } catch (SSLPeerUnverifiedException e) {
                return null;
            }
        }
        return null;
    }
}
