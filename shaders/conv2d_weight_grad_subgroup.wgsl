// Weight gradient of conv2d for adapters with subgroups of 8 or more lanes, one image's share,
// as conv2d_weight_grad.wgsl: partial[n,o,c,i,j] = Σ_{y,x} g[n,o,y,x] · x[n,c,y+i−P,x+j−P].
// A workgroup shares (image n = workgroup_id.z, OB output channels = workgroup_id.y); its lanes
// own different (input channel c, kernel row i) and all KW columns. Every lane needs the same
// gradients g[n,o,y,x0..x0+XB), so lane l loads pixel x0 + (l & 7) and all lanes take the XB
// values from lanes 0..XB−1 by subgroupBroadcast: OB loads of g per XB pixels instead of OB·XB.
// KH, KW, OB, XB (≤ 8) are constants appended by src/ops/conv2d.ts.
enable subgroups;

@group(0) @binding(0) var<storage, read> g: array<f32>;   // [N, CO, HO, WO]
@group(0) @binding(1) var<storage, read> x: array<f32>;   // [N, CI, HI, WI]
@group(0) @binding(2) var<storage, read_write> out: array<f32>; // [N, CO, CI, KH, KW]
struct Uniforms { N: u32, CI: u32, HI: u32, WI: u32, CO: u32, HO: u32, WO: u32, P: u32, tilesX: u32, tilesO: u32, total: u32 }
@group(0) @binding(3) var<uniform> u: Uniforms;

override WG: u32 = 8u;
const SEG = XB + KW - 1u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) lane: u32) {
  // (c, i) pairs: u.total = CI·KH; past the last one a lane repeats it and stores nothing.
  let q = wid.x * WG + lid;
  let qc = min(q, u.total - 1u);
  let i = qc % KH;
  let c = qc / KH;
  let o0 = wid.y * OB;
  let n = wid.z;
  let P = i32(u.P);
  var acc: array<f32, OB * KW>;
  for (var y = 0u; y < u.HO; y++) {
    // Rows outside the input read zeros instead of being skipped: control flow stays uniform.
    let yy = i32(y + i) - P;
    let rowOk = yy >= 0 && yy < i32(u.HI);
    let row = ((n * u.CI + c) * u.HI + u32(clamp(yy, 0, i32(u.HI) - 1))) * u.WI;
    for (var x0 = 0u; x0 < u.WO; x0 += XB) {
      var seg: array<f32, SEG>;
      for (var s = 0u; s < SEG; s++) {
        let xx = i32(x0 + s) - P;
        seg[s] = select(0.0, x[row + u32(clamp(xx, 0, i32(u.WI) - 1))], rowOk && xx >= 0 && xx < i32(u.WI));
      }
      let px = x0 + (lane & 7u);
      for (var ob = 0u; ob < OB; ob++) {
        let o = min(o0 + ob, u.CO - 1u);
        let mine = select(0.0, g[((n * u.CO + o) * u.HO + y) * u.WO + min(px, u.WO - 1u)], px < u.WO && (lane & 7u) < XB);
        let gs = array<f32, 8>(subgroupBroadcast(mine, 0u), subgroupBroadcast(mine, 1u), subgroupBroadcast(mine, 2u), subgroupBroadcast(mine, 3u),
                               subgroupBroadcast(mine, 4u), subgroupBroadcast(mine, 5u), subgroupBroadcast(mine, 6u), subgroupBroadcast(mine, 7u));
        for (var xb = 0u; xb < XB; xb++) {
          for (var j = 0u; j < KW; j++) { acc[ob * KW + j] = fma(gs[xb], seg[xb + j], acc[ob * KW + j]); }
        }
      }
    }
  }
  if (q >= u.total) { return; }
  for (var ob = 0u; ob < OB; ob++) {
    let o = o0 + ob;
    if (o >= u.CO) { continue; }
    for (var j = 0u; j < KW; j++) { out[(((n * u.CO + o) * u.CI + c) * KH + i) * KW + j] = acc[ob * KW + j]; }
  }
}
