// The node's zero-footprint viewer: one study over the node's DICOMweb (QIDO-RS for the series,
// WADO-RS metadata and frames for the images), drawn by Cornerstone3D. Compressed frames are
// requested as stored (transfer-syntax=*) and decoded in the browser by the codec packages.
import './style.css';
import { init as coreInit, RenderingEngine, Enums, getRenderingEngine } from '@cornerstonejs/core';
import { init as loaderInit, wadors } from '@cornerstonejs/dicom-image-loader';
import {
  init as toolsInit, addTool, ToolGroupManager, StackScrollTool, WindowLevelTool, PanTool, ZoomTool, LengthTool,
  Enums as ToolEnums, annotation,
} from '@cornerstonejs/tools';
import { DicomWeb, DicomWebError, value, personName } from './dicomweb.js';
import { language, translator, applyTitles } from './i18n.js';

const ENGINE_ID = 'node-viewer';
const VIEWPORT_ID = 'stack';
const TOOL_GROUP_ID = 'node-viewer-tools';
const PRESETS = [
  { key: 'preset.default' },
  { key: 'preset.soft', center: 40, width: 400 },
  { key: 'preset.lung', center: -600, width: 1500 },
  { key: 'preset.bone', center: 300, width: 1500 },
  { key: 'preset.brain', center: 40, width: 80 },
];
const TOOLS = { WindowLevel: WindowLevelTool, Pan: PanTool, Zoom: ZoomTool, StackScroll: StackScrollTool, Length: LengthTool };

let lang = language();
let t = translator(lang);
document.documentElement.lang = lang;
applyTitles(t);

const params = new URLSearchParams(location.search);
const studyUid = params.get('study');
const wantedSeries = params.get('series');
// the viewer token travels in the fragment (never sent to a server nor logged); drop it from the address bar
const hash = new URLSearchParams(location.hash.slice(1));
const token = hash.get('token');
if (token) history.replaceState(null, '', location.pathname + location.search);
const dicomWeb = new DicomWeb(params.get('dicomweb') || new URL('../dicomweb', location.href).pathname, token);

const el = {
  viewport: document.getElementById('viewport'),
  series: document.getElementById('series'),
  info: document.getElementById('study-info'),
  tl: document.getElementById('overlay-tl'),
  br: document.getElementById('overlay-br'),
  message: document.getElementById('message'),
  presets: document.getElementById('presets'),
};

/** What tests and the benchmark read: the state of the viewer. */
const state = window.nodeViewer = {
  state: 'loading', seriesUid: null, imageIndex: 0, imageCount: 0, voi: null, invert: false, tool: 'WindowLevel',
  seriesList: [], error: null, firstImageMs: null,
};

let viewport;
let activeTool = 'WindowLevel';

function setState(s, messageKey) {
  const message = messageKey && t(messageKey);
  state.messageKey = messageKey || null;
  state.state = s;
  document.body.dataset.state = s;
  el.message.hidden = !message;
  el.message.textContent = message || '';
}

async function start() {
  if (!studyUid) {
    setState('error', 'noStudy');
    return;
  }
  setState('loading', 'loading');
  await coreInit();
  loaderInit({
    maxWebWorkers: Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)),
    beforeSend: () => (token ? { Authorization: `Bearer ${token}` } : {}),
  });
  toolsInit();

  const engine = new RenderingEngine(ENGINE_ID);
  engine.enableElement({ viewportId: VIEWPORT_ID, type: Enums.ViewportType.STACK, element: el.viewport,
    defaultOptions: { background: [0, 0, 0] } });
  viewport = engine.getViewport(VIEWPORT_ID);
  setUpTools();
  el.viewport.addEventListener(Enums.Events.IMAGE_RENDERED, onRendered);
  el.viewport.addEventListener(Enums.Events.STACK_NEW_IMAGE, onRendered);
  el.viewport.addEventListener(Enums.Events.VOI_MODIFIED, onRendered);
  new ResizeObserver(() => getRenderingEngine(ENGINE_ID)?.resize(true, true)).observe(el.viewport);

  const [studies, series] = await Promise.all([dicomWeb.study(studyUid), dicomWeb.series(studyUid)]);
  const study = studies[0];
  if (!study || series.length === 0) {
    setState('error', 'notFound');
    return;
  }
  el.info.textContent = [personName(value(study, '00100010')), formatDate(value(study, '00080020')),
    value(study, '00081030'), (study['00080061']?.Value || []).join('/')].filter(Boolean).join(' · ');
  series.sort((a, b) => (value(a, '00200011') ?? 1e9) - (value(b, '00200011') ?? 1e9));
  state.seriesList = series.map((s) => value(s, '0020000E'));
  renderSeriesList(series);
  const first = wantedSeries && state.seriesList.includes(wantedSeries) ? wantedSeries : state.seriesList[0];
  await showSeries(first);
}

