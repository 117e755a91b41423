// The input gradient of bias_relu_dropout.wgsl: g[i] · dropoutScale(…) where x[i] + bias[c] > 0,
// else 0 — the same bits as reluGrad(mul(g, mask), x + bias). The pre-activation and the mask
// are recomputed, not stored. dropout_hash.wgsl is prepended by the host.
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
struct Uniforms { size: u32, inner: u32, channels: u32, seed: u32, stream: u32, keep: f32 }
@group(0) @binding(4) var<uniform> u: Uniforms;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= u.size) { return; }
  let gi = select(g[i], g[i] * dropoutScale(u.seed, u.stream, i, u.keep), u.keep < 1.0);
  out[i] = select(0.0, gi, x[i] + bias[(i / u.inner) % u.channels] > 0.0);
}
