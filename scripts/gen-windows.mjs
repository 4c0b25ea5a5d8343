// Writes assembly/conv/windows.gen.ts: depthwise sliding-window kernels, one per kernel
// width and stride where one measured faster than the tap-by-tap block (dilation 1):
// 3 and 5 wide at stride 1, 3 wide at stride 2 (docs/decisions/depthwise.md).
// Each computes a block of a row's outputs (eight; seven or four; or a whole row four to
// eight wide): per tap row it holds the row's kw weights in
// registers and loads each input pixel of the window once, feeding every output that
// reads it. That takes 7·stride + kw loads where a tap-by-tap loop takes 9·kw.
//
// Registers: V8 before 12 (TurboFan, x64) has 15 for v128 and schedules every load of a
// loop body ahead of the arithmetic, so 8 accumulators + kw weights + 7·stride + kw
// inputs spill. There, the pinned copy of each kernel (suffix P) stores each output's
// partial sum into its output slot once its last tap of the row is in, which pins the
// order (a load may not pass a store): no spills. The final store writes the finished
// value over it. Newer engines schedule well and only pay for the stores, so the job
// says which copy runs (src/platform.ts, defaultKernels; docs/decisions/engine-variants.md).
//
// Each kernel also comes in a copy (suffix N) over pixels a runtime stride apart, input
// and output each (NHWC read and written where it lies), its loads stepping a pointer.
//
// Run by scripts/build.mjs; the output (and src/ops/conv/windows.gen.ts, the planner's
// hasWindow) is generated, never edited by hand.
import { writeFileSync } from "node:fs";

const SHAPES = [[3, 1], [5, 1], [3, 2]];
// Blocks: eight whole windows; eight at the left edge of a row padded by (kw - 1) / 2
// (the padding columns skipped, so the first pixel needs no pass of its own); eight at
// the right edge, padded the same; four whole windows, for a row's tail.
const VARIANTS = [["", 8, null], ["L", 8, "left"], ["R", 8, "right"], ["x4", 4, null]];
// Blocks of seven, for the shapes whose rows are often a multiple of seven wide (3×3/2:
// MobileNet's 14- and 7-wide outputs at 224²): with blocks of eight they tile such a row
// exactly, where eights alone end in an overlapping block. At stride 2, whole and at
// either edge (TensorFlow's "same" pads an even row on the right only: 14 wide is a
// seven and a right-edge seven); at stride 1, whole, for rows read from the padded copy.
const SEVENS = {
  "3,2": [["x7", 7, null], ["L7", 7, "left"], ["R7", 7, "right"]],
  "3,1": [["x7", 7, null]],
  "5,1": [["x7", 7, null]],
};
// Whole rows four to eight wide, a block each with the padding skipped where the row has
// it: too narrow for a left and a right edge block, such a row took single pixels and a
// block of four (3×3 7²×960 ran at 0.6× XNNPACK, 4²×384 at 0.3×). Only in the N copy
// (pixels ps bytes apart, 16 for NC4HW4), which also takes every quad of a block.
const ROW_BLOCKS = {
  "3,1": [4, 5, 6, 7, 8].map((outs) => [`B${outs}`, outs, "both"]),
  "5,1": [4, 5, 6, 7, 8].map((outs) => [`B${outs}`, outs, "both"]),
  "3,2": [
    ...[4, 5, 6].flatMap((outs) => [[`L${outs}`, outs, "left"], [`R${outs}`, outs, "right"], [`B${outs}`, outs, "both"]]),
    ["B7", 7, "both"], ["B8", 8, "both"],
  ],
};
const EDGE_OF = { null: "WHOLE", left: "LEFT_EDGE", right: "RIGHT_EDGE", both: "BOTH_EDGES" };
// The edges' codes, shared by the kernels and the planner.
const EDGE_CODE = { WHOLE: 0, LEFT_EDGE: 1, RIGHT_EDGE: 2, BOTH_EDGES: 3 };
// Every block of a shape: [suffix, outputs, padding skipped, whether only the N copy exists].
const variantsOf = (kw, s) => [
  ...VARIANTS.map((v) => [...v, false]),
  ...(SEVENS[`${kw},${s}`] ?? []).map((v) => [...v, false]),
  ...(ROW_BLOCKS[`${kw},${s}`] ?? []).map((v) => [...v, true]),
];

