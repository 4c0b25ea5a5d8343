// The placement of a source image in a fixed-size canvas, as detectors and classifiers
// want their input: the size to resize the source to, and where the resized image lies
// in the canvas, so that boxes found in the canvas can be mapped back to the source.
//
// - "contain" (letterbox, YOLO-style): the largest scale at which the whole source fits,
//   scale = min(W/w, H/h); the resized size is round(w·scale) × round(h·scale) (at least
//   1, at most the canvas), centred with the odd pixel of padding after: x = ⌊(W − rw)/2⌋,
//   y = ⌊(H − rh)/2⌋ (ultralytics' LetterBox: left = round(dw − 0.1), which is ⌊dw⌋ for
//   dw a multiple of ½). The rest of the canvas is padding (`place`'s value, 114 for YOLO).
// - "cover" (centre crop, torchvision's Resize(short side) + CenterCrop): the smallest
//   scale at which the source covers the canvas, scale = max(W/w, H/h); the resized image
//   is at least the canvas and lies at x = −⌊(rw − W)/2⌋ ≤ 0, y = −⌊(rh − H)/2⌋ ≤ 0.
//
// - "fill" (a plain resize): the source stretched to the canvas, each axis by its own
//   factor (scaleX = W/w, scaleY = H/h); `scale` is the smaller of the two.
//
// The resized image spans [x, x + rw) × [y, y + rh) of the canvas; its pixel centres map
// to the source's by the per-axis factors scaleX = rw/w, scaleY = rh/h (which a resize
// to rw × rh uses, and which differ from `scale` by the rounding of rw and rh):
//   source = (canvas − offset + ½) / factor − ½  for pixel centres,
//   source = (canvas − offset) / factor          for box edges (toSource).
// `source` is the part of the source that lands inside the canvas (all of it for
// contain), in source pixels, so a cover can resize just that region.

export type PlacementFit = "contain" | "cover" | "fill";

export interface Placement {
  /** The nominal scale: min (contain, fill) or max (cover) of canvas / source per axis. */
  scale: number;
  /** The resized source's size. */
  width: number;
  height: number;
  /** The factors a resize to width × height applies: width / source width, height / source height. */
  scaleX: number;
  scaleY: number;
  /** Where the resized source's top-left corner lies in the canvas (negative: cropped). */
  x: number;
  y: number;
  /** The region of the source inside the canvas, in source pixels (edges, not centres). */
  source: { x: number; y: number; width: number; height: number };
  /** A point (a box edge) of the canvas in source coordinates. */
  toSource(x: number, y: number): [number, number];
  /** A point of the source in canvas coordinates. */
  fromSource(x: number, y: number): [number, number];
}

function checkSide(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 2 ** 24) {
    throw (typeof v === "number" ? RangeError : TypeError)(`simdcl: placement ${name} must be an integer from 1 to 16777216, got ${String(v)}`);
  }
  return v;
}

/** Where a srcWidth × srcHeight image goes in a dstWidth × dstHeight canvas (see the top of this file). */
export function placement(srcWidth: number, srcHeight: number, dstWidth: number, dstHeight: number, fit: PlacementFit = "contain"): Placement {
  const w = checkSide("srcWidth", srcWidth), h = checkSide("srcHeight", srcHeight);
  const W = checkSide("dstWidth", dstWidth), H = checkSide("dstHeight", dstHeight);
  if (fit !== "contain" && fit !== "cover" && fit !== "fill") throw new TypeError(`simdcl: placement fit must be "contain", "cover" or "fill", got ${JSON.stringify(fit)}`);
  const contain = fit === "contain";
  const scale = fit === "cover" ? Math.max(W / w, H / h) : Math.min(W / w, H / h);
  const size = (s: number, canvas: number) =>
    fit === "fill" ? canvas : contain ? Math.min(canvas, Math.max(1, Math.round(s * scale))) : Math.max(canvas, Math.round(s * scale));
  const rw = size(w, W), rh = size(h, H);
  const x = contain ? Math.floor((W - rw) / 2) : 0 - Math.floor((rw - W) / 2);
  const y = contain ? Math.floor((H - rh) / 2) : 0 - Math.floor((rh - H) / 2);
  const scaleX = rw / w, scaleY = rh / h;
  const toSource = (px: number, py: number): [number, number] => [(px - x) / scaleX, (py - y) / scaleY];
  const fromSource = (sx: number, sy: number): [number, number] => [sx * scaleX + x, sy * scaleY + y];
  const [sx0, sy0] = toSource(Math.max(0, x), Math.max(0, y));
  const [sx1, sy1] = toSource(Math.min(W, x + rw), Math.min(H, y + rh));
  return { scale, width: rw, height: rh, scaleX, scaleY, x, y, source: { x: sx0, y: sy0, width: sx1 - sx0, height: sy1 - sy0 }, toSource, fromSource };
}
