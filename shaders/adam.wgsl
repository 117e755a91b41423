// One fused Adam step over a parameter: m, v and p updated in place, W values per invocation
// (PV = vec4f, W = 4 where the size is a multiple of 4, else f32 and 1; appended by
// src/ops/adam.ts): the arithmetic is the same per component, and on llvmpipe a storage access
// costs mostly per lane, so vec4s cut the kernel's time in half.
// lr is already bias-corrected on the host: lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t).
// decay adds the gradient of an L2 penalty decay·½Σp² to g here, so that the penalty costs no
// separate passes over the parameters (for fc1 of the CNN those were ~40% of a training step).
// Under a pruning mask (0/1 per parameter) p, m and v are set to 0 where it is 0 after the update,
// so pruned parameters and their moments stay exactly 0; the host appends the uniform binding
// and maskOf(): a mask buffer at binding 4 (uniforms at 5), or a constant 1 (uniforms at 4).
@group(0) @binding(0) var<storage, read_write> p: array<PV>;
@group(0) @binding(1) var<storage, read> g: array<PV>;
@group(0) @binding(2) var<storage, read_write> m: array<PV>;
@group(0) @binding(3) var<storage, read_write> v: array<PV>;
struct Uniforms { size: u32, lr: f32, beta1: f32, beta2: f32, eps: f32, decay: f32 }

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= u.size / W) { return; }
  let pi = p[i];
  let gi = g[i] + u.decay * pi;
  let mi = u.beta1 * m[i] + (1.0 - u.beta1) * gi;
  let vi = u.beta2 * v[i] + (1.0 - u.beta2) * gi * gi;
  // select, not a product: a pruned value is +0 (a product would leave -0 where it was negative).
  let keep = maskOf(i) != PV(0.0);
  m[i] = select(PV(0.0), mi, keep);
  v[i] = select(PV(0.0), vi, keep);
  p[i] = select(PV(0.0), pi - u.lr * mi / (sqrt(vi) + u.eps), keep);
}
