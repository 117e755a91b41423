// 2-D convolution (cross-correlation, as PyTorch's Conv2d), NCHW, stride 1, zero padding PAD,
// one thread per output element. MODE picks which of the three products this dispatch computes:
//   0 forward:         out[n,o,y,x]  = Σ_{c,i,j} w[o,c,i,j] · x[n,c,y+i-P,x+j-P]        (a = x, b = w)
//   1 input gradient:  dx[n,c,y,x]   = Σ_{o,i,j} w[o,c,i,j] · g[n,o,y-i+P,x-j+P]        (a = g, b = w)
//   2 weight gradient: dw[o,c,i,j]   = Σ_{n,y,x} g[n,o,y,x] · x[n,c,y+i-P,x+j-P]        (a = g, b = x)
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
// H, W: input size; OH, OW: output size (= H, W for "same", H-K+1, W-K+1 for "valid").
struct Uniforms { N: u32, C: u32, H: u32, W: u32, O: u32, KH: u32, KW: u32, P: u32, OH: u32, OW: u32, size: u32 }
@group(0) @binding(3) var<uniform> u: Uniforms;

override MODE: u32 = 0u;

fn inX(n: u32, c: u32, y: i32, x: i32) -> f32 { // input element, 0 outside (padding)
  if (y < 0 || x < 0 || y >= i32(u.H) || x >= i32(u.W)) { return 0.0; }
  return b[((n * u.C + c) * u.H + u32(y)) * u.W + u32(x)];
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let idx = gid.x + gid.y * nwg.x * 256u;
  if (idx >= u.size) { return; }
  let P = i32(u.P);
  var acc = 0.0;
  if (MODE == 0u) {
    let ox = idx % u.OW; let oy = (idx / u.OW) % u.OH; let o = (idx / (u.OW * u.OH)) % u.O; let n = idx / (u.OW * u.OH * u.O);
    for (var c = 0u; c < u.C; c++) {
      for (var i = 0u; i < u.KH; i++) {
        let y = i32(oy + i) - P;
        if (y < 0 || y >= i32(u.H)) { continue; }
        for (var j = 0u; j < u.KW; j++) {
          let x = i32(ox + j) - P;
          if (x < 0 || x >= i32(u.W)) { continue; }
          acc += b[((o * u.C + c) * u.KH + i) * u.KW + j] * a[((n * u.C + c) * u.H + u32(y)) * u.W + u32(x)];
        }
      }
    }
  } else if (MODE == 1u) {
    let x = idx % u.W; let y = (idx / u.W) % u.H; let c = (idx / (u.W * u.H)) % u.C; let n = idx / (u.W * u.H * u.C);
    for (var o = 0u; o < u.O; o++) {
      for (var i = 0u; i < u.KH; i++) {
        let oy = i32(y) - i32(i) + P;
        if (oy < 0 || oy >= i32(u.OH)) { continue; }
        for (var j = 0u; j < u.KW; j++) {
          let ox = i32(x) - i32(j) + P;
          if (ox < 0 || ox >= i32(u.OW)) { continue; }
          acc += b[((o * u.C + c) * u.KH + i) * u.KW + j] * a[((n * u.O + o) * u.OH + u32(oy)) * u.OW + u32(ox)];
        }
      }
    }
  } else {
    let j = idx % u.KW; let i = (idx / u.KW) % u.KH; let c = (idx / (u.KW * u.KH)) % u.C; let o = idx / (u.KW * u.KH * u.C);
    for (var n = 0u; n < u.N; n++) {
      for (var oy = 0u; oy < u.OH; oy++) {
        let y = i32(oy + i) - P;
        if (y < 0 || y >= i32(u.H)) { continue; }
        for (var ox = 0u; ox < u.OW; ox++) {
          acc += a[((n * u.O + o) * u.OH + oy) * u.OW + ox] * inX(n, c, y, i32(ox + j) - P);
        }
      }
    }
  }
  out[idx] = acc;
}
