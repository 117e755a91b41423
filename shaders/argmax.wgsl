// out[r] = index of the largest x[r, :] (first one on ties), as f32.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
struct Uniforms { rows: u32, cols: u32 }
@group(0) @binding(2) var<uniform> u: Uniforms;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = gid.x + gid.y * nwg.x * 64u;
  if (r >= u.rows) { return; }
  var best = 0u;
  var bestValue = x[r * u.cols];
  for (var c = 1u; c < u.cols; c++) {
    let v = x[r * u.cols + c];
    if (v > bestValue) { best = c; bestValue = v; }
  }
  out[r] = f32(best);
}
