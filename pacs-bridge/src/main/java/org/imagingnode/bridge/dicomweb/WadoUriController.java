package org.imagingnode.bridge.dicomweb;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.imagingnode.bridge.dicom.DicomDataset;
import org.imagingnode.bridge.dicom.ImageRenderer;
import org.imagingnode.bridge.dicom.MalformedDicomException;
import org.imagingnode.bridge.dicom.Part10;
import org.imagingnode.bridge.index.InstanceLocation;
import org.imagingnode.bridge.security.AccessGuard;
import org.imagingnode.bridge.security.Action;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * WADO-URI (PS3.18 9): {@code GET /wado?requestType=WADO&studyUID=..&seriesUID=..&objectUID=..}, for
 * older viewers. {@code contentType} image/jpeg (the default) or image/png renders a frame
 * ({@code frameNumber}, {@code rows}, {@code columns}, {@code windowCenter}, {@code windowWidth},
 * {@code imageQuality}); application/dicom sends the object ({@code transferSyntax} as in WADO-RS).
 */
@RestController
public class WadoUriController {
    private final StoredInstances store;
    private final AccessGuard guard;
    private final RemoteStudies remote;

    WadoUriController(StoredInstances store, AccessGuard guard, Optional<RemoteStudies> remote) {
        this.store = store;
        this.guard = guard;
        this.remote = remote.orElse(null);
    }

    @GetMapping("${node.dicomweb.wado-uri-path:/wado}")
    public void wado(HttpServletRequest rq, HttpServletResponse rs) throws IOException {
        String requestType = rq.getParameter("requestType");
        if (!"WADO".equals(requestType)) {
            throw DicomWebException.badRequest("requestType=WADO is required");
        }
        String study = required(rq, "studyUID");
        String series = rq.getParameter("seriesUID");
        String object = required(rq, "objectUID");
        if ("yes".equalsIgnoreCase(rq.getParameter("anonymize"))) {
            throw DicomWebException.badRequest("anonymize=yes is not supported");
        }
        String wanted = chooseContentType(rq.getParameter("contentType"));
        String seriesUid = series == null || series.isBlank() ? null : series;
        Optional<StoredInstances.StudyRef> local = store.findStudy(study);
        String patient;
        String from = "";
        InstanceLocation loc;
        if (local.isPresent()) {
            StoredInstances.StudyRef ref = local.get();
            patient = ref.patientId();
            loc = store.instance(study, seriesUid, object);
            // decided with the object's own series (seriesUID is optional here): a series-scoped credential opens
            // objects of its series only
            guard.check(rq, Action.RETRIEVE, ref.patientId(), ref.issuer(), study, loc.seriesInstanceUid());
        } else {
            // a study held by another node: its source decides, and the object comes through this node's cache
            RemoteStudies.Study r = RemoteStudies.require(remote, study, guard.caller(rq));
            loc = r.fetch(r.instances(seriesUid, StoredInstances.requireUid(object, "objectUID")).get(0));
            patient = r.patient();
            from = " (remote study, node " + r.sourceNode() + ")";
        }
        if (wanted.equals("application/dicom")) {
            String t = WadoRsController.targetSyntax(loc.transferSyntaxUid(), blankToNull(rq.getParameter("transferSyntax")));
            if (t == null) {
                throw DicomWebException.notAcceptable("the object is stored in " + loc.transferSyntaxUid()
                        + " and the node does not transcode compressed objects");
            }
            rs.setStatus(200);
            rs.setContentType("application/dicom");
            rs.setHeader("Content-Disposition", "attachment; filename=\"" + object + ".dcm\"");
            OutputStream out = rs.getOutputStream();
            if (t.equals(loc.transferSyntaxUid())) {
                rs.setContentLengthLong(loc.blobSize());
                try (InputStream in = store.blobs().get(loc.blobKey())) {
                    in.transferTo(out);
                }
            } else {
                DicomDataset ds;
                try (InputStream in = new BufferedInputStream(store.openDataset(loc), 65536)) {
                    ds = DicomDataset.read(in, loc.transferSyntaxUid());
                } catch (MalformedDicomException e) {
                    throw new IOException("stored instance cannot be re-encoded", e);
                }
                out.write(Part10.header(loc.sopClassUid(), loc.sopInstanceUid(), t));
                ds.write(out, t);
            }
            out.flush();
        } else {
            ImageRenderer.Format format = wanted.equals("image/png") ? ImageRenderer.Format.PNG : ImageRenderer.Format.JPEG;
            int frame = intParam(rq, "frameNumber", 1, 1, Integer.MAX_VALUE);
            int rows = intParam(rq, "rows", 0, 1, 8192);
            int columns = intParam(rq, "columns", 0, 1, 8192);
            String wc = rq.getParameter("windowCenter");
            String ww = rq.getParameter("windowWidth");
            double[] window = wc != null && ww != null ? WadoRsController.window(wc + "," + ww) : null;
            int quality = WadoRsController.quality(rq.getParameter("imageQuality"));
            ByteArrayOutputStream image = new ByteArrayOutputStream(64 * 1024);
            try (InputStream in = new BufferedInputStream(store.openDataset(loc), 65536)) {
                ImageRenderer.render(in, loc.transferSyntaxUid(), new ImageRenderer.Options(frame, columns, rows,
                        window == null ? null : window[0], window == null ? null : window[1], format, quality), image);
            } catch (MalformedDicomException e) {
                throw new IOException("stored instance cannot be parsed", e);
            } catch (ImageRenderer.NotRenderableException e) {
                throw e.getMessage().startsWith("frame ") ? DicomWebException.notFound(e.getMessage())
                        : DicomWebException.notAcceptable(e.getMessage() + "; ask for contentType=application/dicom");
            }
            rs.setStatus(200);
            rs.setContentType(format.mediaType);
            rs.setContentLength(image.size());
            image.writeTo(rs.getOutputStream());
        }
        guard.audit(rq, Action.RETRIEVE, patient, study, "success", "WADO-URI " + wanted + " of one instance" + from);
    }

    /** The first supported type of the contentType list (PS3.18 9.1.2.1.5); image/jpeg when absent. */
    static String chooseContentType(String param) {
        if (param == null || param.isBlank()) {
            return "image/jpeg";
        }
        List<String> offered = new ArrayList<>();
        for (String t : param.split(",")) {
            String type = t.split(";")[0].strip().toLowerCase(Locale.ROOT);
            offered.add(type);
            if (type.equals("application/dicom") || type.equals("image/jpeg") || type.equals("image/png")) {
                return type;
            }
            if (type.equals("*/*") || type.equals("image/*")) {
                return "image/jpeg";
            }
        }
        throw DicomWebException.notAcceptable("contentType " + String.join(",", offered) + " is not available;"
                + " use application/dicom, image/jpeg or image/png");
    }

    private static String required(HttpServletRequest rq, String name) {
        String v = rq.getParameter(name);
        if (v == null || v.isBlank()) {
            throw DicomWebException.badRequest(name + " is required");
        }
        return v.strip();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    private static int intParam(HttpServletRequest rq, String name, int dflt, int min, int max) {
        String v = rq.getParameter(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v.strip());
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw DicomWebException.badRequest(name + " must be an integer from " + min + " to " + max);
        }
    }
}
