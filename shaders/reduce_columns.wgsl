// reduce.wgsl's result, bit for bit, without workgroup memory or barriers: one invocation per
// output element (W = 4 adjacent ones, as a vec4, where inner % 4 == 0). It keeps the same 64
// partial sums (r ≡ l mod 64, in order) and combines them in the same tree order, so the
// choice between the two kernels changes no result. Used where there are enough outputs to
// fill the machine (bias gradients: sums over the batch); on llvmpipe barriers split a shader
// into coroutines and each workgroup-memory access is a per-lane operation.
// src/ops/reduce.ts appends XV (vec4f or f32) and W.
@group(0) @binding(0) var<storage, read> x: array<XV>;
@group(0) @binding(1) var<storage, read_write> out: array<XV>;
struct Uniforms { outer: u32, reduced: u32, inner: u32, scale: f32 }
@group(0) @binding(2) var<uniform> u: Uniforms;

override IS_MAX: bool = false;
const TREE = 64u; // reduce.wgsl's workgroup size: its number of partial sums

fn combine(p: XV, q: XV) -> XV { if (IS_MAX) { return max(p, q); } return p + q; }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let q = gid.x + gid.y * nwg.x * 64u;
  let innerV = u.inner / W;
  if (q >= u.outer * innerV) { return; }
  let base = (q / innerV) * u.reduced * innerV + q % innerV;
  var partial: array<XV, TREE>;
  for (var l = 0u; l < TREE; l++) {
    var acc = XV(select(0.0, bitcast<f32>(0xff7fffffu), IS_MAX)); // -FLT_MAX
    for (var r = l; r < u.reduced; r += TREE) { acc = combine(acc, x[base + r * innerV]); }
    partial[l] = acc;
  }
  for (var s = TREE / 2u; s > 0u; s >>= 1u) {
    for (var l = 0u; l < s; l++) { partial[l] = combine(partial[l], partial[l + s]); }
  }
  out[q] = partial[0] * u.scale;
}
