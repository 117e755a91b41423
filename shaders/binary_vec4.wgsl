// binary.wgsl four output elements at a time, where the innermost output dimension is a
// multiple of 4. The four then differ only in that dimension, so an operand that runs along
// it is read as one vec4 (AT/BT = vec4f, index / 4) and one broadcast along it as one scalar
// (AT/BT = f32, splat). src/ops/elementwise.ts appends AT, BT, A_STEP and B_STEP.
@group(0) @binding(0) var<storage, read> a: array<AT>;
@group(0) @binding(1) var<storage, read> b: array<BT>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4f>;
struct Uniforms { size: u32, alpha: f32, pad0: u32, pad1: u32, outShape: vec4u, aStrides: vec4u, bStrides: vec4u }
@group(0) @binding(3) var<uniform> u: Uniforms;

override BROADCAST: bool = true;

fn f(a: f32, b: f32, alpha: f32) -> f32 { return EXPR; }

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let q = gid.x + gid.y * nwg.x * 256u;
  if (q >= u.size / 4u) { return; }
  var ia = 4u * q;
  var ib = 4u * q;
  if (BROADCAST) {
    var rem = 4u * q;
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
  let av = vec4f(a[ia / A_STEP]);
  let bv = vec4f(b[ib / B_STEP]);
  out[q] = vec4f(f(av.x, bv.x, u.alpha), f(av.y, bv.y, u.alpha), f(av.z, bv.z, u.alpha), f(av.w, bv.w, u.alpha));
}
