// Sparse × dense as Sputnik maps it (Gale et al. 2020, "Sparse GPU kernels for deep learning"):
// out[r, n] = Σ_{k ∈ row r} values[k] · x[cols[k], n], A in CSR [R, C], x dense [C, N], out [R, N].
// One workgroup per (row, tile of columns). Rows are taken longest first (`order`, a row swizzle:
// long rows start early, so no workgroup is left running alone at the end). The row's nonzeros
// are staged 64 at a time in workgroup memory by one coalesced load per lane; then every lane
// reads the same staged entry and its own NV vectors of x's row, so the lanes of a workgroup
// read one contiguous stretch of x per nonzero (coalesced on a GPU).
// src/ops/spmm.ts appends `alias xv` (vec4f, vec2f or f32), its width W and NV.
@group(0) @binding(0) var<storage, read> rowPtr: array<u32>;
@group(0) @binding(1) var<storage, read> cols: array<u32>;
@group(0) @binding(2) var<storage, read> values: array<f32>;
@group(0) @binding(3) var<storage, read> order: array<u32>;
@group(0) @binding(4) var<storage, read> x: array<xv>;
@group(0) @binding(5) var<storage, read_write> out: array<xv>;
struct Uniforms { N: u32, tilesN: u32, total: u32 }
@group(0) @binding(6) var<uniform> u: Uniforms;

const LANES = 64u;
var<workgroup> stagedBase: array<u32, LANES>;
var<workgroup> stagedValue: array<f32, LANES>;

@compute @workgroup_size(64)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_index) lane: u32,
  @builtin(num_workgroups) nwg: vec3u,
) {
  let w = wid.x + wid.y * nwg.x; // the same for every lane: the early return below is uniform
  if (w >= u.total) { return; }
  let rowLen = u.N / W; // x's and out's rows, in vectors
  let r = order[w / u.tilesN];
  let q0 = ((w % u.tilesN) * LANES + lane) * NV;
  let last = rowLen - 1u;
  let start = rowPtr[r];
  let end = rowPtr[r + 1u];
  var acc: array<xv, NV>;
  for (var k0 = start; k0 < end; k0 += LANES) {
    let k = k0 + lane;
    if (k < end) {
      stagedBase[lane] = cols[k] * rowLen;
      stagedValue[lane] = values[k];
    }
    workgroupBarrier();
    let n = min(LANES, end - k0);
    for (var i = 0u; i < n; i++) {
      let base = stagedBase[i];
      let v = xv(stagedValue[i]);
      for (var j = 0u; j < NV; j++) { acc[j] = fma(v, x[base + min(q0 + j, last)], acc[j]); }
    }
    workgroupBarrier();
  }
  for (var j = 0u; j < NV; j++) {
    if (q0 + j < rowLen) { out[r * rowLen + q0 + j] = acc[j]; }
  }
}
