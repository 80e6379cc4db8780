/**
 * The demo's web server: serves each local folder (the results disk and the
 * local disks standing for a NAS or a bucket) under `/<name>/<key>`, as an
 * app's static file route or a CDN in front of a NAS would, on 127.0.0.1 and a
 * free port. Files are read through a LocalDriver on the folder, so a key can
 * never reach outside it (symlinks included).
 */
import { createServer } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { createLocalDriver } from '@stowage/driver-local';

/** Starts the server for `folders` ({ name: absolute root }); resolves to { baseUrl, close() }. */
export async function startDiskServer(folders) {
  const drivers = new Map(Object.entries(folders).map(([name, root]) => [name, createLocalDriver({ root })]));
  const server = createServer((request, response) => {
    serve(drivers, request, response).catch((error) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`error: ${error.message}`);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

async function serve(drivers, request, response) {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const [, name = '', ...rest] = url.pathname.split('/');
  const driver = drivers.get(name);
  let key;
  try {
    key = rest.map((segment) => decodeURIComponent(segment)).join('/');
  } catch {
    key = '';
  }
  // One stat says both whether the file is there and what to answer with.
  const stat = driver && request.method === 'GET' && key ? await driver.stat(key).catch(() => undefined) : undefined;
  if (!stat) {
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found');
    return;
  }
  response.writeHead(200, {
    'content-type': stat.contentType ?? 'application/octet-stream',
    'content-length': String(stat.size),
  });
  await pipeline(await driver.read(key), response);
}
