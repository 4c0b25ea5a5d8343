// The op declarations: the one place where an op's id, phases, argument words and the
// constants both languages share are written. scripts/gen-ops.mjs generates from it
//   src/ops/schema.gen.ts        the TypeScript side: ids, constants, typed argument writers
//   src/ops/methods.gen.ts       the Context methods and public exports of each op's plan module
//   assembly/runtime/schema.gen.ts  the AssemblyScript side: constants, typed argument readers
//   assembly/runtime/dispatch.gen.ts  the op id → kernel table
// so the two sides cannot drift: a kernel that reads a field the declaration lacks, or
// reads it as the wrong type, fails the build, and so does a plan that writes one wrong.
//
// Field types: "i32"; "usize" (a byte offset or a byte count); "bool"; "f32".
// Each op's kernel is `entry(ctrl: usize, phase: i32, group: i32, tid: i32): void` in
// assembly/<kernel>; its plan module, src/ops/<plan>, exports the Context methods listed.
// An entry with no kernel is a method built from other ops' kernels (plan, methods, exports).

/** The control words at the bottom of the memory (i32 indices). */
export const control = {
  SEQ: 0, // bumped by the caller to publish a job
  STATE: 1, // STATE_*
  OP: 2, // which op the job runs
  NPHASES: 3, // phases separated by barriers
  ACK: 4, // Workers that have left the current job
  CONFIG: 8, // the kernel configuration (`config` below), written once per context
  PHASE0: 16, // per phase: next group, groups done, total groups, (pad)
  PHASE_WORDS: 4,
  MAX_PHASES: 8,
  ARGS: 64, // the job's argument words
  MAX_ARGS: 64,
  HEARTBEAT0: 256, // per Worker (tid): bumped while it waits, so a dead one is noticed (src/pool.ts)
  BUSY0: 512, // per Worker: set while it runs kernels
  MAX_THREADS: 256,
  STATE_RUNNING: 0,
  STATE_SHUTDOWN: 1,
  STATE_ABORT: 2,
};

/**
 * Kernel variants chosen once per context (src/platform.ts picks them for the engine;
 * createContext's `kernels` option overrides, so tests run every variant everywhere).
 */
export const config = {
  // Depthwise kernels that store each partial sum as it completes, pinning the load order
  // (V8 before 12 hoists every load and spills; docs/decisions/engine-variants.md).
  depthwisePinned: "bool",
  // Depthwise 3×3/2 from NCHW to NCHW reads each plane where it lies (its shuffles are
  // slow on JavaScriptCore, which keeps the gather into quads).
  depthwisePlanar: "bool",
  // The one-row GEMM kernel with four accumulators instead of eight (the same reason).
  gemvFewAccumulators: "bool",
  // Gray integral rows whose prefix comes from byte-pair sums (faster on V8, slower on JSC).
  integralBytePairs: "bool",
  // GEMM reads row-major A where it lies, with splat loads, instead of packing it.
  gemmRowsInPlace: "bool",
  // The packed 4×8 tile broadcasts A with a splat load per row instead of a load and shuffles.
  gemmPackedSplats: "bool",
};