function setUpTools() {
  Object.values(TOOLS).forEach((tool) => addTool(tool));
  const group = ToolGroupManager.createToolGroup(TOOL_GROUP_ID);
  Object.values(TOOLS).forEach((tool) => group.addTool(tool.toolName));
  group.addViewport(VIEWPORT_ID, ENGINE_ID);
  const { MouseBindings } = ToolEnums;
  group.setToolActive(StackScrollTool.toolName, { bindings: [{ mouseButton: MouseBindings.Wheel }] });
  group.setToolActive(PanTool.toolName, { bindings: [{ mouseButton: MouseBindings.Auxiliary }] });
  group.setToolActive(ZoomTool.toolName, { bindings: zoomBindings() });
  selectTool('WindowLevel');
}

/** Zoom is always on the right button and on a two-finger pinch (phones), whichever tool is selected. */
function zoomBindings() {
  return [{ mouseButton: ToolEnums.MouseBindings.Secondary }, { numTouchPoints: 2 }];
}

/** Puts a tool on the primary button (and one-finger touch). */
function selectTool(name) {
  const group = ToolGroupManager.getToolGroup(TOOL_GROUP_ID);
  const { MouseBindings } = ToolEnums;
  const previous = TOOLS[activeTool];
  if (previous && activeTool !== name) {
    if (activeTool === 'Pan') {
      group.setToolActive(PanTool.toolName, { bindings: [{ mouseButton: MouseBindings.Auxiliary }] });
    } else if (activeTool === 'Zoom') {
      group.setToolActive(ZoomTool.toolName, { bindings: zoomBindings() });
    } else if (activeTool === 'StackScroll') {
      group.setToolActive(StackScrollTool.toolName, { bindings: [{ mouseButton: MouseBindings.Wheel }] });
    } else {
      group.setToolPassive(previous.toolName);
    }
  }
  const extra = { Pan: MouseBindings.Auxiliary, StackScroll: MouseBindings.Wheel }[name];
  const bindings = name === 'Zoom' ? [{ mouseButton: MouseBindings.Primary }, ...zoomBindings()]
    : [{ mouseButton: MouseBindings.Primary }];
  if (extra) bindings.push({ mouseButton: extra });
  group.setToolActive(TOOLS[name].toolName, { bindings });
  activeTool = name;
  state.tool = name;
  document.querySelectorAll('[data-tool]').forEach((b) => b.classList.toggle('active', b.dataset.tool === name));
}

function renderSeriesList(series) {
  el.series.replaceChildren();
  for (const s of series) {
    const uid = value(s, '0020000E');
    const b = document.createElement('button');
    b.className = 'thumb';
    b.dataset.series = uid;
    const img = document.createElement('img');
    img.alt = '';
    const label = document.createElement('span');
    label.textContent = `${value(s, '00080060') || ''} ${value(s, '00200011') ?? ''} ${value(s, '0008103E') || ''}`
      + ` (${value(s, '00201209') ?? '?'})`;
    b.append(img, label);
    b.addEventListener('click', () => showSeries(uid));
    el.series.append(b);
    dicomWeb.thumbnail(studyUid, uid).then((url) => { if (url) img.src = url; }).catch(() => {});
  }
}

