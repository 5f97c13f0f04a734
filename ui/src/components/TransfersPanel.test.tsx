import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderWithEvents } from "../testing/renderWithEvents";
import { memoryTransfers, uploadJob } from "../testing/memoryTransfers";
import { TransfersPanel } from "./TransfersPanel";

function show(api: ReturnType<typeof memoryTransfers>) {
  return renderWithEvents(<TransfersPanel api={api} />);
}

const row = (name: string) => screen.getByText(name).closest("li") as HTMLElement;

describe("TransfersPanel", () => {
  it("stays hidden until there is a transfer", async () => {
    const api = memoryTransfers();
    show(api);
    await act(async () => {});
    expect(screen.queryByRole("region", { name: "Transfers" })).toBeNull();
  });

  it("shows each transfer's state and bytes, follows progress, and pauses, resumes, retries", async () => {
    const user = userEvent.setup();
    const api = memoryTransfers([
      uploadJob(3, "/home/me/wedding.mov", "local:shoot/wedding.mov", "running", 8_000_000),
      uploadJob(2, "/home/me/cover.jpg", "local:shoot/cover.jpg", "paused", 1_000),
      { ...uploadJob(1, "/home/me/a.txt", "local:shoot/a.txt", "failed"), error: { code: "access_denied", message: "Access denied.", hint: "", field: null, retry: "never" } },
    ]);
    const emit = show(api);
    await screen.findByRole("region", { name: "Transfers" });
    expect(screen.getByRole("heading").textContent).toBe("Transfers · 1 active");
    expect(within(row("wedding.mov")).getByText("8.0 MB")).toBeTruthy();
    emit({ kind: "job_progress", job: 3, profile: "local", action: "upload", done: 0, items: null, bytes: 24_000_000, total: null });
    expect(within(row("wedding.mov")).getByText("24 MB")).toBeTruthy();
    expect(within(row("a.txt")).getByText("failed: Access denied.")).toBeTruthy();

    await user.click(within(row("wedding.mov")).getByRole("button", { name: "Pause" }));
    await user.click(within(row("cover.jpg")).getByRole("button", { name: "Resume" }));
    await user.click(within(row("a.txt")).getByRole("button", { name: "Retry" }));
    expect(api.calls).toEqual({ paused: [3], resumed: [2, 1], cancelled: [], toFront: [] });

    api.jobs[0] = uploadJob(3, "/home/me/wedding.mov", "local:shoot/wedding.mov", "done", 40_000_000);
    emit({ kind: "job_state", job: 3, profile: "local", job_kind: "upload", state: "done", error: null });
    await waitFor(() => expect(row("wedding.mov").dataset.state).toBe("done"));
    expect(screen.getByRole("heading").textContent).toBe("Transfers");
  });

  it("shows a download as its object and the file it becomes", async () => {
    const download = {
      ...uploadJob(4, "", "", "running", 5_000_000),
      spec: { kind: "download" as const, source: "local:shoot/raw/IMG_01.CR3", into: "/home/me/Downloads", path: "raw/IMG_01.CR3" },
    };
    const emit = show(memoryTransfers([download]));
    await screen.findByRole("region", { name: "Transfers" });
    expect(within(row("IMG_01.CR3")).getByText("→ /home/me/Downloads/raw/IMG_01.CR3")).toBeTruthy();
    emit({ kind: "job_progress", job: 4, profile: "local", action: "download", done: 0, items: null, bytes: 9_000_000, total: null });
    expect(within(row("IMG_01.CR3")).getByText("9.0 MB")).toBeTruthy();
  });

  it("shows each running transfer's share done, speed and time left, and their totals", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const api = memoryTransfers([
        uploadJob(5, "/home/me/film.mov", "local:shoot/film.mov", "running", 0, 100_000_000),
        uploadJob(6, "/home/me/b.mov", "local:shoot/b.mov", "queued", 0, 50_000_000),
      ]);
      const emit = show(api);
      await screen.findByRole("region", { name: "Transfers" });
      expect(within(row("film.mov")).getByText("0 bytes of 100 MB")).toBeTruthy();
      emit({ kind: "job_progress", job: 5, profile: "local", action: "upload", done: 0, items: null, bytes: 0, total: 100_000_000 });
      vi.advanceTimersByTime(1000);
      emit({ kind: "job_progress", job: 5, profile: "local", action: "upload", done: 0, items: null, bytes: 10_000_000, total: 100_000_000 });
      expect(within(row("film.mov")).getByText("10 MB of 100 MB · 10 MB/s · 9 s left")).toBeTruthy();
      expect(screen.getByText("10 MB of 150 MB · 10 MB/s · 14 s left")).toBeTruthy();
      const bar = row("film.mov").querySelector("progress") as HTMLProgressElement;
      expect([bar.value, bar.max]).toEqual([10_000_000, 100_000_000]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("lists queued transfers in the order they will start, and runs one next on request", async () => {
    const user = userEvent.setup();
    const api = memoryTransfers([
      uploadJob(9, "/home/me/c.mov", "local:shoot/c.mov", "queued"),
      uploadJob(8, "/home/me/b.mov", "local:shoot/b.mov", "queued"),
      uploadJob(7, "/home/me/a.mov", "local:shoot/a.mov", "running"),
      uploadJob(6, "/home/me/old.mov", "local:shoot/old.mov", "done"),
    ]);
    show(api);
    await screen.findByRole("region", { name: "Transfers" });
    const names = () => screen.getAllByRole("listitem").map((li) => li.querySelector(".transfer-name")?.textContent);
    expect(names()).toEqual(["a.mov", "b.mov", "c.mov", "old.mov"]);
    expect(within(row("b.mov")).queryByRole("button", { name: "Run next" })).toBeNull();
    await user.click(within(row("c.mov")).getByRole("button", { name: "Run next" }));
    expect(api.calls.toFront).toEqual([9]);
    await waitFor(() => expect(names()).toEqual(["a.mov", "c.mov", "b.mov", "old.mov"]));
  });
});
