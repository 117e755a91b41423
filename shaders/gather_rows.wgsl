// out[b, j] = source[rows[b], j]: rows of a [N, P] tensor picked by index, e.g. a batch drawn
// from a dataset held on the GPU. Indices are f32 holding integers (exact below 2^24).
@group(0) @binding(0) var<storage, read> source: array<f32>;
@group(0) @binding(1) var<storage, read> rows: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
struct Uniforms { B: u32, P: u32, N: u32 }
@group(0) @binding(3) var<uniform> u: Uniforms;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= u.B * u.P) { return; }
  let b = i / u.P;
  let j = i - b * u.P;
  let index = rows[b];
  // An index outside the source reads as NaN rather than as some other row. (A constant NaN
  // is refused by WGSL; or-ing N in keeps the exponent all ones and the mantissa nonzero.)
  if (!(index >= 0.0) || index >= f32(u.N)) {
    out[i] = bitcast<f32>(0x7fc00000u | u.N);
    return;
  }
  out[i] = source[u32(index) * u.P + j];
}
