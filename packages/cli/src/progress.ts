/**
 * Progress of long work (offload, migrate, reconcile) on stderr: a bar with
 * counts, bytes, rate and ETA on a terminal (cli-progress), plain lines
 * elsewhere (at most one a second, plus the last), nothing with `--json`.
 */
import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import { formatBytes, formatDuration, formatRate } from './format.js';
import type { Output } from './output.js';

/** Where a piece of long work stands. */
interface ProgressState {
  readonly done: number;
  readonly failed: number;
  readonly total: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** When the work reports its own rate and ETA (migrate does); computed from the bytes otherwise. */
  readonly bytesPerSecond?: number;
  readonly etaMs?: number | undefined;
}

/** A progress display; `stop()` leaves the last state on screen. */
export interface Progress {
  update(state: ProgressState): void;
  stop(): void;
}

const PLAIN_EVERY_MS = 1000;

/** A progress display for `label` ("offload", "migrate") fitting the output. */
export function createProgress(output: Output, label: string): Progress {
  if (output.json) return { update() {}, stop() {} };
  const started = performance.now();
  const figures = (state: ProgressState) => {
    const elapsedMs = performance.now() - started;
    const rate = state.bytesPerSecond ?? (elapsedMs > 0 ? (state.bytesDone * 1000) / elapsedMs : 0);
    const eta = state.etaMs ?? (rate > 0 ? ((state.bytesTotal - state.bytesDone) * 1000) / rate : undefined);
    return {
      counts: `${state.done + state.failed}/${state.total}${state.failed > 0 ? ` (${state.failed} failed)` : ''}`,
      bytes: `${formatBytes(state.bytesDone)}/${formatBytes(state.bytesTotal)}`,
      rate: formatRate(rate),
      remaining: state.done + state.failed >= state.total ? '0s' : formatDuration(eta),
    };
  };
  if (isTerminal(output.stderr)) return terminalBar(output.stderr, label, figures);
  return plainLines(output, label, figures);
}

type Figures = (state: ProgressState) => { counts: string; bytes: string; rate: string; remaining: string };

function isTerminal(stream: Writable): boolean {
  return (stream as Writable & { isTTY?: boolean }).isTTY === true;
}

function terminalBar(stream: Writable, label: string, figures: Figures): Progress {
  const bar = new cliProgress.SingleBar(
    {
      stream: stream as NodeJS.WriteStream,
      // Payload names must not clash with cli-progress's own tokens (eta, value, total, duration...).
      format: `${label} [{bar}] {counts} | {bytes} | {rate} | ETA {remaining}`,
      hideCursor: true,
      barsize: 24,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(state) {
      const payload = figures(state);
      if (!started) {
        bar.start(Math.max(state.total, 1), state.done + state.failed, payload);
        started = true;
      } else {
        bar.setTotal(Math.max(state.total, 1));
        bar.update(state.done + state.failed, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function plainLines(output: Output, label: string, figures: Figures): Progress {
  let last: ProgressState | undefined;
  let printedAt = 0;
  let printed: ProgressState | undefined;
  const print = (state: ProgressState) => {
    const f = figures(state);
    output.stderr.write(`${label}: ${f.counts} results, ${f.bytes}, ${f.rate}, ETA ${f.remaining}\n`);
    printedAt = performance.now();
    printed = state;
  };
  return {
    update(state) {
      last = state;
      if (performance.now() - printedAt >= PLAIN_EVERY_MS) print(state);
    },
    stop() {
      if (last && last !== printed) print(last);
    },
  };
}

/** A one-line status for work without a known total (reconcile): counts on a terminal, plain lines elsewhere. */
export function createStatusLine(output: Output, label: string): { update(text: string): void; stop(): void } {
  if (output.json) return { update() {}, stop() {} };
  if (isTerminal(output.stderr)) {
    const bar = new cliProgress.SingleBar({
      stream: output.stderr as NodeJS.WriteStream,
      format: `${label} {status} | {duration_formatted}`,
      hideCursor: true,
      fps: 10,
    });
    let started = false;
    return {
      update(status) {
        if (!started) bar.start(0, 0, { status });
        else bar.update(0, { status });
        started = true;
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let printedAt = 0;
  let last: string | undefined;
  let printed: string | undefined;
  return {
    update(status) {
      last = status;
      if (performance.now() - printedAt >= PLAIN_EVERY_MS) {
        output.stderr.write(`${label}: ${status}\n`);
        printedAt = performance.now();
        printed = status;
      }
    },
    stop() {
      if (last !== undefined && last !== printed) output.stderr.write(`${label}: ${last}\n`);
    },
  };
}
