import { PNG } from 'pngjs';

/**
 * Grayscale tiles side by side as one PNG. `values` in [lo, hi] map to 0–255 (noise is shown
 * with lo = −limit, hi = +limit: mid-grey is zero).
 */
export function tilesToPng(tiles: Float32Array[], rows: number, cols: number, lo = 0, hi = 1, scale = 4): Uint8Array {
  const gap = 2;
  const side = cols;
  const width = tiles.length * (side * scale + gap) - gap;
  const height = rows * scale;
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
  png.data = Buffer.alloc(width * height, 255);
  tiles.forEach((t, k) => {
    for (let y = 0; y < height; y++)
      for (let x = 0; x < side * scale; x++) {
        const v = t[Math.floor(y / scale) * side + Math.floor(x / scale)];
        png.data[y * width + k * (side * scale + gap) + x] = Math.round(
          255 * Math.min(Math.max((v - lo) / (hi - lo), 0), 1),
        );
      }
  });
  return new Uint8Array(PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
}
