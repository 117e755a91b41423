// The gradient of a strided conv2d spread back onto the stride-1 output grid: out[p, y, x] =
// g[p, y/S, x/S] where S divides y and x, else 0, for g [P, OH, OW] and out [P, (OH−1)·S+1, (OW−1)·S+1].
// Its stride-1 correlations then give the strided layer's input and weight gradients.
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
struct Uniforms { OH: u32, OW: u32, H: u32, W: u32, S: u32, total: u32 }
@group(0) @binding(2) var<uniform> u: Uniforms;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= u.total) { return; }
  let x = i % u.W;
  let y = (i / u.W) % u.H;
  let p = i / (u.W * u.H);
  let hit = x % u.S == 0u && y % u.S == 0u;
  let src = (p * u.OH + min(y / u.S, u.OH - 1u)) * u.OW + min(x / u.S, u.OW - 1u);
  out[i] = select(0.0, g[src], hit);
}
