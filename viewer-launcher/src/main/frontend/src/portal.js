// Professional portal (first piece): find a patient's studies on this node and open one in Weasis
// (weasis:// launch with a study-scoped viewer token) or in the web viewer. The caller's own access
// token, if any, comes in the page's fragment (#token=...) and is sent as a Bearer header only.
import './portal.css';
import { DicomWeb, value, personName } from './dicomweb.js';
import { language, translator } from './i18n.js';

const lang = language();
const t = translator(lang);
document.documentElement.lang = lang;
document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
document.title = t('portal.title');

const hash = new URLSearchParams(location.hash.slice(1));
const accessToken = hash.get('token');
if (accessToken) history.replaceState(null, '', location.pathname + location.search);
const root = new URL('..', location.href).pathname; // the node's context path, from /viewer/portal.html
const dicomWeb = new DicomWeb(`${root}dicomweb`, accessToken);
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
  const weasis = document.createElement('button');
  weasis.className = 'open-weasis';
  weasis.textContent = t('portal.weasis');
  weasis.addEventListener('click', async () => {
    try {
      const { weasisUri } = await launch('weasis', uid);
      weasis.dataset.weasisUri = weasisUri; // read by tests; the browser hands it to the installed Weasis
      location.href = weasisUri;
    } catch (err) { status.textContent = err.message; }
  });
  const web = document.createElement('button');
  web.className = 'open-web';
  web.textContent = t('portal.web');
  web.addEventListener('click', async () => {
    try {
      const { viewerUrl } = await launch('web', uid);
      location.href = viewerUrl; // same tab: the back button returns to the list
    } catch (err) { status.textContent = err.message; }
  });
  actions.append(weasis, web);
  tr.append(thumb, cell(date), cell(`${personName(value(study, '00100010'))} (${value(study, '00100020') || ''})`),
    cell((study['00080061']?.Value || []).join('/')), cell(value(study, '00081030')),
    cell(value(study, '00201208')), actions);
  return tr;
}

form.addEventListener('submit', search);
const initial = new URLSearchParams(location.search);
for (const k of ['PatientID', 'PatientName']) if (initial.get(k)) form.elements[k].value = initial.get(k);
if (initial.get('PatientID') || initial.get('PatientName')) search();
