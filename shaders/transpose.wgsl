// out[c, r] = x[r, c] for x [R, C]: one thread per element, reads coalesced.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
struct Uniforms { R: u32, C: u32 }
@group(0) @binding(2) var<uniform> u: Uniforms;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= u.R * u.C) { return; }
  let r = i / u.C;
  let c = i % u.C;
  out[c * u.R + r] = x[i];
}