function kernel(kw, stride, [suffix, outs, skip], pinned) {
  const half = (kw - 1) >> 1;
  const columns = (outs - 1) * stride + kw;
  const skipped = (j) => ((skip === "left" || skip === "both") && j < half) || ((skip === "right" || skip === "both") && j >= columns - half);
  const accs = Array.from({ length: outs }, (_, o) => `a${o}`);
  const what = { left: ", the row's left padding skipped", right: ", the row's right padding skipped", both: ", a whole row, both paddings skipped" }[skip] ?? "";
  const lines = [
    `// ${{ 8: "Eight", 7: "Seven", 6: "Six", 5: "Five", 4: "Four" }[outs]} outputs, kernel width ${kw}, stride ${stride}${what}${pinned ? ", partial sums stored" : ""}: see scripts/gen-windows.mjs.`,
    `export function window${kw}s${stride}${suffix}${pinned ? "P" : ""}(row0: usize, rowStep: usize, weights: usize, taps: i32, out0: usize, bias: usize, act: i32, blocks: i32, rows: i32, rowAdvance: usize, outAdvance: usize): void {`,
  ];
  const body = [
    `let at = first, wAt = weights;`,
    `let a0 = f32x4.splat(0)${accs.slice(1).map((a) => `, ${a} = a0`).join("")};`,
    `for (let t = 0; t < taps; t++) {`,
    `  ${Array.from({ length: kw }, (_, k) => `const w${k} = v128.load(wAt${k ? `, ${16 * k}` : ""});`).join(" ")}`,
  ];
  let first = true;
  for (let j = 0; j < columns; j++) {
    if (skipped(j)) continue;
    const uses = [];
    for (let o = 0; o < outs; o++) {
      const kx = j - o * stride;
      if (kx >= 0 && kx < kw) uses.push(`a${o} = madd(x, w${kx}, a${o});`);
      if (pinned && kx == kw - 1) uses.push(`v128.store(out, a${o}, ${16 * o});`);
    }
    body.push(`  ${first ? "let " : ""}x = v128.load(at${j ? `, ${16 * j}` : ""}); ${uses.join(" ")}`);
    first = false;
  }
  body.push(`  at += rowStep;`, `  wAt += ${16 * kw};`, `}`);
  for (let o = 0; o < outs; o++) body.push(`storeOutput(out${o ? ` + ${16 * o}` : ""}, a${o}, bias, act);`);
  body.push(`first += ${16 * outs * stride};`, `out += ${16 * outs};`);
  lines.push(...rowLoop(body));
  return lines.join("\n");
}

// The same kernel over pixels `ps` bytes apart in the input and `os` in the output (NHWC
// read and written where it lies: ps = 4·c, os = 4·oc): the loads step a pointer, the
// outputs' addresses are computed once per block. It also runs `quads` channel quads per
// block, each quadIn, quadOut and quadWeights bytes on from the last: with NHWC, a block's
// input pixels hold all their quads in the same cache lines, so taking every quad of a
// block before moving on reads those lines once from L1 instead of once per quad from L2.
function strided(kw, stride, [suffix, outs, skip], pinned) {
  const half = (kw - 1) >> 1;
  const columns = (outs - 1) * stride + kw;
  const skipped = (j) => ((skip === "left" || skip === "both") && j < half) || ((skip === "right" || skip === "both") && j >= columns - half);
  const accs = Array.from({ length: outs }, (_, o) => `a${o}`);
  const lines = [
    `// As window${kw}s${stride}${suffix}${pinned ? "P" : ""}, pixels ps bytes apart in the input and os in the output, \`quads\` quads a block.`,
    `export function window${kw}s${stride}${suffix}${pinned ? "P" : ""}N(row0: usize, rowStep: usize, weights: usize, taps: i32, out0: usize, bias: usize, act: i32, blocks: i32, rows: i32, rowAdvance: usize, outAdvance: usize, ps: usize, os: usize, quads: i32, quadIn: usize, quadOut: usize, quadWeights: usize): void {`,
  ];
  const used = Array.from({ length: columns }, (_, j) => j).filter((j) => !skipped(j));
  const body = [
    `const qo = out + <usize>q * quadOut, qb = bias ? bias + (<usize>q << 4) : 0;`,
    ...(pinned ? [`const ${accs.slice(1).map((_, o) => `o${o + 1} = qo + ${o + 1} * os`).join(", ")};`] : []),
    `let at = first + <usize>q * quadIn${used[0] ? ` + ${used[0]} * ps` : ""}, wAt = weights + <usize>q * quadWeights;`,
    `let a0 = f32x4.splat(0)${accs.slice(1).map((a) => `, ${a} = a0`).join("")};`,
    `for (let t = 0; t < taps; t++) {`,
    `  ${Array.from({ length: kw }, (_, k) => `const w${k} = v128.load(wAt${k ? `, ${16 * k}` : ""});`).join(" ")}`,
    `  let p = at;`,
  ];
  const slot = (o) => (o === 0 ? "qo" : `o${o}`);
  for (const [n, j] of used.entries()) {
    const uses = [];
    for (let o = 0; o < outs; o++) {
      const kx = j - o * stride;
      if (kx >= 0 && kx < kw) uses.push(`a${o} = madd(x, w${kx}, a${o});`);
      if (pinned && kx == kw - 1) uses.push(`v128.store(${slot(o)}, a${o});`);
    }
    const step = n + 1 < used.length ? ` p += ${used[n + 1] - j === 1 ? "ps" : `${used[n + 1] - j} * ps`};` : "";
    body.push(`  ${n === 0 ? "let " : ""}x = v128.load(p); ${uses.join(" ")}${step}`);
  }
  body.push(`  at += rowStep;`, `  wAt += ${16 * kw};`, `}`);
  body.push(`let s = qo;`);
  for (let o = 0; o < outs; o++) body.push(`storeOutput(s, a${o}, qb, act);${o + 1 < outs ? " s += os;" : ""}`);
  const quadLoop = [`for (let q = 0; q < quads; q++) {`, ...body.map((l) => `  ${l}`), `}`];
  lines.push(...rowLoop([...quadLoop, `first += ${outs * stride} * ps;`, `out += ${outs} * os;`]));
  return lines.join("\n");
}

