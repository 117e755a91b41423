// One fused Adam step over a parameter: m, v and p updated in place, W values per invocation
// (PV = vec4f, W = 4 where the size is a multiple of 4, else f32 and 1; appended by
// src/ops/adam.ts): the arithmetic is the same per component, and on llvmpipe a storage access
// costs mostly per lane, so vec4s cut the kernel's time in half.
// lr is already bias-corrected on the host: lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t).
// decay adds the gradient of an L2 penalty decay·½Σp² to g here, so that the penalty costs no
// separate passes over the parameters (for fc1 of the CNN those were ~40% of a training step).
@group(0) @binding(0) var<storage, read_write> p: array<PV>;
@group(0) @binding(1) var<storage, read> g: array<PV>;
@group(0) @binding(2) var<storage, read_write> m: array<PV>;
@group(0) @binding(3) var<storage, read_write> v: array<PV>;
struct Uniforms { size: u32, lr: f32, beta1: f32, beta2: f32, eps: f32, decay: f32 }
@group(0) @binding(4) var<uniform> u: Uniforms;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= u.size / W) { return; }
  let pi = p[i];
  let gi = g[i] + u.decay * pi;
  let mi = u.beta1 * m[i] + (1.0 - u.beta1) * gi;
  let vi = u.beta2 * v[i] + (1.0 - u.beta2) * gi * gi;
  m[i] = mi;
  v[i] = vi;
  p[i] = pi - u.lr * mi / (sqrt(vi) + u.eps);
}
