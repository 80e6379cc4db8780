/**
 * Summarises a V8 CPU profile (`node --cpu-prof`): the frames with the most
 * self time, the frames with the most inclusive time (self plus everything
 * they called), and self time per package. Samples can be limited to a window
 * on the profiler's monotonic clock, so the summary covers the timed work and
 * not module loading or set-up.
 */
import { readFile } from 'node:fs/promises';
import { formatTable } from '../report.js';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** A frame's share of the sampled time. */
interface FrameTime {
  readonly frame: string;
  readonly ms: number;
  readonly percent: number;
}

/** What a profile shows about where the time went. */
export interface ProfileSummary {
  /** Sampled time inside the window, in ms. */
  readonly totalMs: number;
  /** Of which idle (the event loop waiting: network, disk). */
  readonly idleMs: number;
  readonly topSelf: readonly FrameTime[];
  readonly topInclusive: readonly FrameTime[];
  readonly selfByPackage: readonly FrameTime[];
  /**
   * Self time charged to the nearest caller in a package (not node internals
   * or V8): who asked for the hashing, copying and socket writes.
   */
  readonly selfByCaller: readonly FrameTime[];
  /** Inclusive time of Stowage's own frames (the workspace packages). */
  readonly stowageInclusive: readonly FrameTime[];
}

/** The workspace root (this file is bench/dist/offload/profile-summary.js), as a file URL prefix. */
const WORKSPACE = new URL('../../../', import.meta.url).href;

/** A script URL relative to the workspace root, e.g. `packages/driver-s3/dist/upload.js`; undefined outside it. */
function inWorkspace(url: string): string | undefined {
  return url.startsWith(WORKSPACE) && !url.includes('/node_modules/') ? url.slice(WORKSPACE.length) : undefined;
}

/** Where a script URL belongs: a package name, a workspace package, node internals or V8/runtime. */
function packageOf(url: string): string {
  if (url === '') return '(native / V8)';
  if (url.startsWith('node:')) return 'node: internals';
  // pnpm nests packages (node_modules/.pnpm/<id>/node_modules/<name>/): the last one is the code's own.
  const dependency = [...url.matchAll(/node_modules\/(@[^/]+\/[^/]+|[^/@.][^/]*)\//g)].at(-1)?.[1];
  if (dependency) return dependency;
  const local = inWorkspace(url);
  const workspacePackage = local === undefined ? undefined : /^packages\/([^/]+)\//.exec(local)?.[1];
  if (workspacePackage) return `@stowage/${workspacePackage}`;
  return local?.startsWith('bench/') ? 'bench' : url;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || '(anonymous)';
  if (!url) return name;
  const short = inWorkspace(url) ?? url.replace(/^.*node_modules\//, '');
  return `${name} ${short}:${lineNumber + 1}`;
}

/** True for frames of the code under test or its libraries, as opposed to Node internals and V8. */
function inPackage(node: ProfileNode): boolean {
  const { url } = node.callFrame;
  return url !== '' && !url.startsWith('node:');
}

/** True for frames of Stowage's own packages. */
function isStowage(node: ProfileNode): boolean {
  return inWorkspace(node.callFrame.url)?.startsWith('packages/') ?? false;
}

const SYNTHETIC = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** Reads and summarises the profile at `path`, counting only samples inside `window` (µs) when given. */
export async function summariseProfile(
  path: string,
  window?: { readonly start: number; readonly end: number },
  top = 15,
): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const packages = new Map<string, number>();
  const callers = new Map<string, number>();
  const stowage = new Map<string, number>();
  const add = (times: Map<string, number>, key: string, us: number) => times.set(key, (times.get(key) ?? 0) + us);
  let totalUs = 0;
  let idleUs = 0;
  let time = profile.startTime;
  profile.samples.forEach((sample, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    time += delta;
    if (window && (time < window.start || time > window.end)) return;
    // A sample stands for the interval until the next one.
    const us = profile.timeDeltas[index + 1] ?? delta;
    const node = byId.get(sample);
    if (!node) return;
    totalUs += us;
    const name = frameName(node);
    if (node.callFrame.functionName === '(idle)') idleUs += us;
    self.set(name, (self.get(name) ?? 0) + us);
    if (!SYNTHETIC.has(node.callFrame.functionName)) {
      const pkg = packageOf(node.callFrame.url);
      packages.set(pkg, (packages.get(pkg) ?? 0) + us);
    } else {
      packages.set(node.callFrame.functionName, (packages.get(node.callFrame.functionName) ?? 0) + us);
    }
    const seen = new Set<string>();
    let caller: string | undefined;
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id);
      if (!frame || frame.callFrame.functionName === '(root)') continue;
      const key = frameName(frame);
      if (caller === undefined && inPackage(frame)) caller = key;
      if (seen.has(key)) continue;
      seen.add(key);
      add(inclusive, key, us);
      if (isStowage(frame)) add(stowage, key, us);
    }
    if (!SYNTHETIC.has(node.callFrame.functionName)) add(callers, caller ?? '(no package frame on the stack)', us);
  });
  const ranked = (times: Map<string, number>): FrameTime[] =>
    [...times]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([frame, us]) => ({ frame, ms: us / 1000, percent: totalUs === 0 ? 0 : (100 * us) / totalUs }));
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    topSelf: ranked(self),
    topInclusive: ranked(inclusive),
    selfByPackage: ranked(packages),
    selfByCaller: ranked(callers),
    stowageInclusive: ranked(stowage),
  };
}

/** The summary as aligned text. */
export function formatProfileSummary(summary: ProfileSummary): string {
  const table = (title: string, rows: readonly FrameTime[]) =>
    `  ${title}\n${formatTable([
      ['frame', 'ms', '%'],
      ...rows.map((row) => [row.frame, row.ms.toFixed(0), row.percent.toFixed(1)]),
    ])}`;
  return [
    `  sampled ${summary.totalMs.toFixed(0)} ms, of which idle ${summary.idleMs.toFixed(0)} ms (${((100 * summary.idleMs) / Math.max(summary.totalMs, 1)).toFixed(0)}%)`,
    table('self time by package:', summary.selfByPackage),
    table('top self time:', summary.topSelf),
    table('top inclusive time:', summary.topInclusive),
    table('self time by nearest caller in a package:', summary.selfByCaller),
    ...(summary.stowageInclusive.length > 0
      ? [table("inclusive time of Stowage's own frames:", summary.stowageInclusive)]
      : []),
  ].join('\n');
}
