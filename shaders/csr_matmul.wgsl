// Sparse × dense: out[r, n] = Σ_{k ∈ row r} values[k] · x[cols[k], n], with A in CSR
// (rowPtr, cols, values) of shape [R, C] and x dense [C, N], out [R, N] (columns = examples).
// Each thread owns one row and NV adjacent vectors of x's row (NV·W columns): per nonzero it
// loads the column index and value once and NV vectors of x. Threads of one row are
// neighbours, so the row's index and value loads are shared through the cache.
// src/ops/spmm.ts appends `alias xv` (vec4f, vec2f or f32: the widest that divides N), its
// width W and NV. On llvmpipe a vec4 load moves 2-3x the floats of a scalar one, so wide
// vectors cut the x loads' cost, which dominates (docs/sparse-lavapipe.md).
@group(0) @binding(0) var<storage, read> rowPtr: array<u32>;
@group(0) @binding(1) var<storage, read> cols: array<u32>;
@group(0) @binding(2) var<storage, read> values: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<xv>;
@group(0) @binding(4) var<storage, read_write> out: array<xv>;
struct Uniforms { R: u32, N: u32, tilesN: u32, total: u32 }
@group(0) @binding(5) var<uniform> u: Uniforms;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * 64u;
  if (t >= u.total) { return; }
  let rowLen = u.N / W; // x's and out's rows, in vectors
  let q0 = (t % u.tilesN) * NV;
  let r = t / u.tilesN;
  let last = rowLen - 1u;
  var acc: array<xv, NV>;
  for (var k = rowPtr[r]; k < rowPtr[r + 1u]; k++) {
    let base = cols[k] * rowLen;
    let v = xv(values[k]);
    for (var j = 0u; j < NV; j++) { acc[j] = fma(v, x[base + min(q0 + j, last)], acc[j]); }
  }
  for (var j = 0u; j < NV; j++) {
    if (q0 + j < rowLen) { out[r * rowLen + q0 + j] = acc[j]; }
  }
}
