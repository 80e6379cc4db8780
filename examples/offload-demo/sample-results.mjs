/**
 * Makes a few "generated results" on the results disk, as an image or video
 * generator would: two small PNG images and a short binary clip.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

/** Writes the sample results under `root`; returns offload inputs for them. */
export async function generateResults(root) {
  const batch = randomUUID().slice(0, 8);
  const results = [
    {
      path: `images/demo/${batch}/sunrise.png`,
      bytes: gradientPng(96, 64, [255, 140, 0], [70, 20, 120]),
      model: 'demo-image',
    },
    {
      path: `images/demo/${batch}/ocean.png`,
      bytes: gradientPng(64, 64, [0, 90, 200], [0, 220, 180]),
      model: 'demo-image',
    },
    { path: `videos/demo/${batch}/clip.mp4`, bytes: randomBytes(3 * 1024 * 1024), model: 'demo-video' },
  ];
  for (const result of results) {
    const file = join(root, result.path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, result.bytes);
  }
  return results.map(({ path, model }) => ({ path, metadata: { model } }));
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
