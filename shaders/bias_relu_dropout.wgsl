// out[i] = max(x[i] + bias[c], 0) · dropoutScale(seed, stream, i, keep), c = (i / inner) % channels:
// a layer's bias, ReLU and inverted dropout in one pass (keep = 1: no dropout). The same f32
// operations in the same order as add → relu → dropout_mask → mul, so the same bits.
// dropout_hash.wgsl is prepended by the host.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
struct Uniforms { size: u32, inner: u32, channels: u32, seed: u32, stream: u32, keep: f32 }
@group(0) @binding(3) var<uniform> u: Uniforms;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= u.size) { return; }
  let v = max(x[i] + bias[(i / u.inner) % u.channels], 0.0);
  out[i] = select(v, v * dropoutScale(u.seed, u.stream, i, u.keep), u.keep < 1.0);
}
