// unary.wgsl four elements at a time (size % 4 == 0): on llvmpipe a storage access costs
// mostly per lane, so one vec4 load and store move 4 elements for little more than one.
// f is injected from the op table in src/ops/elementwise.ts.
@group(0) @binding(0) var<storage, read> x: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> out: array<vec4f>;
struct Uniforms { size: u32, alpha: f32 }
@group(0) @binding(2) var<uniform> u: Uniforms;

fn f(x: f32, alpha: f32) -> f32 { return EXPR; }

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let q = gid.x + gid.y * nwg.x * 256u;
  if (q >= u.size / 4u) { return; }
  let v = x[q];
  out[q] = vec4f(f(v.x, u.alpha), f(v.y, u.alpha), f(v.z, u.alpha), f(v.w, u.alpha));
}
