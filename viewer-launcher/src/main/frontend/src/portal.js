// Professional portal: find a patient's studies on this node, open one in Weasis (weasis:// launch with a
// study-scoped viewer token) or in the web viewer, download it, or send it to the PACS of one's organisation.
// The professional signs in first (session.js); their token is sent as a Bearer header only.
import './portal.css';
import { DicomWeb, value, personName } from './dicomweb.js';
import { localisePage, actionButton } from './page.js';
import { session, userBar } from './session.js';
import { cancelImport, downloadStudy, importDestinations, importStudy } from './studyactions.js';

const { lang, t } = localisePage('portal.title');

const signedIn = await session(document.getElementById('login'), t);
userBar(document.getElementById('user'), t, signedIn, lang);
document.getElementById('content').hidden = false;
const accessToken = signedIn?.token ?? null;
const root = new URL('..', location.href).pathname; // the node's context path, from /viewer/portal.html
const dicomWeb = new DicomWeb(`${root}dicomweb`, accessToken);
const destinations = await importDestinations(root, accessToken);
const form = document.getElementById('search');
const status = document.getElementById('status');
const table = document.getElementById('studies');
const tbody = table.querySelector('tbody');

function authHeaders() {
  return accessToken ? { Authorization: `Bearer ${accessToken}` } : {};
}

async function launch(kind, studyUid) {
  const rs = await fetch(`${root}viewer/${kind}/studies/${encodeURIComponent(studyUid)}`,
    { headers: { Accept: 'application/json', ...authHeaders() } });
  if (!rs.ok) throw new Error(rs.status === 401 || rs.status === 403 ? t('denied') : `${rs.status}`);
  return rs.json();
}

async function search(e) {
  e?.preventDefault();
  const params = new URLSearchParams();
  for (const [k, v] of new FormData(form)) if (v.trim()) params.set(k, v.trim());
  if (!params.size) return;
  for (const f of ['00081030', '00080061', '00201208', '00100010', '00100020']) params.append('includefield', f);
  document.body.dataset.state = 'searching';
  status.textContent = t('loading');
  try {
    const studies = await dicomWeb.json(`/studies?${params}`);
    studies.sort((a, b) => String(value(b, '00080020') || '').localeCompare(String(value(a, '00080020') || '')));
    tbody.replaceChildren(...studies.map(row));
    table.hidden = studies.length === 0;
    status.textContent = studies.length ? '' : t('portal.none');
    document.body.dataset.state = 'results';
  } catch (err) {
    status.textContent = `${t('error')} (${err.message})`;
    document.body.dataset.state = 'error';
  }
}

function row(study) {
  const uid = value(study, '0020000D');
  const tr = document.createElement('tr');
  tr.dataset.study = uid;
  const cell = (text) => { const td = document.createElement('td'); td.textContent = text ?? ''; return td; };
  const thumb = document.createElement('td');
  const img = document.createElement('img');
  img.alt = '';
  thumb.append(img);
  fetch(`${dicomWeb.base}/studies/${uid}/thumbnail`, { headers: { Accept: 'image/jpeg', ...authHeaders() } })
    .then((r) => (r.ok ? r.blob() : null)).then((b) => { if (b) img.src = URL.createObjectURL(b); }).catch(() => {});
  const da = value(study, '00080020');
  const date = da && da.length === 8 ? new Date(`${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6)}T00:00:00`)
    .toLocaleDateString(lang) : da;
  const actions = document.createElement('td');
  actions.className = 'actions';
  const button = (cls, label, onClick) => actionButton(t(label), cls, onClick, status);
  const weasis = button('open-weasis', 'portal.weasis', async () => {
    const { weasisUri } = await launch('weasis', uid);
    weasis.dataset.weasisUri = weasisUri; // read by tests; the browser hands it to the installed Weasis
    location.href = weasisUri;
  });
  const web = button('open-web', 'portal.web', async () => {
    const { viewerUrl } = await launch('web', uid);
    location.href = viewerUrl; // same tab: the back button returns to the list
  });
  actions.append(weasis, web,
    button('download-dicom', 'download.dicom', () => downloadStudy(root, uid, 'dicom', accessToken)),
    button('download-jpeg', 'download.jpeg', () => downloadStudy(root, uid, 'jpeg', accessToken)));
  if (destinations.length) actions.append(importControl(uid, button));
  tr.append(thumb, cell(date), cell(`${personName(value(study, '00100010'))} (${value(study, '00100020') || ''})`),
    cell((study['00080061']?.Value || []).join('/')), cell(value(study, '00081030')),
    cell(value(study, '00201208')), actions);
  return tr;
}

/** "Import into my PACS": the AEs of this professional, and the progress of the sending. */
function importControl(uid, button) {
  const box = document.createElement('span');
  box.className = 'import';
  const select = document.createElement('select');
  select.className = 'import-destination';
  select.setAttribute('aria-label', t('import.destination'));
  for (const ae of destinations) {
    const o = document.createElement('option');
    o.value = ae;
    o.textContent = ae;
    select.append(o);
  }
  const progress = document.createElement('span');
  progress.className = 'import-progress';
  progress.setAttribute('aria-live', 'polite');
  let jobId = null;
  const cancel = button('import-cancel', 'import.cancel', async () => {
    cancel.disabled = true;
    await cancelImport(root, jobId, accessToken);
  });
  cancel.hidden = true;
  const go = button('import-study', 'import.button', async () => {
    go.disabled = true;
    try {
      const job = await importStudy(root, uid, select.value, accessToken, (j) => {
        jobId = j.id;
        cancel.hidden = !['queued', 'fetching', 'sending'].includes(j.state);
        progress.dataset.state = j.state;
        // a study of another node is fetched from it first: that count, then the sending's
        const done = j.state === 'fetching' ? j.fetched : j.completed + j.warning;
        progress.textContent = `${t(`import.${j.state}`)} ${done}/${j.total}`
          + (j.failed ? ` (${j.failed} ${t('import.failedCount')})` : '');
      });
      // the node's reason for a failure (a cancelled job's state and counts already say it all)
      if (job.error && job.state === 'failed') progress.textContent += ` ${job.error}`;
    } catch (err) {
      progress.dataset.state = 'failed';
      progress.textContent = err.status === 403 ? t('denied') : `${t('error')} (${err.message})`;
    } finally {
      go.disabled = false;
      cancel.hidden = true;
      cancel.disabled = false;
    }
  });
  box.append(select, go, cancel, progress);
  return box;
}

form.addEventListener('submit', search);
const initial = new URLSearchParams(location.search);
for (const k of ['PatientID', 'PatientName']) if (initial.get(k)) form.elements[k].value = initial.get(k);
if (initial.get('PatientID') || initial.get('PatientName')) search();
