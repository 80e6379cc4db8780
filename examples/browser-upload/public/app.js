// The browser side of a direct upload: ask the server to sign, PUT the file
// straight to the bucket, ask the server to confirm, show the image.
const form = document.getElementById('upload');
const status = document.getElementById('status');

function say(text, isError = false) {
  status.textContent = text;
  status.className = isError ? 'error' : '';
}

async function postJson(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { ok: response.ok, body: await response.json() };
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const file = document.getElementById('file').files[0];
  if (!file) return say('Choose a file first.', true);
  document.getElementById('result').hidden = true;
  say(`Asking to upload ${file.name}…`);
  // 1. The server checks type and size and signs a PUT, or says why not.
  const signed = await postJson('/api/uploads', { fileName: file.name, contentType: file.type, size: file.size });
  if (!signed.ok) return say(`Refused: ${signed.body.error}`, true);
  // 2. Straight to the bucket (another origin: the browser sends a CORS preflight first).
  say(`Uploading ${file.name}…`);
  let put;
  try {
    put = await fetch(signed.body.url, { method: signed.body.method, headers: signed.body.headers, body: file });
  } catch (error) {
    return say(`Upload failed: ${error.message} (is CORS set on the bucket?)`, true);
  }
  if (!put.ok) return say(`Upload failed: the bucket answered ${put.status}`, true);
  // 3. The server confirms the object and records it; the image comes back as a signed URL.
  const done = await postJson(`/api/uploads/${signed.body.id}/complete`);
  if (!done.ok) return say(`Not recorded: ${done.body.error}`, true);
  document.getElementById('location').textContent = done.body.location;
  const preview = document.getElementById('preview');
  preview.onload = () => say(`Uploaded ${file.name} (${done.body.size} bytes).`);
  preview.onerror = () => say('Uploaded, but the image did not load from its signed URL.', true);
  preview.src = done.body.url;
  document.getElementById('result').hidden = false;
});
