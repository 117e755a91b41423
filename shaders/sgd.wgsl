// One SGD step with momentum over a parameter, PyTorch's torch.optim.SGD:
//   g ← g + decay·p;  buf ← momentum·buf + (1 − dampening)·g  (buf = g on the first step);
//   p ← p − lr·(nesterov ? g + momentum·buf : buf).
// W values per invocation (PV = vec4f, W = 4 where the size is a multiple of 4, else f32 and 1;
// appended by src/ops/sgd.ts), like the Adam kernel.
@group(0) @binding(0) var<storage, read_write> p: array<PV>;
@group(0) @binding(1) var<storage, read> g: array<PV>;
@group(0) @binding(2) var<storage, read_write> buf: array<PV>;
@group(0) @binding(3) var<uniform> u: Uniforms;
struct Uniforms { size: u32, lr: f32, momentum: f32, dampening: f32, decay: f32, first: u32, nesterov: u32 }

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= u.size / W) { return; }
  let pi = p[i];
  let gi = g[i] + u.decay * pi;
  var b = gi;
  if (u.first == 0u) { b = u.momentum * buf[i] + (1.0 - u.dampening) * gi; }
  buf[i] = b;
  var step = b;
  if (u.nesterov != 0u) { step = gi + u.momentum * b; }
  p[i] = pi - u.lr * step;
}
