// The input gradient of bias_relu_dropout.wgsl: g[i] · dropoutScale(…) where x[i] + bias[c] > 0,
// else 0 — the same bits as reluGrad(mul(g, mask), x + bias). The pre-activation and the mask
// are recomputed, not stored. W elements per invocation, as the forward kernel; the host
// prepends dropout_hash.wgsl and appends V, W, at and put.
@group(0) @binding(0) var<storage, read> g: array<V>;
@group(0) @binding(1) var<storage, read> x: array<V>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<V>;
struct Uniforms { size: u32, inner: u32, channels: u32, seed: u32, stream: u32, keep: f32 }
@group(0) @binding(4) var<uniform> u: Uniforms;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let q = gid.x + gid.y * nwg.x * 256u;
  if (W * q >= u.size) { return; }
  let gq = g[q];
  let xq = x[q];
  var r: V;
  for (var k = 0u; k < W; k++) {
    let i = W * q + k;
    let gi = select(at(gq, k), at(gq, k) * dropoutScale(u.seed, u.stream, i, u.keep), u.keep < 1.0);
    put(&r, k, select(0.0, gi, at(xq, k) + bias[(i / u.inner) % u.channels] > 0.0));
  }
  out[q] = r;
}
