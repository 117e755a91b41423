// out = a + b for two tensors of one shape: how autograd adds another gradient into a
// tensor's gradient. V (f32 or vec4f) is appended by the host.
@group(0) @binding(0) var<storage, read> a: array<V>;
@group(0) @binding(1) var<storage, read> b: array<V>;
@group(0) @binding(2) var<storage, read_write> out: array<V>;
struct Uniforms { count: u32 }
@group(0) @binding(3) var<uniform> u: Uniforms;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= u.count) { return; }
  out[i] = a[i] + b[i];
}
