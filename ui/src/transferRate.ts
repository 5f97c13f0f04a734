// Speed and time left of a transfer, from the progress events as they arrive: the speed is
// smoothed so one slow or fast moment does not make the estimate jump.

/** What is known of one transfer's pace. */
export interface Pace {
  /** Milliseconds (Date.now()) of the last progress seen. */
  at: number;
  bytes: number;
  total: number | null;
  /** Bytes a second, once two progress events were seen. */
  speed: number | null;
}

/** How much of a new measurement the smoothed speed takes. */
const WEIGHT = 0.3;

export function nextPace(before: Pace | undefined, at: number, bytes: number, total: number | null): Pace {
  if (!before || at <= before.at || bytes < before.bytes) {
    return { at, bytes, total, speed: before?.speed ?? null };
  }
  const now = ((bytes - before.bytes) * 1000) / (at - before.at);
  const speed = before.speed === null ? now : before.speed * (1 - WEIGHT) + now * WEIGHT;
  return { at, bytes, total: total ?? before.total, speed };
}

/** Seconds until `bytes` of `total` are done at `speed`; null when that cannot be told. */
export function secondsLeft(bytes: number, total: number | null, speed: number | null): number | null {
  if (total === null || speed === null || speed <= 0 || bytes > total) return null;
  return Math.ceil((total - bytes) / speed);
}

/** `45 s`, `3 min`, `2 h 5 min`. */
export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
