/**
 * Cached `Date` header (RFC 9110 §6.6.1, IMF-fixdate). Formatting a date per
 * response is measurable on the hot path, so the header line is rebuilt at most
 * once per wall-clock second.
 */
import type { Timers } from "../runtime/timers.ts";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function pad2(n: number): string {
  return n < 10 ? "0" + n : String(n);
}

/** Formats `ms` (Unix epoch milliseconds) as an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`. */
export function formatHttpDate(ms: number): string {
  const d = new Date(ms);
  return (
    DAYS[d.getUTCDay()] + ", " + pad2(d.getUTCDate()) + " " + MONTHS[d.getUTCMonth()] + " " +
    d.getUTCFullYear() + " " + pad2(d.getUTCHours()) + ":" + pad2(d.getUTCMinutes()) + ":" +
    pad2(d.getUTCSeconds()) + " GMT"
  );
}

/** Holds the bytes of the current `Date: …\r\n` header line, refreshed once per second. */
export class DateCache {
  #timers: Timers;
  #second = -1;
  #line: Uint8Array = new Uint8Array(0);

  constructor(timers: Timers) {
    this.#timers = timers;
  }

  /** The `Date: <IMF-fixdate>\r\n` line for the current second (shared; never mutate it). */
  line(): Uint8Array {
    const second = Math.floor(this.#timers.wallNow() / 1000);
    if (second !== this.#second) {
      this.#second = second;
      const text = "Date: " + formatHttpDate(second * 1000) + "\r\n";
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
      this.#line = bytes;
    }
    return this.#line;
  }
}
