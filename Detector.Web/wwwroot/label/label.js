// The labeling flow over the API: next item, its photo, boxes drawn with a pointer, labels submitted.
const KeyName = 'detector.labelerKey';
const svgNs = 'http://www.w3.org/2000/svg';
const $ = (id) => document.getElementById(id);
const state = { item: null, boxes: [], drag: null, photoUrl: null };

async function call(path, { method = 'GET', body, accept = 'application/json' } = {}) {
  const headers = { 'X-Labeler-Key': sessionStorage.getItem(KeyName) ?? '', Accept: accept };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) {
    let problem = {};
    try { problem = await response.json(); } catch { /* the status says enough */ }
    throw new Error(`${problem.detail ?? problem.title ?? `The service answered ${response.status}`} (${problem.code ?? response.status})`);
  }
  if (response.status === 204) return null;
  return accept === 'application/json' ? response.json() : response.blob();
}

const say = (text, isError = false) => { $('status').textContent = text; $('status').classList.toggle('error', isError); };

async function next() {
  try {
    const item = await call('/v1/labeling/next', { method: 'POST' });
    if (!item) { $('work').hidden = true; say('Nothing to label now.'); return; }
    state.item = item;
    state.boxes = [];
    const photo = await call(item.image_url, { accept: 'image/*' });
    if (state.photoUrl) URL.revokeObjectURL(state.photoUrl);
    state.photoUrl = URL.createObjectURL(photo);
    $('photo').src = state.photoUrl;
    $('canvas').setAttribute('viewBox', `0 0 ${item.width} ${item.height}`);
    const names = [...new Set((item.suggestions ?? []).map((s) => s.label))];
    $('label-names').replaceChildren(...names.map((n) => new Option(n)));
    $('work').hidden = false;
    render();
    say(`Photo ${item.id}: draw a box around each object.`);
  } catch (error) {
    say(error.message, true);
  }
}

// Pointer position in the photo's own pixels, whatever size the photo is shown at.
function toPhoto(event) {
  const svg = $('canvas');
  const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(svg.getScreenCTM().inverse());
  return { x: Math.min(Math.max(point.x, 0), state.item.width), y: Math.min(Math.max(point.y, 0), state.item.height) };
}

function render() {
  const svg = $('canvas');
  const rect = (b, cls) => {
    const r = document.createElementNS(svgNs, 'rect');
    Object.entries({ x: b.x, y: b.y, width: b.width, height: b.height, class: cls, 'stroke-width': Math.max(2, state.item.width / 300) }).forEach(([k, v]) => r.setAttribute(k, v));
    return r;
  };
  const suggestions = (state.item.suggestions ?? []).map((s) => rect(s, 'suggestion'));
  const drawn = state.boxes.map((b, i) => { const r = rect(b, 'box'); r.dataset.testid = 'drawn-box'; r.dataset.index = i; return r; });
  svg.replaceChildren(...suggestions, ...drawn, ...(state.drag ? [rect(state.drag.box, 'box')] : []));
  $('boxes').tBodies[0].replaceChildren(...state.boxes.map((b, i) => {
    const row = document.createElement('tr');
    const label = document.createElement('td');
    label.textContent = b.label;
    const where = document.createElement('td');
    where.textContent = [b.x, b.y, b.width, b.height].map((v) => v.toFixed(0)).join(', ');
    const remove = document.createElement('td');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Remove';
    button.setAttribute('aria-label', `Remove box ${i + 1} (${b.label})`);
    button.addEventListener('click', () => { state.boxes.splice(i, 1); render(); });
    remove.append(button);
    row.append(label, where, remove);
    return row;
  }));
}

const canvas = $('canvas');
canvas.addEventListener('pointerdown', (e) => {
  if (!state.item) return;
  canvas.setPointerCapture(e.pointerId);
  const start = toPhoto(e);
  state.drag = { start, box: { ...start, width: 0, height: 0 } };
});
canvas.addEventListener('pointermove', (e) => {
  if (!state.drag) return;
  const p = toPhoto(e);
  const s = state.drag.start;
  state.drag.box = { x: Math.min(s.x, p.x), y: Math.min(s.y, p.y), width: Math.abs(p.x - s.x), height: Math.abs(p.y - s.y) };
  render();
});
canvas.addEventListener('pointerup', () => {
  const box = state.drag?.box;
  state.drag = null;
  // A click is not a box: at least 4 photo pixels each way.
  if (box && box.width >= 4 && box.height >= 4) state.boxes.push({ label: $('label-name').value.trim() || 'object', ...box });
  render();
});

$('take-suggestions').addEventListener('click', () => {
  state.boxes = (state.item?.suggestions ?? []).map((s) => ({ label: s.label, x: s.x, y: s.y, width: s.width, height: s.height }));
  render();
});
$('submit-labels').addEventListener('click', async () => {
  try {
    const boxes = state.boxes.map(({ label, x, y, width, height }) => ({ label, x, y, width, height }));
    await call(`/v1/labeling/items/${state.item.id}/labels`, { method: 'POST', body: { boxes } });
    say(`Labels for ${state.item.id} submitted.`);
    await next();
  } catch (error) {
    say(error.message, true);
  }
});
$('skip').addEventListener('click', next);
$('key-form').addEventListener('submit', (e) => { e.preventDefault(); sessionStorage.setItem(KeyName, $('labeler-key').value.trim()); next(); });