async function showSeries(seriesUid) {
  setState('loading', 'loading');
  const t0 = performance.now();
  const metadata = await dicomWeb.seriesMetadata(studyUid, seriesUid);
  metadata.sort((a, b) => (value(a, '00200013') ?? 0) - (value(b, '00200013') ?? 0));
  const imageIds = [];
  for (const instance of metadata) {
    // Modality is required, yet some objects (secondary captures wrapped from pictures) lack it, and the image
    // loader's metadata code fails on its absence: call it "other"
    if (!value(instance, '00080060')) instance['00080060'] = { vr: 'CS', Value: ['OT'] };
    const sop = value(instance, '00080018');
    const frames = Number(value(instance, '00280008') || 1);
    for (let f = 1; f <= frames; f++) {
      const imageId = `wadors:${location.origin}${dicomWeb.frameUrl(studyUid, seriesUid, sop, f)}`;
      wadors.metaDataManager.add(imageId, instance);
      imageIds.push(imageId);
    }
  }
  state.seriesUid = seriesUid;
  state.imageCount = imageIds.length;
  document.querySelectorAll('.thumb').forEach((b) => b.classList.toggle('active', b.dataset.series === seriesUid));
  const middle = 0;
  await viewport.setStack(imageIds, middle);
  viewport.render();
  fillPresets(metadata[0]);
  state.invert = false;
  setState('ready');
  if (state.firstImageMs === null) {
    state.firstImageMs = performance.now();
    performance.mark('first-image');
  }
  state.seriesLoadMs = performance.now() - t0;
}

let presetSource = null;

function fillPresets(instance) {
  presetSource = instance;
  const selected = el.presets.value;
  const c = Number(value(instance, '00281050'));
  const w = Number(value(instance, '00281051'));
  el.presets.replaceChildren();
  PRESETS.forEach((p, i) => {
    const o = document.createElement('option');
    o.value = String(i);
    o.textContent = `${i + 1}. ${t(p.key)}${p.width ? ` (${p.center}/${p.width})` : Number.isFinite(w) ? ` (${c}/${w})` : ''}`;
    el.presets.append(o);
  });
  if (selected) el.presets.value = selected;
}

function applyPreset(i) {
  const p = PRESETS[i];
  if (!p || !viewport) return;
  if (!p.width) {
    viewport.resetProperties();
  } else {
    viewport.setProperties({ voiRange: { lower: p.center - p.width / 2, upper: p.center + p.width / 2 } });
  }
  el.presets.value = String(i);
  viewport.render();
}

function onRendered() {
  if (!viewport || !viewport.getImageIds().length) return;
  state.imageIndex = viewport.getCurrentImageIdIndex();
  const props = viewport.getProperties();
  if (props.voiRange) {
    const width = props.voiRange.upper - props.voiRange.lower;
    state.voi = { center: Math.round(props.voiRange.lower + width / 2), width: Math.round(width) };
  }
  state.invert = !!props.invert;
  state.renderCount = (state.renderCount || 0) + 1;
  el.tl.textContent = `${t('image')} ${state.imageIndex + 1} / ${state.imageCount}`;
  el.br.textContent = state.voi ? `W ${state.voi.width}  L ${state.voi.center}` : '';
  document.body.dataset.imageIndex = String(state.imageIndex);
}

async function scrollBy(delta) {
  if (!viewport) return;
  const n = viewport.getImageIds().length;
  const next = Math.max(0, Math.min(n - 1, viewport.getCurrentImageIdIndex() + delta));
  await viewport.setImageIdIndex(next);
}

function zoomBy(factor) {
  const camera = viewport.getCamera();
  viewport.setCamera({ parallelScale: camera.parallelScale / factor });
  viewport.render();
}

function reset() {
  viewport.resetCamera();
  viewport.resetProperties();
  viewport.render();
  el.presets.value = '0';
}

