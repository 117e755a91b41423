// out[i] = 1/keep with probability keep, else 0. Counter-based: the value depends only on
// (seed, stream, i), so the same seed gives the same mask on any device and any dispatch order.
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
struct Uniforms { size: u32, seed: u32, stream: u32, keep: f32 }
@group(0) @binding(1) var<uniform> u: Uniforms;

fn pcg(x: u32) -> u32 {
  let s = x * 747796405u + 2891336453u;
  let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return (w >> 22u) ^ w;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= u.size) { return; }
  let h = pcg(pcg(pcg(u.seed) ^ u.stream) + i);
  let uniform01 = f32(h >> 8u) * (1.0 / 16777216.0); // 24 random bits: exact in f32
  out[i] = select(0.0, 1.0 / u.keep, uniform01 < u.keep);
}
