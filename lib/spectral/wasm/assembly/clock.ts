// Phase clocks for thread 0 of a kernel: milliseconds from the host (performance.now) accumulated
// into f64 slots after the control words (ctrl + 16 + 8·slot), read back by the pool.

/** Host clock in milliseconds (performance.now). */
@external("env", "now") export declare function now(): f64;

/** Adds the time since `since` to phase slot `slot` and returns the current time. */
@inline export function lap(ctrl: usize, slot: i32, since: f64): f64 {
  const t = now();
  const p = ctrl + 16 + ((<usize>slot) << 3);
  store<f64>(p, load<f64>(p) + (t - since));
  return t;
}
