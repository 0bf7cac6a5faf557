/**
 * Express swaps the prototype of every `req`/`res` it handles for
 * `app.request`/`app.response`, whose own prototypes (Express's request and
 * response objects) derive from node:http's IncomingMessage/ServerResponse.
 * tricorn's objects implement those interfaces themselves, so for the
 * exported app only (never Express's shared objects, never a global) the
 * chain is re-parented once: `app.request` → a copy of Express's request
 * methods → the prototype of tricorn's request class (same for responses).
 * Sub-apps mounted with `app.use()` inherit from `app.request`, so they follow.
 */

const bridged = new WeakSet<object>();

/** A copy of `methods`' own properties on top of `base`. */
function layer(methods: object, base: object): object {
  const copy = Object.create(base) as object;
  Object.defineProperties(copy, Object.getOwnPropertyDescriptors(methods));
  return copy;
}

/**
 * Re-parents `app.request`/`app.response` of an Express app onto
 * `requestProto`/`responseProto` (once per app).
 */
export function bridgeExpress(app: { request: object; response: object }, requestProto: object, responseProto: object): void {
  if (bridged.has(app)) return;
  bridged.add(app);
  Object.setPrototypeOf(app.request, layer(Object.getPrototypeOf(app.request) as object, requestProto));
  Object.setPrototypeOf(app.response, layer(Object.getPrototypeOf(app.response) as object, responseProto));
}
