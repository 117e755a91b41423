// Weight gradient of conv2d, one image's share: partial[n,o,c,i,j] = Σ_{y,x} g[n,o,y,x] · x[n,c,y+i−P,x+j−P].
// The caller sums the partials over n (a reduction kernel): N-way parallelism without atomics.
// Each thread owns (n, c, kernel row i, OB output channels) and all KW columns: per XB-pixel
// step it loads OB·XB gradients and one XB+KW−1 input segment for OB·XB·KW FMAs.
// KH, KW, OB, XB are constants prepended by src/ops/conv2d.ts.
@group(0) @binding(0) var<storage, read> g: array<f32>;   // [N, CO, HO, WO]
@group(0) @binding(1) var<storage, read> x: array<f32>;   // [N, CI, HI, WI]
@group(0) @binding(2) var<storage, read_write> out: array<f32>; // [N, CO, CI, KH, KW]
struct Uniforms { N: u32, CI: u32, HI: u32, WI: u32, CO: u32, HO: u32, WO: u32, P: u32, tilesX: u32, tilesO: u32, total: u32 }
@group(0) @binding(3) var<uniform> u: Uniforms;

const SEG = XB + KW - 1u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * 64u;
  if (t >= u.total) { return; }
  let i = t % KH;
  let c = (t / KH) % u.CI;
  let o0 = ((t / (KH * u.CI)) % u.tilesO) * OB;
  let n = t / (KH * u.CI * u.tilesO);
  let P = i32(u.P);
  var acc: array<f32, OB * KW>;
  for (var y = 0u; y < u.HO; y++) {
    let yy = i32(y + i) - P;
    if (yy < 0 || yy >= i32(u.HI)) { continue; }
    let row = ((n * u.CI + c) * u.HI + u32(yy)) * u.WI;
    for (var x0 = 0u; x0 < u.WO; x0 += XB) {
      var seg: array<f32, SEG>;
      for (var s = 0u; s < SEG; s++) {
        let xx = i32(x0 + s) - P;
        seg[s] = select(0.0, x[row + u32(clamp(xx, 0, i32(u.WI) - 1))], xx >= 0 && xx < i32(u.WI));
      }
      for (var ob = 0u; ob < OB; ob++) {
        let o = min(o0 + ob, u.CO - 1u);
        let gRow = ((n * u.CO + o) * u.HO + y) * u.WO;
        for (var xb = 0u; xb < XB; xb++) {
          let gv = select(0.0, g[gRow + min(x0 + xb, u.WO - 1u)], x0 + xb < u.WO);
          for (var j = 0u; j < KW; j++) { acc[ob * KW + j] += gv * seg[xb + j]; }
        }
      }
    }
  }
  for (var ob = 0u; ob < OB; ob++) {
    let o = o0 + ob;
    if (o >= u.CO) { continue; }
    for (var j = 0u; j < KW; j++) { out[(((n * u.CO + o) * u.CI + c) * KH + i) * KW + j] = acc[ob * KW + j]; }
  }
}
