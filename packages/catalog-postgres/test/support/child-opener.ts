/**
 * Another app server, as a child process: it loads the built package, says
 * "ready", and on "go" (a line on stdin) opens the catalog, inserts one record
 * and prints its id, so several processes can be made to open one schema at
 * the same moment. The connection string travels in the environment, never on
 * the command line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const DIST = new URL('../../dist/index.js', import.meta.url).href;

const SCRIPT = `
  const { openPostgresCatalog } = await import(${JSON.stringify(DIST)});
  process.stdin.once('data', async () => {
    try {
      const catalog = await openPostgresCatalog({
        connectionString: process.env.CATALOG_URL,
        schema: process.env.CATALOG_SCHEMA,
        maxConnections: 1,
      });
      const path = process.env.CATALOG_PATH;
      const record = await catalog.insert({
        path, state: 'local', targetId: 'local', key: path, location: 'local:' + path, localCopy: true,
        files: [{ name: '', path, key: path, size: 1, sha256: undefined, contentType: undefined }],
      });
      console.log(JSON.stringify({ id: record.id }));
      await catalog.close();
    } catch (error) {
      console.log(JSON.stringify({ error: error.code + ': ' + error.message }));
    }
    process.exit(0);
  });
  console.log('ready');
`;

/** A started child opener. */
export interface ChildOpener {
  /** Resolves once the child has loaded the package and waits for `go()`. */
  readonly ready: Promise<void>;
  /** Tells the child to open; resolves with what it printed: the id it inserted, or its error. */
  go(): Promise<{ id?: string; error?: string }>;
  readonly process: ChildProcess;
}

/** Starts a child that will open `schema` at `url` and insert a record at `path`. */
export function startChildOpener(url: string, schema: string, path: string): ChildOpener {
  const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT], {
    env: { ...process.env, CATALOG_URL: url, CATALOG_SCHEMA: schema, CATALOG_PATH: path },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error('the child opener exited without answering');
    return line.value;
  };
  const ready = next().then((line) => {
    if (line !== 'ready') throw new Error(`the child opener said ${line}`);
  });
  return {
    ready,
    process: child,
    async go() {
      child.stdin?.write('go\n');
      return JSON.parse(await next());
    },
  };
}
