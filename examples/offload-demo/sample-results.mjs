/**
 * Makes "generated results" on the results disk, as an image or video
 * generator would: PNG images with a thumbnail variant each, and a short
 * binary clip with a poster image.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

/** Writes the first batch of sample results under `root`; returns offload inputs for them. */
export async function generateResults(root) {
  const batch = randomUUID().slice(0, 8);
  return writeResults(root, [
    image(`images/demo/${batch}/sunrise`, [255, 140, 0], [70, 20, 120]),
    image(`images/demo/${batch}/ocean`, [0, 90, 200], [0, 220, 180]),
    {
      path: `videos/demo/${batch}/clip.mp4`,
      bytes: randomBytes(3 * 1024 * 1024),
      model: 'demo-video',
      variants: {
        poster: {
          path: `videos/demo/${batch}/clip-poster.png`,
          bytes: gradientPng(48, 27, [20, 20, 20], [200, 200, 200]),
        },
      },
    },
  ]);
}

/** Writes one more image result (made after the default backend changed); returns its offload input. */
export async function generateLateResult(root) {
  const [input] = await writeResults(root, [
    image(`images/demo/${randomUUID().slice(0, 8)}/forest`, [20, 120, 40], [200, 230, 120]),
  ]);
  return input;
}

function image(base, top, bottom) {
  return {
    path: `${base}.png`,
    bytes: gradientPng(96, 64, top, bottom),
    model: 'demo-image',
    variants: { thumb: { path: `${base}-thumb.png`, bytes: gradientPng(24, 16, top, bottom) } },
  };
}

async function writeResults(root, results) {
  for (const result of results) {
    for (const { path, bytes } of [result, ...Object.values(result.variants ?? {})]) {
      const file = join(root, path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, bytes);
    }
  }
  return results.map(({ path, model, variants = {} }) => ({
    path,
    metadata: { model },
    variants: Object.fromEntries(Object.entries(variants).map(([name, variant]) => [name, variant.path])),
  }));
}

/** A real, viewable PNG: a vertical gradient from `top` to `bottom` (RGB). */
function gradientPng(width, height, top, bottom) {
  const rows = [];
  for (let y = 0; y < height; y++) {
    const t = y / (height - 1);
    const pixel = top.map((channel, i) => Math.round(channel + ((bottom[i] ?? 0) - channel) * t));
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) row.set(pixel, 1 + x * 3);
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
