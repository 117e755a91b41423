// out = f(a, b, alpha) with numpy broadcasting up to rank 4: a broadcast dim has stride 0.
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
struct Uniforms { size: u32, alpha: f32, pad0: u32, pad1: u32, outShape: vec4u, aStrides: vec4u, bStrides: vec4u }
@group(0) @binding(3) var<uniform> u: Uniforms;

override BROADCAST: bool = true;

fn f(a: f32, b: f32, alpha: f32) -> f32 { return EXPR; }

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= u.size) { return; }
  if (!BROADCAST) { out[i] = f(a[i], b[i], u.alpha); return; }
  var rem = i;
  var ia = 0u;
  var ib = 0u;
  for (var d = 3i; d >= 0; d--) {
    let n = u.outShape[d];
    let c = rem % n;
    rem = rem / n;
    ia += c * u.aStrides[d];
    ib += c * u.bStrides[d];
  }
  out[i] = f(a[ia], b[ib], u.alpha);
}
