// Max or average pooling over K x K windows at stride S with P padding, per (image, channel)
// plane, one invocation per output. Max: padding never wins (PyTorch's -inf), ties go to the
// first maximum in row-major window order, and the winner's index in its plane is written to
// `arg` for the backward pass. Average: padding counts as zeros in a divisor of K·K (PyTorch's
// count_include_pad=True); `arg` is not touched.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> arg: array<f32>;
struct Uniforms { H: u32, W: u32, OH: u32, OW: u32, K: u32, S: u32, P: u32, total: u32 }
@group(0) @binding(3) var<uniform> u: Uniforms;

override IS_MAX: bool = true;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= u.total) { return; }
  let per = u.OH * u.OW;
  let plane = i / per;
  let r = i % per;
  let h0 = i32((r / u.OW) * u.S) - i32(u.P);
  let w0 = i32((r % u.OW) * u.S) - i32(u.P);
  let base = plane * u.H * u.W;
  var best = bitcast<f32>(0xff7fffffu); // the lowest finite f32; padding never competes
  var bestAt = -1;
  var total = 0.0;
  for (var kh = 0; kh < i32(u.K); kh++) {
    let h = h0 + kh;
    if (h < 0 || h >= i32(u.H)) { continue; }
    for (var kw = 0; kw < i32(u.K); kw++) {
      let w = w0 + kw;
      if (w < 0 || w >= i32(u.W)) { continue; }
      let at = h * i32(u.W) + w;
      let v = x[base + u32(at)];
      if (IS_MAX) {
        if (bestAt < 0 || v > best) { best = v; bestAt = at; }
      } else {
        total += v;
      }
    }
  }
  if (IS_MAX) {
    y[i] = best;
    arg[i] = f32(bestAt);
  } else {
    y[i] = total / f32(u.K * u.K);
  }
}
