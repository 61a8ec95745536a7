import type { DeliveryProgress } from './deliver.js';
import { formatCount } from '../model/count.js';

/**
 * Progress of a delivery on a TTY (events sent, dead-lettered, rate), one line redrawn in place;
 * nothing when the stream is not a terminal (CI stays quiet and line-oriented).
 */
export function ttyProgress(stream: NodeJS.WriteStream = process.stderr): { onProgress?: (p: DeliveryProgress) => void; done(): void } {
  if (!stream.isTTY) return { done: () => undefined };
  const started = Date.now();
  const per = new Map<string, DeliveryProgress>();
  let drawn = false;
  return {
    onProgress(p) {
      per.set(p.emitterKey, p);
      const sent = [...per.values()].reduce((a, x) => a + x.sent, 0);
      const dead = [...per.values()].reduce((a, x) => a + x.deadLettered, 0);
      const rate = sent / Math.max(0.001, (Date.now() - started) / 1000);
      stream.write(`\r\x1b[2KDelivering: ${formatCount(sent)} sent, ${formatCount(dead)} dead-lettered (${formatCount(Math.round(rate))} events/s)`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
    },
  };
}
