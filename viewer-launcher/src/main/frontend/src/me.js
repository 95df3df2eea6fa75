// Patient pages: my studies (thumbnail, date, modality, site) with open in the viewer, download (DICOM with
// a DICOMDIR, JPEG for sharing), share link and hide; blocked professionals; access history. Backed by the
// node's patient API (/api/patient/...), called with the patient's access token once signed in (session.js).
import './portal.css';
import { localisePage, actionButton } from './page.js';
import { session, userBar } from './session.js';
import { downloadStudy } from './studyactions.js';

const { lang, t } = localisePage('me.title');

const signedIn = await session(document.getElementById('login'), t);
userBar(document.getElementById('user'), t, signedIn, lang);
document.getElementById('content').hidden = false;
const token = signedIn?.token ?? null;
const root = new URL('..', location.href).pathname;
const status = document.getElementById('status');

async function api(method, path, body) {
  const rs = await fetch(`${root}api/patient${path}`, {
    method,
    headers: { Accept: 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!rs.ok) throw new Error(rs.status === 401 || rs.status === 403 ? t('denied') : `${rs.status}`);
  return rs.status === 204 ? null : rs.json();
}

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text ?? '';
  return td;
}

function button(label, cls, onClick) {
  return actionButton(label, cls, onClick, status);
}

function date(iso) {
  return iso ? new Date(`${iso}T00:00:00`).toLocaleDateString(lang) : '';
}

async function loadStudies() {
  const studies = await api('GET', '/studies');
  const tbody = document.querySelector('#studies tbody');
  tbody.replaceChildren(...studies.map((s) => {
    const tr = document.createElement('tr');
    tr.dataset.study = s.studyInstanceUID;
    tr.dataset.hidden = String(!!s.hidden);
    const thumb = document.createElement('td');
    const img = document.createElement('img');
    img.alt = '';
    thumb.append(img);
    // the URL carries its own short-lived token for this one thumbnail (never the patient's)
    img.src = `${root}${s.thumbnailUrl.replace(/^\//, '')}`;
    const actions = document.createElement('td');
    actions.className = 'actions';
    actions.append(
      button(t('me.open'), 'open', () => {
        window.open(`${root}viewer/?study=${encodeURIComponent(s.studyInstanceUID)}&lang=${lang}#token=${encodeURIComponent(token)}`, '_blank');
      }),
      button(t('download.dicom'), 'download-dicom', () => downloadStudy(root, s.studyInstanceUID, 'dicom', token)),
      button(t('download.jpeg'), 'download-jpeg', () => downloadStudy(root, s.studyInstanceUID, 'jpeg', token)),
      button(t('me.share'), 'share', async () => {
        const link = await api('POST', `/studies/${encodeURIComponent(s.studyInstanceUID)}/share-links`, {});
        const url = `${location.origin}${root}viewer/?study=${encodeURIComponent(s.studyInstanceUID)}#token=${encodeURIComponent(link.token)}`;
        const out = document.createElement('input');
        out.className = 'share-url';
        out.readOnly = true;
        out.value = url;
        out.title = `${t('me.until')} ${new Date(link.expiresAt).toLocaleString(lang)}`;
        actions.append(out);
        out.select();
      }),
      button(s.hidden ? t('me.unhide') : t('me.hide'), 'hide', async () => {
        await api(s.hidden ? 'DELETE' : 'PUT', `/studies/${encodeURIComponent(s.studyInstanceUID)}/hidden`);
        await loadStudies();
      }),
    );
    tr.append(thumb, cell(date(s.studyDate)), cell((s.modalities || []).join('/')), cell(s.description),
      cell(s.site), actions);
    if (s.hidden) tr.style.opacity = '0.6';
    return tr;
  }));
}

async function loadBlocked() {
  const list = await api('GET', '/blocked-professionals');
  document.getElementById('blocked').replaceChildren(...list.map((id) => {
    const li = document.createElement('li');
    li.dataset.professional = id;
    li.append(`${id} `, button(t('me.unblock'), 'unblock', async () => {
      await api('DELETE', `/blocked-professionals/${encodeURIComponent(id)}`);
      await loadBlocked();
    }));
    return li;
  }));
}

async function loadHistory() {
  const rows = await api('GET', '/history?limit=100');
  document.querySelector('#history tbody').replaceChildren(...rows.map((e) => {
    const tr = document.createElement('tr');
    tr.append(cell(new Date(e.time).toLocaleString(lang)), cell(`${e.actor} (${e.role})`), cell(e.action),
      cell(e.channel), cell(e.outcome + (e.emergency ? ' !' : '')));
    return tr;
  }));
}

document.getElementById('block').addEventListener('submit', async (e) => {
  e.preventDefault();
  const id = e.target.elements.professional.value.trim();
  if (!id) return;
  try {
    await api('PUT', `/blocked-professionals/${encodeURIComponent(id)}`);
    e.target.reset();
    await loadBlocked();
  } catch (err) { status.textContent = err.message; }
});

Promise.all([loadStudies(), loadBlocked(), loadHistory()])
  .then(() => { document.body.dataset.state = 'ready'; })
  .catch((e) => { status.textContent = e.message; document.body.dataset.state = 'error'; });
