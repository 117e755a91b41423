// x viewed as [outer, R, inner] -> out [outer, inner]; one workgroup per output element,
// its threads stride over R and then combine in workgroup memory.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
struct Uniforms { outer: u32, reduced: u32, inner: u32, scale: f32 }
@group(0) @binding(2) var<uniform> u: Uniforms;

override IS_MAX: bool = false;
const WG = 64u;
var<workgroup> partial: array<f32, WG>;

fn combine(p: f32, q: f32) -> f32 { if (IS_MAX) { return max(p, q); } return p + q; }

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let o = wid.x + wid.y * nwg.x;
  let valid = o < u.outer * u.inner;
  let outerIdx = o / max(u.inner, 1u);
  let innerIdx = o % max(u.inner, 1u);
  var acc = select(0.0, bitcast<f32>(0xff7fffffu), IS_MAX); // -FLT_MAX
  if (valid) {
    let base = outerIdx * u.reduced * u.inner + innerIdx;
    for (var r = lid; r < u.reduced; r += WG) { acc = combine(acc, x[base + r * u.inner]); }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { partial[lid] = combine(partial[lid], partial[lid + s]); }
    workgroupBarrier();
  }
  if (lid == 0u && valid) { out[o] = partial[0] * u.scale; }
}
