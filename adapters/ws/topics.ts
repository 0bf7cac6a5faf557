/**
 * Publish/subscribe topics across the WebSockets of one worker (Bun's
 * `ws.subscribe`/`ws.publish`/`server.publish`). Topics do not cross
 * processes: each worker has its own.
 */

/** Something that can receive published messages. */
export interface Subscriber {
  send(data: string | Uint8Array, compress?: boolean): number;
}

/** topic → subscribers. */
export class Topics {
  private readonly topics = new Map<string, Set<Subscriber>>();

  subscribe(topic: string, subscriber: Subscriber): void {
    let set = this.topics.get(topic);
    if (set === undefined) this.topics.set(topic, (set = new Set()));
    set.add(subscriber);
  }

  unsubscribe(topic: string, subscriber: Subscriber): void {
    const set = this.topics.get(topic);
    if (set === undefined) return;
    set.delete(subscriber);
    if (set.size === 0) this.topics.delete(topic);
  }

  isSubscribed(topic: string, subscriber: Subscriber): boolean {
    return this.topics.get(topic)?.has(subscriber) ?? false;
  }

  /** Number of subscribers of `topic`. */
  subscriberCount(topic: string): number {
    return this.topics.get(topic)?.size ?? 0;
  }

  /**
   * Sends `data` to every subscriber of `topic` except `except`. Returns the
   * bytes of the message when at least one subscriber got it, else 0.
   */
  publish(topic: string, data: string | Uint8Array, compress: boolean, except: Subscriber | null): number {
    const set = this.topics.get(topic);
    if (set === undefined) return 0;
    let sent = 0;
    for (const subscriber of set) {
      if (subscriber === except) continue;
      if (subscriber.send(data, compress) !== 0) sent = 1;
    }
    if (sent === 0) return 0;
    return typeof data === "string" ? new TextEncoder().encode(data).length : data.length;
  }

  /** Removes `subscriber` from every topic (its socket closed). */
  removeAll(subscriber: Subscriber, topics: Iterable<string>): void {
    for (const topic of topics) this.unsubscribe(topic, subscriber);
  }
}
