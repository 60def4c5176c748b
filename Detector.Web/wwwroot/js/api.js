// The API as this page calls it: the key from session storage in X-Api-Key, problems turned into messages.
const KeyName = 'detector.apiKey';

export const key = {
  get: () => sessionStorage.getItem(KeyName) ?? '',
  set: (value) => sessionStorage.setItem(KeyName, value),
  forget: () => sessionStorage.removeItem(KeyName),
};

export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail ? `${detail} (${code ?? status})` : `The service answered ${status}${code ? ` ${code}` : ''}.`);
    this.status = status;
    this.code = code;
  }
}

// One call; a problem+json answer becomes an ApiError carrying its stable code.
export async function call(path, { method = 'GET', body, accept = 'application/json', headers = {} } = {}) {
  const response = await fetch(path, { method, body, headers: { 'X-Api-Key': key.get(), Accept: accept, ...headers } });
  if (!response.ok) {
    let problem = {};
    try { problem = await response.json(); } catch { /* not problem+json: the status says enough */ }
    throw new ApiError(response.status, problem.code, problem.detail ?? problem.title);
  }
  if (response.status === 204) return null;
  return accept === 'application/json' ? response.json() : response.blob();
}

// An idempotency key per submission, so a resend after a dropped connection is not a second job.
export const idempotencyKey = () => crypto.randomUUID();
