// adam.wgsl four parameters at a time (size % 4 == 0): the same arithmetic per component, with
// one vec4 load or store per buffer instead of four scalar ones (on llvmpipe a storage access
// costs mostly per lane; Adam was ~10% of an FC training step with scalar accesses).
@group(0) @binding(0) var<storage, read_write> p: array<vec4f>;
@group(0) @binding(1) var<storage, read> g: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> m: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> v: array<vec4f>;
struct Uniforms { size: u32, lr: f32, beta1: f32, beta2: f32, eps: f32, decay: f32 }
@group(0) @binding(4) var<uniform> u: Uniforms;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= u.size / 4u) { return; }
  let pi = p[i];
  let gi = g[i] + u.decay * pi;
  let mi = u.beta1 * m[i] + (1.0 - u.beta1) * gi;
  let vi = u.beta2 * v[i] + (1.0 - u.beta2) * gi * gi;
  m[i] = mi;
  v[i] = vi;
  p[i] = pi - u.lr * mi / (sqrt(vi) + u.eps);
}
