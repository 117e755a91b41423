// The input gradient of pool2d.wgsl, one invocation per input element, gathered (no atomics):
// the sum over every output window that holds this element of that window's gradient — for
// max pooling only where this element was the window's maximum, for average pooling / K·K.
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> arg: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
struct Uniforms { H: u32, W: u32, OH: u32, OW: u32, K: u32, S: u32, P: u32, total: u32 }
@group(0) @binding(3) var<uniform> u: Uniforms;

override IS_MAX: bool = true;

/** The first output index o (along one axis) whose window [o·S − P, o·S − P + K) holds position p. */
fn firstWindow(p: i32) -> i32 {
  let t = p + i32(u.P) - i32(u.K) + 1;
  if (t <= 0) { return 0; }
  return (t + i32(u.S) - 1) / i32(u.S);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= u.total) { return; }
  let per = u.H * u.W;
  let plane = i / per;
  let at = i % per;
  let h = i32(at / u.W);
  let w = i32(at % u.W);
  let ohEnd = min(i32(u.OH), (h + i32(u.P)) / i32(u.S) + 1);
  let owEnd = min(i32(u.OW), (w + i32(u.P)) / i32(u.S) + 1);
  var s = 0.0;
  for (var oh = firstWindow(h); oh < ohEnd; oh++) {
    for (var ow = firstWindow(w); ow < owEnd; ow++) {
      let o = plane * u.OH * u.OW + u32(oh) * u.OW + u32(ow);
      if (IS_MAX) {
        if (arg[o] == f32(at)) { s += g[o]; }
      } else {
        s += g[o];
      }
    }
  }
  dx[i] = select(s / f32(u.K * u.K), s, IS_MAX);
}
