// A small DICOMweb client for the node's own endpoints (same origin, /dicomweb by default).
export class DicomWebError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export class DicomWeb {
  constructor(base, token) {
    this.base = base.replace(/\/+$/, '');
    this.token = token || null;
  }

  headers(accept) {
    const h = { Accept: accept };
    if (this.token) h.Authorization = `Bearer ${this.token}`;
    return h;
  }

  async json(path) {
    const rs = await fetch(this.base + path, { headers: this.headers('application/dicom+json') });
    if (!rs.ok) throw new DicomWebError(rs.status, `${rs.status} ${path}`);
    if (rs.status === 204) return [];
    return rs.json();
  }

  study(studyUid) {
    return this.json(`/studies?StudyInstanceUID=${encodeURIComponent(studyUid)}`
      + '&includefield=00081030&includefield=00080061&includefield=00201208');
  }

  series(studyUid) {
    return this.json(`/studies/${studyUid}/series?includefield=0008103E&includefield=00200011&includefield=00201209`);
  }

  seriesMetadata(studyUid, seriesUid) {
    return this.json(`/studies/${studyUid}/series/${seriesUid}/metadata`);
  }

  /** A series thumbnail as an object URL (fetched with the token: an <img> cannot send headers). */
  async thumbnail(studyUid, seriesUid) {
    const rs = await fetch(`${this.base}/studies/${studyUid}/series/${seriesUid}/thumbnail`,
      { headers: this.headers('image/jpeg, image/png') });
    if (!rs.ok) return null;
    return URL.createObjectURL(await rs.blob());
  }

  frameUrl(studyUid, seriesUid, sopUid, frame) {
    return `${this.base}/studies/${studyUid}/series/${seriesUid}/instances/${sopUid}/frames/${frame}`;
  }
}

/** First value of a DICOM JSON attribute (tag as 8 hex digits). */
export function value(ds, tag) {
  const a = ds && ds[tag];
  if (!a || !a.Value || a.Value.length === 0) return undefined;
  const v = a.Value[0];
  if (a.vr === 'PN') return v && v.Alphabetic;
  return v;
}

export function values(ds, tag) {
  const a = ds && ds[tag];
  return a && a.Value ? a.Value : [];
}

/** A DICOM person name (Family^Given^Middle^Prefix^Suffix) as people write it: "FAMILY Given Middle". */
export function personName(pn) {
  if (!pn) return '';
  const [family = '', given = '', middle = ''] = String(pn).split('^');
  return [family.toLocaleUpperCase(), given, middle].filter(Boolean).join(' ');
}