// A block body run `blocks` times along a row, for `rows` rows: row r's first block reads
// from row0 + r·rowAdvance and writes at out0 + r·outAdvance (one call covers every output
// row that has the same taps, so the driver's per-row work is paid once per row span).
function rowLoop(body) {
  return [
    `  for (let r = 0; r < rows; r++) {`,
    `    let first = row0 + <usize>r * rowAdvance, out = out0 + <usize>r * outAdvance;`,
    `    for (let b = 0; b < blocks; b++) {`,
    ...body.map((l) => `      ${l}`),
    `    }`,
    `  }`,
    `}`,
  ];
}

// Both copies of a kernel, the pinned one where `pin` is set.
const call = (kw, s, suffix) =>
  `{ if (pin) window${kw}s${s}${suffix}P(at, rowStep, wAt, taps, out, bias, act, blocks, rows, rowAdvance, outAdvance); else window${kw}s${s}${suffix}(at, rowStep, wAt, taps, out, bias, act, blocks, rows, rowAdvance, outAdvance); }`;
const callN = (kw, s, suffix) =>
  `{ if (pin) window${kw}s${s}${suffix}PN(at, rowStep, wAt, taps, out, bias, act, blocks, rows, rowAdvance, outAdvance, ps, os, quads, quadIn, quadOut, quadWeights); else window${kw}s${s}${suffix}N(at, rowStep, wAt, taps, out, bias, act, blocks, rows, rowAdvance, outAdvance, ps, os, quads, quadIn, quadOut, quadWeights); }`;

// A dispatcher over blocks by edge: for each [kw, stride, suffix, edge], its kernel's call
// (the strided N copies where `strided`).
const edged = (name, entries, strided) => [
  `@inline export function ${name}(kw: i32, stride: i32, edge: i32, pin: bool, at: usize, rowStep: usize, wAt: usize, taps: i32, out: usize, bias: usize, act: i32, blocks: i32, rows: i32, rowAdvance: usize, outAdvance: usize${strided ? ", ps: usize, os: usize, quads: i32, quadIn: usize, quadOut: usize, quadWeights: usize" : ""}): void {`,
  ...entries.map(([kw, s, suffix, edge]) => `  if (kw == ${kw} && stride == ${s} && edge == ${edge}) ${(strided ? callN : call)(kw, s, suffix)}`),
  `}`,
];
const eights = SHAPES.flatMap(([kw, s]) => VARIANTS.filter(([, outs]) => outs === 8).map(([suffix, , skip]) => [kw, s, suffix, EDGE_OF[skip]]));
const sevens = Object.entries(SEVENS).flatMap(([shape, vs]) => vs.map(([suffix, , skip]) => [...shape.split(","), suffix, EDGE_OF[skip]]));
const rowBlocks = Object.entries(ROW_BLOCKS).flatMap(([shape, vs]) => vs.map(([suffix, outs, skip]) => [...shape.split(","), outs, suffix, EDGE_OF[skip]]));

