/** "refreshed 3 min ago" for a catalog refresh time (RFC 3339), relative to `now` (ms). */
export function refreshedAgo(iso: string | null, now: number): string {
  if (!iso) return "never refreshed";
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return "refreshed just now";
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `refreshed ${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `refreshed ${hours} h ago`;
  return `refreshed on ${iso.slice(0, 10)}`;
}

/** 12345 → "12,345", the same on every machine. */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** "2026-11-23 15:27:02" for an RFC 3339 time (UTC, to the second). */
export function second(iso: string): string {
  return iso.replace("T", " ").replace("Z", "");
}

/** "2026-11-23 15:27" for an RFC 3339 time (UTC, to the minute). */
export function minute(iso: string): string {
  return iso.slice(0, 16).replace("T", " ");
}
