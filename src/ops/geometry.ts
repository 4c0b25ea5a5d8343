// What every convolution kernel is told first: the shapes and the window
// (assembly/conv/geometry.ts reads these words in this order).

/** Channel quads: NC4HW4 holds ⌈c/4⌉ planes. */
export const quads = (c: number) => Math.ceil(c / 4);

export interface Geometry {
  n: number; c: number; h: number; w: number;
  oc: number; kh: number; kw: number;
  sh: number; sw: number; dh: number; dw: number;
  /** top, left, bottom, right */
  pad: number[];
  oh: number; ow: number;
}

/** The argument words every convolution job starts with. */
export function geometryArgs(p: Geometry): number[] {
  return [p.n, quads(p.c), p.h, p.w, quads(p.oc), p.oh, p.ow, p.kh, p.kw, p.sh, p.sw, p.pad[0], p.pad[1], p.dh, p.dw];
}
