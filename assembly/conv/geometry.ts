// The argument words every convolution job starts with (src/ops/conv2d.ts, geometryArgs,
// writes them): the tensors' shapes and the window. Each kernel's own words follow.
export const A_N = 0;
export const A_C4 = 1; // input channel quads
export const A_H = 2;
export const A_W = 3;
export const A_OC4 = 4; // output channel quads
export const A_OH = 5;
export const A_OW = 6;
export const A_KH = 7;
export const A_KW = 8;
export const A_SH = 9;
export const A_SW = 10;
export const A_PT = 11; // padding above
export const A_PL = 12; // padding on the left
export const A_DH = 13;
export const A_DW = 14;
export const GEOMETRY_WORDS = 15;