function toggleFullscreen() {
  if (document.fullscreenElement) document.exitFullscreen();
  else document.documentElement.requestFullscreen?.().catch(() => {});
}

function switchSeries(delta) {
  const i = state.seriesList.indexOf(state.seriesUid) + delta;
  if (i >= 0 && i < state.seriesList.length) showSeries(state.seriesList[i]);
}

document.querySelectorAll('[data-tool]').forEach((b) => b.addEventListener('click', () => selectTool(b.dataset.tool)));
el.presets.addEventListener('change', () => applyPreset(Number(el.presets.value)));
document.getElementById('invert').addEventListener('click', () => {
  viewport.setProperties({ invert: !viewport.getProperties().invert });
  viewport.render();
});
document.getElementById('reset').addEventListener('click', reset);
document.getElementById('fullscreen').addEventListener('click', toggleFullscreen);
const help = document.getElementById('help');
const langButton = document.getElementById('lang');

/** Shows every text in the language (French or English) without reloading: the token lives only in this page. */
function showLanguage(next) {
  lang = next;
  t = translator(lang);
  state.lang = lang;
  document.documentElement.lang = lang;
  applyTitles(t);
  document.getElementById('help-text').textContent = t('helpText');
  langButton.textContent = lang === 'fr' ? 'EN' : 'FR';
  if (presetSource) fillPresets(presetSource);
  if (state.messageKey) el.message.textContent = t(state.messageKey);
  onRendered();
  const u = new URL(location.href);
  u.searchParams.set('lang', lang);
  history.replaceState(null, '', u.pathname + u.search);
}
langButton.addEventListener('click', () => showLanguage(lang === 'fr' ? 'en' : 'fr'));
showLanguage(lang);
document.getElementById('help-button').addEventListener('click', () => help.showModal());

document.addEventListener('keydown', (e) => {
  if (!viewport || e.ctrlKey || e.metaKey || e.altKey || e.target instanceof HTMLSelectElement) return;
  const keys = {
    ArrowUp: () => scrollBy(-1), ArrowDown: () => scrollBy(1), PageUp: () => scrollBy(-10), PageDown: () => scrollBy(10),
    Home: () => scrollBy(-1e9), End: () => scrollBy(1e9), ArrowLeft: () => switchSeries(-1), ArrowRight: () => switchSeries(1),
    '+': () => zoomBy(1.25), '=': () => zoomBy(1.25), '-': () => zoomBy(0.8), r: reset, f: toggleFullscreen,
    i: () => document.getElementById('invert').click(), w: () => selectTool('WindowLevel'), p: () => selectTool('Pan'),
    z: () => selectTool('Zoom'), s: () => selectTool('StackScroll'), l: () => selectTool('Length'),
    '?': () => help.showModal(),
  };
  const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (keys[k]) {
    keys[k]();
    e.preventDefault();
  } else if (/^[1-5]$/.test(k)) {
    applyPreset(Number(k) - 1);
    e.preventDefault();
  }
});

function formatDate(da) {
  if (!da || da.length !== 8) return da;
  return new Date(`${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6, 8)}T00:00:00`).toLocaleDateString(lang);
}

/** Length measurements drawn on the current series: their values as displayed. */
function measurements() {
  return annotation.state.getAllAnnotations()
    .filter((a) => a.metadata?.toolName === LengthTool.toolName)
    .map((a) => Object.values(a.data?.cachedStats || {}).map((st) => ({ length: st.length, unit: st.unit }))[0] || {});
}

// for tests and the benchmark: drive the viewer like the keyboard does, and read it back
Object.assign(state, { scrollBy, applyPreset, selectTool, showSeries, zoomBy, reset, measurements,
  camera: () => viewport && { parallelScale: viewport.getCamera().parallelScale } });

start().catch((e) => {
  console.error(e);
  state.error = String(e && e.message || e);
  setState('error', e instanceof DicomWebError && (e.status === 401 || e.status === 403) ? 'denied'
    : e instanceof DicomWebError && e.status === 404 ? 'notFound' : 'error');
});
