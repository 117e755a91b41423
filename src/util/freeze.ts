/**
 * Freezes a value and everything it holds: exported defaults and tables cannot be changed by
 * one caller under another (copy with {...x} to vary them). Returns the same value.
 */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
