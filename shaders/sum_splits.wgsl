// out[i] = Σ_s partial[s * count + i]: adds the split-K slices of matmul_tiled.wgsl, in slice
// order (the same sum whatever the workgroup size).
@group(0) @binding(0) var<storage, read> partial: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
struct Uniforms { count: u32, splits: u32 }
@group(0) @binding(2) var<uniform> u: Uniforms;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.y * groups.x * 256u + gid.x;
  if (i >= u.count) { return; }
  var s = 0.0;
  for (var k = 0u; k < u.splits; k++) { s += partial[k * u.count + i]; }
  out[i] = s;
}
