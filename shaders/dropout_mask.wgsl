// out[i] = dropoutScale(seed, stream, i, keep) (dropout_hash.wgsl, prepended): 1/keep with
// probability keep, else 0.
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
struct Uniforms { size: u32, seed: u32, stream: u32, keep: f32 }
@group(0) @binding(1) var<uniform> u: Uniforms;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= u.size) { return; }
  out[i] = dropoutScale(u.seed, u.stream, i, u.keep);
}