// A dispatcher over the whole-row blocks (N copies): for each shape, width and edge, its call.
const rowsOf = (name) => [
  `@inline export function ${name}(kw: i32, stride: i32, width: i32, edge: i32, pin: bool, at: usize, rowStep: usize, wAt: usize, taps: i32, out: usize, bias: usize, act: i32, rows: i32, rowAdvance: usize, outAdvance: usize, ps: usize, os: usize, quads: i32, quadIn: usize, quadOut: usize, quadWeights: usize): void {`,
  "  const blocks = 1;",
  ...rowBlocks.map(([kw, s, outs, suffix, edge]) => `  if (kw == ${kw} && stride == ${s} && width == ${outs} && edge == ${edge}) ${callN(kw, s, suffix)}`),
  `}`,
];
const text = [
  "// GENERATED by scripts/gen-windows.mjs — do not edit.",
  'import { madd, storeOutput } from "../simd/epilogue";',
  "",
  ...SHAPES.flatMap(([kw, s]) => variantsOf(kw, s).filter((v) => !v[3]).flatMap((v) => [kernel(kw, s, v, false) + "\n", kernel(kw, s, v, true) + "\n"])),
  ...SHAPES.flatMap(([kw, s]) => variantsOf(kw, s).flatMap((v) => [strided(kw, s, v, false) + "\n", strided(kw, s, v, true) + "\n"])),
  "// Whether a sliding-window kernel exists for this kernel width, stride and dilation.",
  `export function hasWindow(kw: i32, stride: i32, dilation: i32): bool {`,
  `  return dilation == 1 && (${SHAPES.map(([kw, s]) => `(kw == ${kw} && stride == ${s})`).join(" || ")});`,
  `}`,
  "",
  "// A block: all its windows inside the row, or at an edge padded by (kw - 1) / 2 (or both).",
  ...Object.entries(EDGE_CODE).map(([name, code]) => `export const ${name} = ${code};`),
  "",
  "// Blocks of eight outputs for kw and stride (hasWindow must hold), one after the other,",
  "// on `rows` output rows (the next row's `at` and `out` rowAdvance and outAdvance bytes on);",
  "// `at` is the first output's first tap column, which lies left of the row at LEFT_EDGE.",
  "// `pin`: the copies that store partial sums (see scripts/gen-windows.mjs).",
  ...edged("window8", eights, false),
  "",
  "// Four outputs whose windows lie inside the row.",
  `@inline export function window4(kw: i32, stride: i32, pin: bool, at: usize, rowStep: usize, wAt: usize, taps: i32, out: usize, bias: usize, act: i32, rows: i32, rowAdvance: usize, outAdvance: usize): void {`,
  "  const blocks = 1;",
  ...SHAPES.map(([kw, s]) => `  if (kw == ${kw} && stride == ${s}) ${call(kw, s, "x4")}`),
  `}`,
  "",
  "// window8 and window4 over pixels ps bytes apart in the input and os in the output, `quads`",
  "// channel quads a block (quadIn, quadOut and quadWeights bytes apart).",
  ...edged("window8N", eights, true),
  "",
  `@inline export function window4N(kw: i32, stride: i32, pin: bool, at: usize, rowStep: usize, wAt: usize, taps: i32, out: usize, bias: usize, act: i32, rows: i32, rowAdvance: usize, outAdvance: usize, ps: usize, os: usize, quads: i32, quadIn: usize, quadOut: usize, quadWeights: usize): void {`,
  "  const blocks = 1;",
  ...SHAPES.map(([kw, s]) => `  if (kw == ${kw} && stride == ${s}) ${callN(kw, s, "x4")}`),
  `}`,
  "",
  "// Whether a block of seven exists for this kernel width, stride and edge (with a window).",
  `export function hasSevens(kw: i32, stride: i32, edge: i32): bool {`,
  `  return ${sevens.map(([kw, s, , edge]) => `(kw == ${kw} && stride == ${s} && edge == ${edge})`).join(" || ")};`,
  `}`,
  "",
  "// Blocks of seven (hasSevens must hold), and over pixels ps bytes apart.",
  ...edged("window7", sevens, false),
  "",
  ...edged("window7N", sevens, true),
  "",
  "// A whole row's block (the planner's hasRowBlock must hold), pixels ps bytes apart; `at` is its first",
  "// tap column, left of the row at a left edge.",
  ...rowsOf("windowRowN"),
  "",
].join("\n");
writeFileSync("assembly/conv/windows.gen.ts", text);
// The planner's view (src/ops/conv/depthwise.ts): which shapes have a window kernel, which rows a block of their own.
writeFileSync("src/ops/conv/windows.gen.ts", [
  "// GENERATED by scripts/gen-windows.mjs — do not edit.",
  "/** Whether a sliding-window kernel exists for this kernel width, stride and dilation (as the kernel's hasWindow). */",
  "export function hasWindow(kw: number, stride: number, dilation: number): boolean {",
  `  return dilation === 1 && (${SHAPES.map(([kw, s]) => `(kw === ${kw} && stride === ${s})`).join(" || ")});`,
  "}",
  "/** Whether a whole row this wide, with these edges (1 left, 2 right, 3 both) padded by (kw - 1) / 2, has a block of its own (the kernel's windowRowN has its block). */",
  "export function hasRowBlock(kw: number, stride: number, width: number, edge: number): boolean {",
  `  return ${rowBlocks.map(([kw, s, outs, , edge]) => `(kw === ${kw} && stride === ${s} && width === ${outs} && edge === ${EDGE_CODE[edge]})`).join(" || ")};`,
  "}",
  "",
].join("\n"));