/** Constants both sides use. */
export const constants = {
  // GEMM's register tile: MR rows × NR columns (assembly/gemm/micro.ts).
  MR: 4,
  NR: 8,
  // The fused epilogue's activation (assembly/simd/epilogue.ts).
  ACT_NONE: 0,
  ACT_RELU: 1,
  ACT_RELU6: 2,
  // Integral kinds: 8-bit input into Int32 or Float64 sums, f32 input into Float64.
  KIND_U8_I32: 0,
  KIND_U8_F64: 1,
  KIND_F32_F64: 2,
  // Most rows in an integral strip: its column sums of 8-bit values (and squares) fit u16 (u32).
  MAX_STRIP_ROWS: 256,
  // Integral schemes: one group does everything, three phases over strips, bands in a window.
  SPLIT_NONE: 0,
  SPLIT_STRIPS: 1,
  SPLIT_BANDS: 2,
  // Layout conversions.
  NCHW_TO_NC4: 0,
  NHWC_TO_NC4: 1,
  NC4_TO_NCHW: 2,
  NC4_TO_NHWC: 3,
  // Tensor layouts a kernel reads or writes in place.
  LAYOUT_NC4HW4: 0,
  LAYOUT_NCHW: 1,
  LAYOUT_NHWC: 2,
  // The planar depthwise kernel's scratch per thread (assembly/conv/depthwise-planar.ts):
  // this many bytes, and this many more for each block of four output columns.
  PLANAR_SCRATCH_BYTES: 528,
  PLANAR_SCRATCH_BLOCK_BYTES: 32,
  // Pooling.
  POOL_MAX: 0,
  POOL_AVG: 1,

  // Image resizing (constants of the resize ops go here).
  // The arithmetic of a resize (src/ops/image/resize-plan.ts): cv.resize's u8 bilinear,
  // its u8 fixed point for the other kernels, or f32.
  RESIZE_FIXED_LINEAR: 0,
  RESIZE_FIXED: 1,
  RESIZE_FLOAT: 2,
  // 8-bit sources summed down columns first (integer weights), then along rows in f32:
  // INTER_AREA and the antialiased filters, whose taps are many.
  RESIZE_COLUMNS_FIRST: 3,
  // One tap each way: a gather of whole values (INTER_NEAREST, and a same-size copy).
  RESIZE_NEAREST: 4,

  // Colour, geometry and normalisation (constants of those ops go here).
  // cvtColor modes (assembly/image/color.ts): 4→4 swap, 4→3, 3→4 (alpha 255), 3→3 swap, gray,
  // gray → 3 or 4 (alpha 255).
  COLOR_SWAP4: 0,
  COLOR_DROP4: 1,
  COLOR_ADD4: 2,
  COLOR_SWAP3: 3,
  COLOR_GRAY: 4,
  COLOR_EXPAND: 5,

  // Filters (constants of the filter ops go here).
  // Border modes, OpenCV's names: gfedcb|abcdefgh|gfedcba, aaaaaa|abcdefgh|hhhhhhh, vvvvvv|abcdefgh|vvvvvvv.
  BORDER_REFLECT101: 0,
  BORDER_REPLICATE: 1,
  BORDER_CONSTANT: 2,
  // How the box filter turns a window's 8-bit sum into a pixel (OpenCV's cv.blur rounding).
  BOX_FIXED: 0, // K ≤ 256: ((sum + delta) · mul) >> 23, OpenCV's 16-bit ColumnSum
  BOX_F64: 1, // K > 256: round-half-even(sum · (1/K) in f64), OpenCV's 32-bit ColumnSum
  BOX_SUM: 2, // normalize false: the sum, saturated to 255
  // Thresholding fused after a filter (adaptiveThreshold): none, src − mean > −delta, ≤ −delta.
  THRESH_NONE: 0,
  THRESH_BINARY: 1,
  THRESH_BINARY_INV: 2,
};

/** What every convolution-shaped job starts with: the tensors' shapes and the window. */
const geometry = {
  n: "i32",
  c4: "i32", // input channel quads
  h: "i32",
  w: "i32",
  oc4: "i32", // output channel quads
  oh: "i32",
  ow: "i32",
  kh: "i32",
  kw: "i32",
  sh: "i32",
  sw: "i32",
  pt: "i32", // padding above
  pl: "i32", // padding on the left
  dh: "i32",
  dw: "i32",
};

/** What every filter job starts with: the image, its channels, the result's rows (image/filters-*.ts). */
const filterImage = {
  width: "i32",
  height: "i32",
  cn: "i32",
  src: "usize",
  srcStride: "usize", // bytes
  dst: "usize",
  dstStride: "usize", // bytes
};

