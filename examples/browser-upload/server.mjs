/**
 * Browser direct upload with Stowage: a small node:http server and a page (no
 * front-end build). The browser asks the server for an upload URL; the server
 * refuses a type it does not allow or a file that is too large (400 with a
 * message the page shows), else signs a PUT under a key from the provider's
 * key template; the browser PUTs the file straight to the bucket (a CORS
 * preflight runs: the bucket is another origin); the server then confirms the
 * object (HEAD: size and type) and records it in the catalog; the page shows
 * it through a signed GET, the bucket being private.
 *
 * Run: node examples/browser-upload/server.mjs with S3_ENDPOINT, S3_BUCKET,
 * S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY (MinIO or any S3), or R2_ACCOUNT_ID,
 * R2_BUCKET, R2_ACCESS_KEY_ID, R2_SECRET_ACCESS_KEY (then the bucket's CORS
 * policy is set for this page's origin). See README.md for the rest.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalDriver } from '@stowage/driver-local';
import { applyR2Cors, r2DriverDefinition } from '@stowage/driver-r2';
import { minioDriverDefinition } from '@stowage/driver-s3';
import { createStorage, ErrorCode, isStorageError, JsonFileSettingsStore } from '@stowage/storage-core';

const env = process.env;
const LIMITS = {
  allowedTypes: (env.UPLOAD_TYPES ?? 'image/png,image/jpeg,image/webp,image/gif').split(',').map((t) => t.trim()),
  maxBytes: Number(env.UPLOAD_MAX_BYTES ?? 2 * 1024 * 1024),
};
const KEY_TEMPLATE = env.UPLOAD_KEY_TEMPLATE ?? 'uploads/{year}/{month}/{uuid}.{extName}';
const PUBLIC = new URL('./public/', import.meta.url);

/** Opens a storage whose default backend is the bucket from the environment, with the key template set. */
async function openStorage() {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-browser-upload-'));
  await mkdir(join(dir, 'results'));
  const storage = await createStorage({
    store: new JsonFileSettingsStore(join(dir, 'settings.json')),
    appKey: env.APP_KEY ?? randomBytes(32).toString('base64'),
    local: createLocalDriver({ root: join(dir, 'results') }),
    definitions: [r2DriverDefinition, minioDriverDefinition],
  });
  const [name, settings] = env.R2_ACCOUNT_ID
    ? ['r2', { accountId: env.R2_ACCOUNT_ID, bucket: env.R2_BUCKET, accessKeyId: env.R2_ACCESS_KEY_ID }]
    : ['minio', { endpoint: env.S3_ENDPOINT, bucket: env.S3_BUCKET, accessKeyId: env.S3_ACCESS_KEY_ID }];
  await storage.registry.saveSettings(name, {
    ...settings,
    secretAccessKey: env.R2_SECRET_ACCESS_KEY ?? env.S3_SECRET_ACCESS_KEY,
    ...(env.S3_REGION ? { region: env.S3_REGION } : {}),
    keyTemplate: KEY_TEMPLATE,
  });
  await storage.registry.enable(name);
  await storage.registry.setDefault(name);
  return { storage, name };
}

/** The bucket's origin (for the page's Content-Security-Policy), from an upload URL signed for a probe key. */
async function bucketOrigin(storage) {
  return new URL((await storage.registry.active().driver.presignGet('cors-origin-probe')).url).origin;
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readJson(req) {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 4096) throw new Error('request body too large');
  }
  return JSON.parse(text);
}

/** The request handler: the page, its script, and the two upload steps. */
function uploadApp({ storage, origin, bucket }) {
  const pending = new Map(); // upload id -> what was signed; a real app keeps it with the user's session
  const csp = `default-src 'none'; script-src 'self'; style-src 'self'; img-src ${bucket}; connect-src 'self' ${bucket}; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`;

  async function sign(req, res) {
    const { fileName, contentType, size } = await readJson(req);
    try {
      const upload = await storage.presignUpload({ fileName, contentType, size, ...LIMITS, expiresIn: 300 });
      const id = randomUUID();
      pending.set(id, { target: upload.target, key: upload.key, location: upload.location, size, contentType });
      setTimeout(() => pending.delete(id), 10 * 60_000).unref();
      json(res, 200, { id, key: upload.key, ...upload.request });
    } catch (error) {
      if (isStorageError(error, ErrorCode.InvalidInput)) return json(res, 400, { error: error.message });
      throw error;
    }
  }

  async function complete(res, id) {
    const upload = pending.get(id);
    if (!upload) return json(res, 404, { error: 'no such upload (it expired, or was already confirmed)' });
    try {
      const recorded = await storage.recordUpload(upload);
      pending.delete(id);
      const signed = await storage.signedUrl(recorded.location, { expiresIn: 300 });
      json(res, 200, {
        location: recorded.location,
        size: recorded.size,
        contentType: recorded.contentType,
        url: signed.url,
      });
    } catch (error) {
      if (isStorageError(error, ErrorCode.NotFound)) return json(res, 400, { error: 'nothing was uploaded yet' });
      if (!isStorageError(error, ErrorCode.ChecksumMismatch)) throw error;
      pending.delete(id);
      await storage.delete(upload.location); // not what was signed: never recorded, not kept
      json(res, 400, { error: error.message });
    }
  }

  return async (req, res) => {
    const url = new URL(req.url, origin);
    try {
      if (req.method === 'GET' && (url.pathname === '/' || url.pathname === '/app.js' || url.pathname === '/app.css')) {
        const file = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
        const type = { html: 'text/html', js: 'text/javascript', css: 'text/css' }[file.split('.').pop()];
        res.writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'content-security-policy': csp });
        return res.end(await readFile(new URL(file, PUBLIC)));
      }
      // State changes only from this page: a cross-site form or script has another Origin.
      if (req.method === 'POST' && req.headers.origin !== origin)
        return json(res, 403, { error: 'cross-origin request' });
      if (req.method === 'POST' && url.pathname === '/api/uploads') return await sign(req, res);
      const done = /^\/api\/uploads\/([0-9a-f-]{36})\/complete$/.exec(url.pathname);
      if (req.method === 'POST' && done) return await complete(res, done[1]);
      json(res, 404, { error: 'not found' });
    } catch (error) {
      console.error('browser-upload:', error.message);
      json(res, 500, { error: 'the server could not handle this upload' });
    }
  };
}

const { storage, name } = await openStorage();
let app; // set once the server knows its own origin
const server = createServer((req, res) => (app ? app(req, res) : json(res, 503, { error: 'starting' })));
server.listen(Number(env.PORT ?? 3000), env.HOST ?? '127.0.0.1', async () => {
  const origin = `http://${env.HOST ?? '127.0.0.1'}:${server.address().port}`;
  // R2 and S3 take a bucket CORS policy; MinIO has a server-wide setting instead (README.md, "CORS").
  if (name === 'r2') await applyR2Cors(storage.registry.active().driver, { origins: [origin] });
  app = uploadApp({ storage, origin, bucket: await bucketOrigin(storage) });
  console.log(`browser upload at ${origin}/`);
});
const stop = () => server.close(() => storage.close().then(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
