// out[i] = value: zeros, ones, and the NaN poison tests put in outputs before a kernel runs.
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
struct Uniforms { size: u32, bits: u32 }
@group(0) @binding(1) var<uniform> u: Uniforms;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i < u.size) { out[i] = bitcast<f32>(u.bits); }
}
