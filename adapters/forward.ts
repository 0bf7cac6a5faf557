/**
 * Shared by the light fetch classes (request.ts, light-response.ts): every
 * member of the runtime's class that the light class does not implement
 * itself is forwarded to the real object, built on first use.
 */

/**
 * Defines on `light` a forwarding getter or method for each own member of
 * `real` (a runtime class's prototype) that `light` lacks; `toReal` returns
 * the real object for an instance. Enumerability follows the runtime's.
 */
export function forwardMembers<T>(light: object, real: object, toReal: (self: T) => object): void {
  const own = new Set(Object.getOwnPropertyNames(light));
  for (const name of Object.getOwnPropertyNames(real)) {
    if (name === "constructor") continue;
    const desc = Object.getOwnPropertyDescriptor(real, name)!;
    if (own.has(name)) {
      // Implemented by the light class: only make it enumerate like the runtime's (for…in lists the same names).
      const mine = Object.getOwnPropertyDescriptor(light, name)!;
      if (mine.enumerable !== desc.enumerable) Object.defineProperty(light, name, { ...mine, enumerable: desc.enumerable });
      continue;
    }
    if (desc.get !== undefined) {
      Object.defineProperty(light, name, {
        get(this: T): unknown {
          return (toReal(this) as Record<string, unknown>)[name];
        },
        enumerable: desc.enumerable,
        configurable: true,
      });
    } else if (typeof desc.value === "function") {
      Object.defineProperty(light, name, {
        value: function (this: T, ...args: unknown[]): unknown {
          const target = toReal(this) as Record<string, (...a: unknown[]) => unknown>;
          return target[name](...args);
        },
        writable: true,
        enumerable: desc.enumerable,
        configurable: true,
      });
    }
  }
}
