// out = f(a, b, alpha) with numpy broadcasting up to rank 4 (a broadcast dim has stride 0),
// OW output elements per invocation: 1, or 4 where the innermost output dimension is a multiple
// of 4. The four then differ only in that dimension, so an operand that runs along it is read
// as one vec4 (AT/BT = vec4f, index / 4) and one broadcast along it as one scalar (AT/BT = f32,
// splat). src/ops/elementwise.ts appends OW, OT (f32 or vec4f), AT, BT, A_STEP, B_STEP and fV
// (f applied per component): one source for the scalar kernel and its vec4 twin.
@group(0) @binding(0) var<storage, read> a: array<AT>;
@group(0) @binding(1) var<storage, read> b: array<BT>;
@group(0) @binding(2) var<storage, read_write> out: array<OT>;
struct Uniforms { size: u32, alpha: f32, pad0: u32, pad1: u32, outShape: vec4u, aStrides: vec4u, bStrides: vec4u }
@group(0) @binding(3) var<uniform> u: Uniforms;

override BROADCAST: bool = true;

fn f(a: f32, b: f32, alpha: f32) -> f32 { return EXPR; }

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let q = gid.x + gid.y * nwg.x * 256u;
  if (q >= u.size / OW) { return; }
  var ia = OW * q;
  var ib = OW * q;
  if (BROADCAST) {
    var rem = OW * q;
    ia = 0u;
    ib = 0u;
    for (var d = 3i; d >= 0; d--) {
      let n = u.outShape[d];
      let c = rem % n;
      rem = rem / n;
      ia += c * u.aStrides[d];
      ib += c * u.bStrides[d];
    }
  }
  out[q] = fV(OT(a[ia / A_STEP]), OT(b[ib / B_STEP]), u.alpha);
}
