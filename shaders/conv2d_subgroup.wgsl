// 2-D convolution for adapters with subgroups of 8 or more lanes: the same correlation as
// conv2d.wgsl (forward, and with FLIP the input gradient), computing 8 output channels × XB
// adjacent pixels per invocation.
// All invocations of a workgroup work on the same 8 output channels (workgroup_id.y) and on
// different pixels. For each kernel tap, lane l loads the weight of channel o0 + (l & 7) and
// every lane takes the 8 weights from lanes 0..7 by subgroupBroadcast: one weight load per
// 8·XB FMAs instead of one per XB. KH, KW, XB and OB (= 8, the lanes broadcast from) are
// constants appended by src/ops/conv2d.ts.
enable subgroups;

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> wt: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
struct Uniforms { N: u32, CI: u32, HI: u32, WI: u32, CO: u32, HO: u32, WO: u32, P: u32, tilesX: u32, tilesO: u32, total: u32 }
@group(0) @binding(3) var<uniform> u: Uniforms;

override FLIP: bool = false;
override WG: u32 = 8u;
const SEG = XB + KW - 1u;

fn weight(o: u32, c: u32, i: u32, j: u32) -> f32 {
  if (FLIP) { return wt[((c * u.CO + o) * KH + (KH - 1u - i)) * KW + (KW - 1u - j)]; }
  return wt[((o * u.CI + c) * KH + i) * KW + j];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32) {
  // Positions (n, y, x tile), x tiles fastest; past the last one a lane repeats it (all lanes
  // stay active for the broadcasts) and stores nothing.
  let t = (wid.x + wid.z * nwg.x) * WG + lid;
  let p = min(t, u.total - 1u);
  let x0 = (p % u.tilesX) * XB;
  let y = (p / u.tilesX) % u.HO;
  let n = p / (u.tilesX * u.HO);
  let o0 = wid.y * OB;
  let oMine = min(o0 + (lane & 7u), u.CO - 1u);
  let P = i32(u.P);
  var acc: array<f32, OB * XB>;
  for (var c = 0u; c < u.CI; c++) {
    for (var i = 0u; i < KH; i++) {
      // Rows outside the input read zeros rather than being skipped: control flow stays
      // uniform across the subgroup, as subgroupBroadcast requires.
      let yy = i32(y + i) - P;
      let rowOk = yy >= 0 && yy < i32(u.HI);
      let row = ((n * u.CI + c) * u.HI + u32(clamp(yy, 0, i32(u.HI) - 1))) * u.WI;
      var seg: array<f32, SEG>;
      for (var s = 0u; s < SEG; s++) {
        let xx = i32(x0 + s) - P;
        seg[s] = select(0.0, src[row + u32(clamp(xx, 0, i32(u.WI) - 1))], rowOk && xx >= 0 && xx < i32(u.WI));
      }
      for (var j = 0u; j < KW; j++) {
        let w = weight(oMine, c, i, j);
        let ws = array<f32, OB>(subgroupBroadcast(w, 0u), subgroupBroadcast(w, 1u), subgroupBroadcast(w, 2u), subgroupBroadcast(w, 3u),
                                subgroupBroadcast(w, 4u), subgroupBroadcast(w, 5u), subgroupBroadcast(w, 6u), subgroupBroadcast(w, 7u));
        for (var ob = 0u; ob < OB; ob++) {
          for (var xb = 0u; xb < XB; xb++) { acc[ob * XB + xb] = fma(ws[ob], seg[xb + j], acc[ob * XB + xb]); }
        }
      }
    }
  }
  if (t >= u.total) { return; }
  for (var ob = 0u; ob < OB; ob++) {
    let o = o0 + ob;
    for (var xb = 0u; xb < XB; xb++) {
      if (o < u.CO && x0 + xb < u.WO) { out[((n * u.CO + o) * u.HO + y) * u.WO + x0 + xb] = acc[ob * XB + xb]; }
    }
  }
}
