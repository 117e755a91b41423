// out[i] = max(x[i] + bias[c], 0) · dropoutScale(seed, stream, i, keep), c = (i / inner) % channels:
// a layer's bias, ReLU and inverted dropout in one pass (keep = 1: no dropout). The same f32
// operations in the same order as add → relu → dropout_mask → mul, so the same bits. Each
// invocation takes W consecutive elements (V = vec4f, W = 4 where the size is a multiple of 4;
// else f32, 1); the host prepends dropout_hash.wgsl and appends V, W, at and put.
@group(0) @binding(0) var<storage, read> x: array<V>;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<V>;
struct Uniforms { size: u32, inner: u32, channels: u32, seed: u32, stream: u32, keep: f32 }
@group(0) @binding(3) var<uniform> u: Uniforms;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let q = gid.x + gid.y * nwg.x * 256u;
  if (W * q >= u.size) { return; }
  let xq = x[q];
  var r: V;
  for (var k = 0u; k < W; k++) {
    let i = W * q + k;
    let v = max(at(xq, k) + bias[(i / u.inner) % u.channels], 0.0);
    put(&r, k, select(v, v * dropoutScale(u.seed, u.stream, i, u.keep), u.keep < 1.0));
  }
  out[q] = r;
}
