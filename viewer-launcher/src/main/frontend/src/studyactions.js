// What the portal pages do with a study besides viewing it: download it (DICOM media with a DICOMDIR, or JPEG
// images for sharing) and, for a professional, send it to their PACS.

/**
 * Downloads by a form POST carrying the access token in its body, never in the address: the browser then saves
 * the archive as the node streams it (a fetch would hold the whole study in memory first).
 */
export function downloadStudy(root, studyUid, format, token) {
  const form = document.createElement('form');
  form.method = 'POST';
  form.action = `${root}viewer/downloads/studies/${encodeURIComponent(studyUid)}/${format}.zip`;
  form.hidden = true;
  if (token) {
    const field = document.createElement('input');
    field.type = 'hidden';
    field.name = 'access_token';
    field.value = token;
    form.append(field);
  }
  document.body.append(form);
  form.submit();
  form.remove();
}

async function call(root, method, path, token, body) {
  const rs = await fetch(`${root}viewer/imports${path}`, {
    method,
    headers: { Accept: 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!rs.ok) {
    const error = new Error(`${rs.status}`);
    error.status = rs.status;
    throw error;
  }
  return rs.json();
}

/** The AEs the signed-in professional may send studies to (none for anyone else). */
export async function importDestinations(root, token) {
  try {
    return (await call(root, 'GET', '/destinations', token)).destinations;
  } catch {
    return [];
  }
}

const UNDER_WAY = ['queued', 'fetching', 'sending', 'cancelling'];

/** Sends the study to the AE and reports each state of the job to onProgress until it is done. */
export async function importStudy(root, studyUid, destination, token, onProgress) {
  let job = await call(root, 'POST', '', token, { studyInstanceUID: studyUid, destination });
  onProgress(job);
  while (UNDER_WAY.includes(job.state)) {
    await new Promise((r) => { setTimeout(r, 500); });
    job = await call(root, 'GET', `/${encodeURIComponent(job.id)}`, token);
    onProgress(job);
  }
  return job;
}

/** Asks the node to stop sending the job (importStudy's polling then reports it cancelling, then cancelled). */
export async function cancelImport(root, jobId, token) {
  try {
    return await call(root, 'POST', `/${encodeURIComponent(jobId)}/cancel`, token);
  } catch (err) {
    if (err.status === 409) return null; // already over: the polling shows how it ended
    throw err;
  }
}
