// The f64x2 multiply-add of every inner loop, switched at compile time.
//
// The "fma" build target enables relaxed SIMD, so ASC_FEATURE_RELAXED_SIMD is true there and the
// multiply-add is f64x2.relaxed_madd, which V8 lowers to one fused instruction (vfmadd231pd) on x86
// CPUs with FMA3: one rounding instead of two, so never less accurate, and one instruction instead
// of two. The "release" target keeps the separate multiply and add (bit-identical to the code
// before this switch existed), for runtimes without relaxed SIMD. The dead branch is not compiled.

/** a·b + c per f64 lane (fused in the fma build, c + round(a·b) otherwise). */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(c, f64x2.mul(a, b));
}
