// Sparse × dense: out[r, n] = Σ_{k ∈ row r} values[k] · x[cols[k], n], with A in CSR
// (rowPtr, cols, values) of shape [R, C] and x dense [C, N], out [R, N] (columns = examples).
// Each thread owns one row and NB adjacent columns of x: per nonzero it loads the column index
// and value once and NB contiguous elements of x. Threads of one row are neighbours, so the
// row's index and value loads are shared through the cache. NB is appended by src/ops/spmm.ts.
@group(0) @binding(0) var<storage, read> rowPtr: array<u32>;
@group(0) @binding(1) var<storage, read> cols: array<u32>;
@group(0) @binding(2) var<storage, read> values: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
struct Uniforms { R: u32, N: u32, tilesN: u32, total: u32 }
@group(0) @binding(5) var<uniform> u: Uniforms;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * 64u;
  if (t >= u.total) { return; }
  let n0 = (t % u.tilesN) * NB;
  let r = t / u.tilesN;
  let last = u.N - 1u;
  var acc: array<f32, NB>;
  for (var k = rowPtr[r]; k < rowPtr[r + 1u]; k++) {
    let base = cols[k] * u.N;
    let v = values[k];
    for (var b = 0u; b < NB; b++) { acc[b] += v * x[base + min(n0 + b, last)]; }
  }
  for (var b = 0u; b < NB; b++) {
    if (n0 + b < u.N) { out[r * u.N + n0 + b] = acc[b]; }
  }
}
