import { count, refreshedAgo } from "./time";

describe("refreshedAgo", () => {
  const at = Date.parse("2026-11-22T12:00:00Z");
  it.each([
    [null, "never refreshed"],
    ["2026-11-22T11:59:30Z", "refreshed just now"],
    ["2026-11-22T11:57:00Z", "refreshed 3 min ago"],
    ["2026-11-22T09:00:00Z", "refreshed 3 h ago"],
    ["2026-11-01T09:00:00Z", "refreshed on 2026-11-01"],
  ])("%s reads %s", (iso, words) => {
    expect(refreshedAgo(iso, at)).toBe(words);
  });

  it("groups thousands", () => {
    expect(count(100000)).toBe("100,000");
  });
});