export const ops = {
  integral: {
    id: 1,
    kernel: "image/integral.ts#integralGroup",
    plan: "image/integral.ts",
    methods: ["integral"],
    exports: ["type IntegralOptions", "type IntegralOut", "type IntegralResult", "type IntegralSource"],
    phases: ["totals", "scan", "rows"], // SPLIT_STRIPS; the other schemes run one phase
    args: {
      kind: "i32", // KIND_*
      squared: "bool",
      width: "i32",
      height: "i32",
      cn: "i32",
      src: "usize",
      srcStride: "usize", // elements
      sum: "usize",
      sqsum: "usize",
      scratch: "usize", // per thread: rows of rowPitch(n) bytes
      scratchStride: "usize", // bytes per thread
      strip: "i32", // rows per strip (per band)
      strips: "i32",
      carry: "usize", // strips rows of rowPitch(n) bytes
      carry2: "usize",
      chunk: "i32", // elements per scan group, a multiple of 4
      split: "i32", // SPLIT_*
      done: "usize", // 0, or one i32 flag per strip (band), set once written
      topGiven: "bool", // output row 0 is given (a band's window: the band above's last row)
      slot: "usize", // SPLIT_BANDS: bytes from one window slot to the next (sums)
      slot2: "usize", // the same for squares
    },
  },
  gemm: {
    id: 2,
    kernel: "gemm/gemm.ts#gemmGroup",
    plan: "gemm/gemm.ts",
    methods: ["gemm", "packB"],
    exports: ["PackedMatrix", "type Activation", "type GemmOptions", "type PackBOptions"],
    phases: ["pack", "compute"],
    args: {
      m: "i32",
      n: "i32",
      k: "i32",
      a: "usize",
      lda: "i32",
      transA: "bool",
      b: "usize",
      ldb: "i32",
      transB: "bool",
      c: "usize",
      ldc: "i32",
      alpha: "f32",
      beta: "f32",
      bias: "usize", // 0: none
      act: "i32", // ACT_*
      packedB: "usize",
      scratch: "usize", // per thread: the A block, then a 128-byte tile
      scratchStride: "usize",
      mc: "i32",
      kc: "i32",
      nc: "i32",
      mBlocks: "i32",
      packPhase: "bool", // phase 0 packs B (else B came packed)
    },
  },
  layout: {
    id: 3,
    kernel: "tensor/layout.ts#layoutGroup",
    plan: "tensor/layout.ts",
    methods: ["toNC4HW4", "fromNC4HW4"],
    exports: ["type Layout", "type PlainLayout", "type Shape4", "type Tensor"],
    phases: ["convert"],
    args: {
      mode: "i32", // NCHW_TO_NC4 …
      n: "i32",
      c: "i32",
      hw: "i32",
      src: "usize",
      dst: "usize",
      chunk: "i32", // pixels per group, a multiple of 4
    },
  },
  conv: {
    id: 4,
    kernel: "conv/conv-gemm.ts#convGemmGroup",
    plan: "conv/conv2d.ts",
    methods: ["conv2d", "packConv"],
    exports: ["PackedConv", "type Conv2dOptions", "type Conv2dResult", "type ConvAlgorithm", "type PackConvOptions"],
    phases: ["pack", "compute"],
    args: {
      ...geometry,
      cg: "i32", // input channels per convolution group
      ocg: "i32", // output channels per convolution group
      kGroups: "i32", // kernel groups
      cgK: "i32", // input channels per kernel group
      ocgK: "i32", // output channels per kernel group
      input: "usize",
      weight: "usize", // OIHW, read by phase 0
      packed: "usize",
      out: "usize",
      bias: "usize", // oc4·4 floats, 0: none
      act: "i32",
      scratch: "usize", // per thread: 64 zero bytes, a 128-byte tile, a 128-byte stage, the A block, then (compact) four pixels' k
      scratchStride: "usize",
      mc: "i32", // pixels per block, a multiple of 4
      kcq: "i32", // k-quads per block
      nc: "i32", // output channels per block, a multiple of NR
      mBlocks: "i32",
      nBlocks: "i32",
      packPhase: "bool", // phase 0 packs the weights
      direct: "bool", // A is the input itself, transposed (1×1, stride 1, no padding)
      compact: "bool", // k runs over (ky, kx, channel) with no padding lanes (few channels)
      outNHWC: "bool", // the output is NHWC (a pixel's oc floats together), not NC4HW4
      oc: "i32",
      inNHWC: "bool", // the input is NHWC, read where it lies (compact k, or whole quads)
      inNCHW: "bool", // the input is NCHW, read where it lies (1×1, or im2col except with compact k)
      outNCHW: "bool", // the output is NCHW: each tile staged, then stored a channel's pixels at a time (one k block only)
    },
  },
  depthwise: {
    id: 5,
    kernel: "conv/depthwise.ts#depthwiseGroup",
    phases: ["compute"],
    args: {
      ...geometry,
      mult: "i32", // output channels per input channel
      input: "usize",
      weights: "usize", // [oc4][kh·kw] v128, padded channels zero
      bias: "usize", // oc4·4 floats, 0: none
      act: "i32",
      out: "usize",
      scratch: "usize",
      scratchStride: "usize",
      rows: "i32", // output rows per group
      paddedW: "i32", // scratch row width in pixels (pl + w + right padding); 0: no copy
      c: "i32", // input channels
      inLayout: "i32", // LAYOUT_NC4HW4; LAYOUT_NHWC, in place or by the padded copy; LAYOUT_NCHW, by the padded copy (paddedW > 0)
      outLayout: "i32", // LAYOUT_NC4HW4; LAYOUT_NHWC, in place or a row at a time from scratch; LAYOUT_NCHW, a row block at a time from scratch
      outRowAt: "usize", // where that row (row block) lies in a thread's scratch (bytes from its start)
      quadsPerGroup: "i32", // no NHWC side: output quads a work-group takes, one after another
      rowBlock: "i32", // a row four to eight wide taken as one block: its padded edges (1 left, 2 right, 3 both); 0: none
      planar: "bool", // NCHW to NCHW, 3×3 at stride 2: each channel plane where it lies (conv/depthwise-planar.ts); a group is quadsPerGroup quads' planes
    },
  },
  winograd: {
    id: 6,
    kernel: "conv/winograd.ts#winogradGroup",
    phases: ["compute"],
    args: {
      ...geometry,
      input: "usize",
      packed: "usize", // 16 (36) packed matrices U_ξ, each C4·4 rows of ⌈oc/8⌉ panels
      out: "usize",
      bias: "usize",
      act: "i32",
      scratch: "usize", // per thread: V (ξ·C4·T v128), M (ξ·OC4·T v128), a ξ·64-byte stage
      scratchStride: "usize",
      tiles: "i32", // tiles per group, a multiple of 4
      oc: "i32",
      tile: "i32", // outputs per tile side: 2 for F(2×2, 3×3), 4 for F(4×4, 3×3)
    },
  },
  // Winograd's weight transform U = G·g·Gᵀ, in f64 and rounded once, before the GEMM packer.
  winogradWeights: {
    id: 8,
    kernel: "conv/winograd-weights.ts#winogradWeightsGroup",
    phases: ["transform"],
    args: {
      weight: "usize", // OIHW 3×3 f32
      oc: "i32",
      c: "i32",
      tile: "i32", // outputs per tile side: 2 for F(2×2, 3×3), 4 for F(4×4, 3×3)
      g: "usize", // G, (tile + 2)×3 f64, row-major
      out: "usize", // [ξ][oc][c] f32
      ocPerGroup: "i32",
    },
  },
  // Whether two regions hold the same bytes (the weight cache's check).
  sameBits: {
    id: 9,
    kernel: "tensor/same-bits.ts#sameBitsGroup",
    phases: ["compare"],
    args: {
      a: "usize",
      b: "usize",
      bytes: "usize",
      result: "usize", // an i32: 1 when the same, else 0
    },
  },
  pool2d: {
    id: 7,
    kernel: "tensor/pool.ts#poolGroup",
    plan: "tensor/pool2d.ts",
    methods: ["pool2d"],
    exports: ["type Pool2dOptions"],
    phases: ["pool"],
    args: {
      ...geometry,
      input: "usize",
      out: "usize",
      mode: "i32", // POOL_*
      countPadding: "bool", // average: divide by the whole window, padding included
      rows: "i32", // output rows per group
      planes: "i32", // channel quads (of all images) per group
    },
  },
  // --- Image preprocessing (src/ops/image/, assembly/image/) ---

  // Resizing: ids 20–29.
  resize: {
    id: 20,
    kernel: "image/resize.ts#resizeGroup",
    plan: "image/resize.ts",
    methods: ["resize"],
    exports: ["type ResizeOptions", "type ResizeMethod", "type Image", "type ImageInput", "type ImageShape", "type Pixels"],
    phases: ["resize"],
    args: {
      mode: "i32", // RESIZE_*
      cn: "i32", // channels
      srcF32: "bool", // f32 source (else 8-bit)
      dstF32: "bool", // f32 output (else 8-bit)
      src: "usize", // the source rows the kernel reads
      srcStride: "usize", // bytes from one source row to the next
      dst: "usize",
      dstStride: "usize", // bytes
      values: "i32", // output values per row: width · channels
      srcValues: "i32", // source values per row: width · channels
      dh: "i32", // output rows
      kx: "i32", // horizontal taps
      xofs: "usize", // per 4 output values: 4 i32 byte offsets of their first tap in a row
      xw: "usize", // per 4 output values, per tap: 4 weights (i32 or f32); with pairs, per pair of taps: 8 i16 (α_k, α_k+1 per value)
      pairs: "bool", // 8-bit integer taps taken two at a time with one dot product (cn 1 or 4, kx even)
      direct: "bool", // RESIZE_FIXED_LINEAR with pairs, cn 4, shrinking rows by 2 or more: each output pixel from its rows directly, no ring
      ky: "i32", // vertical taps
      yrows: "usize", // per output row, per tap: the i32 source row (of the region)
      yw: "usize", // per output row, per tap: the weight (i32 or f32)
      post: "f32", // RESIZE_FLOAT, RESIZE_COLUMNS_FIRST: sums are multiplied by this
      roundUp: "bool", // the same into 8-bit: round half up (else half to even)
      rows: "i32", // output rows per group
      scratch: "usize", // per thread: ky tags, ky + 1 addresses, ky weight vectors, then ky rows (RESIZE_COLUMNS_FIRST: a column-sum row and an output row)
      scratchStride: "usize",
    },
  },

  // Colour, geometry, normalisation into tensors: ids 30–39.
  cvtColor: {
    id: 30,
    kernel: "image/color.ts#colorGroup",
    plan: "image/color.ts",
    methods: ["cvtColor"],
    exports: ["type ColorCode", "type CvtColorOptions", "type PlaneLayout"],
    phases: ["convert"],
    args: {
      mode: "i32", // COLOR_*
      swap: "bool", // exchange the first and third channels (R and B)
      cn: "i32", // source channels (1 for COLOR_EXPAND, else 3 or 4)
      dcn: "i32", // output channels
      width: "i32",
      height: "i32",
      src: "usize",
      srcStride: "usize", // bytes
      dst: "usize",
      dstStride: "usize", // bytes
      rows: "i32", // rows per group
    },
  },
  colorYuv: {
    id: 31,
    kernel: "image/color-yuv.ts#yuvGroup",
    phases: ["convert"],
    args: {
      width: "i32",
      height: "i32",
      y: "usize",
      yStride: "usize", // bytes
      u: "usize",
      v: "usize",
      uvStride: "usize", // bytes from one chroma row to the next
      uvStep: "i32", // bytes from one chroma sample to the next: 1 (I420) or 2 (NV12)
      dst: "usize",
      dstStride: "usize",
      dcn: "i32", // 3 or 4 (alpha 255)
      swap: "bool", // BGR(A) rather than RGB(A)
      rows: "i32", // picture rows per group
    },
  },
  colorGeometry: {
    id: 32,
    kernel: "image/color-geometry.ts#geometryGroup",
    plan: "image/color-geometry.ts",
    methods: ["crop", "flip", "place"],
    exports: ["placement", "type CropOptions", "type FlipOptions", "type PlaceOptions", "type Placement", "type PlacementFit"],
    phases: ["copy"],
    args: {
      ps: "i32", // bytes per pixel: 1, 2, 3, 4, 8, 12 or 16
      src: "usize", // the first source pixel copied
      srcStride: "usize", // bytes
      width: "i32", // pixels copied per row
      height: "i32", // rows copied
      flipX: "bool",
      flipY: "bool",
      dst: "usize", // the canvas
      dstStride: "usize",
      canvasW: "i32",
      canvasH: "i32",
      x: "i32", // where the copy lands in the canvas (inside it)
      y: "i32",
      fill: "usize", // 64 bytes: the fill pixel repeated (a 48-byte period), 0: no fill
      rows: "i32", // canvas rows per group
    },
  },
  toTensor: {
    id: 33,
    kernel: "image/color-tensor.ts#tensorGroup",
    plan: "image/color-tensor.ts",
    methods: ["toTensor"],
    exports: ["type ToTensorOptions"],
    phases: ["normalise"],
    args: {
      src: "usize",
      srcStride: "usize", // bytes
      cn: "i32", // source channels
      width: "i32",
      height: "i32",
      dst: "usize",
      planar: "bool", // NCHW: oc planes of width·height floats; else `lanes` floats per pixel
      planeStride: "usize", // NCHW: bytes from one plane to the next (the planes may be taller than the image)
      lanes: "i32", // interleaved: floats per pixel (oc, or 4 for NC4HW4)
      oc: "i32", // output channels
      consts: "usize", // 16-byte swizzle map, then the a and b vectors (see the kernel)
      rows: "i32", // rows per group
    },
  },

  // Filters: ids 40–49.
  // The 8-bit box filter (and adaptiveThreshold's mean): running column sums, then a
  // running row sum from a prefix over each row (assembly/image/filters-box.ts).
  filtersBox: {
    id: 40,
    kernel: "image/filters-box.ts#filtersBoxGroup",
    plan: "image/filters.ts",
    methods: ["boxFilter", "gaussianBlur", "adaptiveThreshold"],
    exports: ["type BorderMode", "type BoxFilterOptions", "type GaussianBlurOptions", "type AdaptiveThresholdOptions"],
    phases: ["rows"],
    args: {
      ...filterImage,
      kw: "i32",
      kh: "i32",
      ax: "i32", // anchor: the window of x is [x − ax, x − ax + kw)
      ay: "i32",
      border: "i32", // BORDER_*
      constRow: "usize", // BORDER_CONSTANT: a row of the value (width·cn bytes)
      value: "i32", // BORDER_CONSTANT: the value
      scale: "i32", // BOX_*
      delta: "i32", // BOX_FIXED
      mul: "i32", // BOX_FIXED
      thresh: "i32", // THRESH_*: write src > mean − delta instead of the mean
      threshDelta: "i32",
      maxValue: "i32",
      narrow: "bool", // K ≤ 256: sums in u16 lanes
      rows: "i32", // output rows per group
      scratch: "usize", // per thread: column sums and their prefix, (width + kw)·cn i32 (u16) each
      scratchStride: "usize",
    },
  },
  // The 8-bit Gaussian in OpenCV's fixed point: taps in 1/256, a vertical pass into 16-bit
  // sums, a horizontal pass into 32 bits, (s + 2¹⁵) >> 16 (assembly/image/filters-gauss.ts).
  filtersGauss: {
    id: 41,
    kernel: "image/filters-gauss.ts#filtersGaussGroup",
    phases: ["rows"],
    args: {
      ...filterImage,
      kw: "i32", // odd
      kh: "i32", // odd
      taps: "usize", // kw i32 horizontal taps, kh vertical ones (each in 1/256, summing to 256), the horizontal ones paired in i32
      border: "i32",
      constRow: "usize",
      value: "i32",
      rows: "i32",
      scratch: "usize", // per thread: kh row addresses, a 16-bit row V of (width + kw − 1)·cn, its plane of pairs
      scratchStride: "usize",
    },
  },
  // Separable f32 filters in OpenCV's order (sepFilter2D): a horizontal pass into a ring of
  // rows, then a vertical one; 8-bit or f32 in, f32 out or rounded into adaptiveThreshold's
  // comparison (assembly/image/filters-sep.ts).
  filtersSep: {
    id: 42,
    kernel: "image/filters-sep.ts#filtersSepGroup",
    phases: ["rows"],
    args: {
      ...filterImage,
      srcF32: "bool",
      kw: "i32", // odd
      kh: "i32", // odd
      taps: "usize", // kw f32 horizontal taps, then kh vertical ones
      border: "i32",
      constRow: "usize", // f32
      value: "f32",
      thresh: "i32", // THRESH_NONE: f32 out; else 8-bit out, adaptiveThreshold's comparison
      threshDelta: "i32",
      maxValue: "i32",
      rows: "i32",
      scratch: "usize", // per thread: one extended source row, then a ring of kh rows, f32
      scratchStride: "usize",
    },
  },

  // The fused preprocess: ids 50–59. preprocess() itself runs resize's and toTensor's
  // kernels in one call, so it declares only its method (no id, kernel or arguments).
  preprocess: {
    plan: "image/preprocess.ts",
    methods: ["preprocess"],
    exports: ["type PreprocessOptions", "type PreprocessResize", "type PreprocessResult"],
  },

  // Test hooks for the pool's failure paths (assembly/runtime/debug.ts).
  // `entered`: set by a Worker once inside a group; `idle`: a word nothing sets.
  debugStall: { id: 90, kernel: "runtime/debug.ts#debugStallGroup", phases: ["stall"], args: { entered: "i32", idle: "i32" } },
  debugTrap: { id: 91, kernel: "runtime/debug.ts#debugTrapGroup", phases: ["trap"], args: { entered: "i32", idle: "i32" } },
};
