// 2-D convolution (cross-correlation, as PyTorch's Conv2d), NCHW, stride S, zero padding P:
//   out[n,o,y,x] = Σ_{c,i,j} w(o,c,i,j) · src[n,c,y·S+i−P,x·S+j−P]
// Forward: src = x, w(o,c,i,j) = w[o,c,i,j]. Input gradient (FLIP): src = g, the kernel turned
// 180° with in/out channels swapped, w(o,c,i,j) = w[c,o,KH−1−i,KW−1−j], padding KH−1−P, S = 1.
// KH, KW, S, OB and XB are constants appended by src/ops/conv2d.ts, so that the loops over the
// kernel row and the register block unroll: each thread computes OB output channels × XB
// adjacent pixels of one row, loading each input row segment once for KW·OB·XB FMAs.
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> wt: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
struct Uniforms { N: u32, CI: u32, HI: u32, WI: u32, CO: u32, HO: u32, WO: u32, P: u32, tilesX: u32, tilesO: u32, total: u32 }
@group(0) @binding(3) var<uniform> u: Uniforms;

override FLIP: bool = false;
const SEG = (XB - 1u) * S + KW;

fn weight(o: u32, c: u32, i: u32, j: u32) -> f32 {
  if (FLIP) { return wt[((c * u.CO + o) * KH + (KH - 1u - i)) * KW + (KW - 1u - j)]; }
  return wt[((o * u.CI + c) * KH + i) * KW + j];
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.y * nwg.x * 64u;
  if (t >= u.total) { return; }
  // x tiles fastest, then rows, then channel blocks: neighbouring threads share weights.
  let x0 = (t % u.tilesX) * XB;
  let y = (t / u.tilesX) % u.HO;
  let o0 = ((t / (u.tilesX * u.HO)) % u.tilesO) * OB;
  let n = t / (u.tilesX * u.HO * u.tilesO);
  let P = i32(u.P);
  var acc: array<f32, OB * XB>;
  for (var c = 0u; c < u.CI; c++) {
    for (var i = 0u; i < KH; i++) {
      let yy = i32(y * S + i) - P;
      if (yy < 0 || yy >= i32(u.HI)) { continue; }
      let row = ((n * u.CI + c) * u.HI + u32(yy)) * u.WI;
      var seg: array<f32, SEG>;
      for (var s = 0u; s < SEG; s++) {
        let xx = i32(x0 * S + s) - P;
        seg[s] = select(0.0, src[row + u32(clamp(xx, 0, i32(u.WI) - 1))], xx >= 0 && xx < i32(u.WI));
      }
      for (var ob = 0u; ob < OB; ob++) {
        let o = min(o0 + ob, u.CO - 1u); // past the last channel: computed, never written
        for (var j = 0u; j < KW; j++) {
          let w = weight(o, c, i, j);
          for (var xb = 0u; xb < XB; xb++) { acc[ob * XB + xb] += w * seg[xb * S + j]; }
        }
      }
    }
  }
  for (var ob = 0u; ob < OB; ob++) {
    let o = o0 + ob;
    for (var xb = 0u; xb < XB; xb++) {
      if (o < u.CO && x0 + xb < u.WO) { out[((n * u.CO + o) * u.HO + y) * u.WO + x0 + xb] = acc[ob * XB + xb]; }
    }
  }
}
