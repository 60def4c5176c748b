// Wires the page: the key, the model list, a detection, a job and the recent results.
import { ApiError, call, idempotencyKey, key } from './api.js';
import { show } from './viewer.js';

const $ = (id) => document.getElementById(id);
const viewer = { figure: $('viewer'), image: $('viewer-image'), svg: $('viewer-boxes'), caption: $('viewer-caption'), table: $('detections'), timings: $('timings') };
let objectUrl = null;

function say(element, text, isError = false) {
  element.textContent = text;
  element.classList.toggle('error', isError);
}

const failure = (error) => (error instanceof ApiError ? error.message : `The service could not be reached: ${error.message}`);

function ownUrl(blob) {
  if (objectUrl) URL.revokeObjectURL(objectUrl);
  objectUrl = URL.createObjectURL(blob);
  return objectUrl;
}

async function loadModels() {
  const select = $('model');
  select.replaceChildren(new Option('Default model', ''));
  const { models } = await call('/v1/models');
  for (const model of models) {
    select.append(new Option(`${model.name} (${model.version}${model.is_default ? ', default' : ''})`, model.name));
    for (const alias of Object.keys(model.aliases ?? {}).filter((a) => a !== 'production')) {
      select.append(new Option(`${model.name}@${alias}`, `${model.name}@${alias}`));
    }
  }
}

async function useKey(value) {
  key.set(value);
  try {
    await loadModels();
    say($('key-status'), 'Key accepted.');
    await loadRecent();
  } catch (error) {
    say($('key-status'), failure(error), true);
  }
}

async function detect(file) {
  if (!file) return;
  const status = $('detect-status');
  say(status, `Detecting objects in ${file.name}…`);
  const form = new FormData();
  form.append('image', file, file.name);
  const query = new URLSearchParams({ min_score: $('min-score').value || '0.25' });
  if ($('model').value) query.set('model', $('model').value);
  try {
    const result = await call(`/v1/detect?${query}`, { method: 'POST', body: form, headers: { 'Idempotency-Key': idempotencyKey() } });
    show(ownUrl(file), result, viewer);
    say(status, `${result.detections.length} objects found in ${result.timings.total_ms.toFixed(0)} ms.`);
    prependRecent(result);
  } catch (error) {
    say(status, failure(error), true);
  }
}

async function submitJob(files) {
  const status = $('job-status');
  const progress = $('job-progress');
  const form = new FormData();
  for (const file of files) form.append('images', file, file.name);
  try {
    const job = await call('/v1/jobs', { method: 'POST', body: form, headers: { 'Idempotency-Key': idempotencyKey() } });
    progress.hidden = false;
    progress.max = files.length;
    for (;;) {
      const now = await call(job.status_url);
      const done = now.counts.succeeded + now.counts.failed + now.counts.cancelled;
      progress.value = done;
      say(status, `Job ${now.status}: ${done} of ${now.counts.total} photos done.`);
      if (!['queued', 'running'].includes(now.status)) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    loadRecent();
  } catch (error) {
    say(status, failure(error), true);
  }
}

const RecentShown = 10;

async function loadRecent() {
  const { items } = await call(`/v1/results?limit=${RecentShown}`);
  $('recent').tBodies[0].replaceChildren(...items.map(recentRow));
}

// A detection's answer is the newest result: shown at once, without asking the service for the list again.
function prependRecent(result) {
  const body = $('recent').tBodies[0];
  body.prepend(recentRow(result));
  while (body.rows.length > RecentShown) body.lastElementChild.remove();
}

function recentRow(r) {
  const row = document.createElement('tr');
  for (const text of [new Date(r.created_at).toLocaleString(), `${r.model.name} ${r.model.version}`, String(r.detections.length)]) {
    const cell = document.createElement('td');
    cell.textContent = text;
    row.append(cell);
  }
  const cell = document.createElement('td');
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = 'Show';
  button.setAttribute('aria-label', `Show the result of ${new Date(r.created_at).toLocaleString()}`);
  button.addEventListener('click', () => showStored(r));
  cell.append(button);
  row.append(cell);
  return row;
}

// A stored result is shown as the service draws it (annotated.jpg), so the photo need not be on this device.
async function showStored(result) {
  try {
    const blob = await call(`/v1/results/${result.id}/annotated.jpg?max_side=1600`, { accept: 'image/jpeg' });
    show(ownUrl(blob), result, viewer, { boxes: false });
    viewer.caption.textContent = `${result.model.name} ${result.model.version}: ${result.detections.length} objects (drawn by the service)`;
  } catch (error) {
    say($('detect-status'), failure(error), true);
  }
}

$('key-form').addEventListener('submit', (e) => { e.preventDefault(); useKey($('api-key').value.trim()); });
$('forget-key').addEventListener('click', () => { key.forget(); $('api-key').value = ''; say($('key-status'), 'Key forgotten.'); });
$('detect-form').addEventListener('submit', (e) => { e.preventDefault(); detect($('photo').files[0] ?? $('camera').files[0]); });
$('photo').addEventListener('change', () => detect($('photo').files[0]));
$('camera').addEventListener('change', () => detect($('camera').files[0]));
$('job-form').addEventListener('submit', (e) => { e.preventDefault(); submitJob([...$('job-photos').files]); });
$('recent-refresh').addEventListener('click', () => loadRecent().catch((error) => say($('key-status'), failure(error), true)));
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); detect(e.dataTransfer.files[0]); });
if (key.get()) {
  $('api-key').value = key.get();
  useKey(key.get());
}
