import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderWithEvents } from "../testing/renderWithEvents";
import { memorySync, syncPair } from "../testing/memorySync";
import { SyncView } from "./SyncView";

function show(api: ReturnType<typeof memorySync>, place = "local:photos/inbox/") {
  return renderWithEvents(<SyncView api={api} place={place} />);
}

const card = (local: string) => screen.getByRole("listitem", { name: `Pair ${local}` });

describe("SyncView", () => {
  it("adds a folder to the open bucket folder with the ignores as edited, and starts nothing when cancelled", async () => {
    const user = userEvent.setup();
    const api = memorySync();
    show(api);
    expect(await screen.findByText("No folder is synced yet.")).toBeTruthy();
    const form = screen.getByRole("form", { name: "Add a synced folder" });
    expect((within(form).getByLabelText("Upload to") as HTMLInputElement).value).toBe("local:photos/inbox/");
    await waitFor(() => expect((screen.getByLabelText("Ignored names") as HTMLTextAreaElement).value).toBe(".DS_Store\n*.tmp"));
    await user.type(screen.getByLabelText("Ignored names"), "\n*.xmp");
    await user.click(within(form).getByRole("button", { name: "Choose a folder to sync…" }));
    expect(api.calls.added).toEqual([{ remote: "local:photos/inbox/", mirror_deletes: false, ignore: [".DS_Store", "*.tmp", "*.xmp"] }]);
    expect(await screen.findByText("/home/ana/Exports")).toBeTruthy();
    expect(within(card("/home/ana/Exports")).getByText("Not synced yet")).toBeTruthy();

    api.chosenFolder = null;
    await user.click(within(form).getByRole("button", { name: "Choose a folder to sync…" }));
    expect(api.pairs).toHaveLength(1);
  });

  it("shows each pair's state and progress, syncs now, pauses, and follows the engine", async () => {
    const user = userEvent.setup();
    const api = memorySync([
      syncPair(1, "/home/ana/Exports", "local:photos/inbox/"),
      syncPair(2, "/media/card", "local:photos/card/", { status: "missing", status_detail: "The folder /media/card cannot be opened." }),
    ]);
    const emit = show(api);
    expect(await screen.findByText("Up to date")).toBeTruthy();
    expect(within(card("/media/card")).getByText("Folder missing")).toBeTruthy();
    expect(within(card("/media/card")).getByText(/cannot be opened/)).toBeTruthy();

    await user.click(within(card("/home/ana/Exports")).getByRole("button", { name: "Sync now" }));
    await user.click(within(card("/media/card")).getByRole("button", { name: "Pause" }));
    expect(api.calls.started).toEqual([1]);
    expect(api.calls.active).toEqual([[2, false]]);
    await waitFor(() => expect(within(card("/media/card")).getByText("Paused")).toBeTruthy());

    api.pairs[0].status = "syncing";
    api.pairs[0].job = 101;
    emit({ kind: "job_state", job: 101, profile: "local", job_kind: "sync", state: "running", error: null });
    emit({ kind: "job_progress", job: 101, profile: "local", action: "sync", done: 3, items: 10, bytes: 0, total: null });
    await waitFor(() => expect(within(card("/home/ana/Exports")).getByText("Syncing…")).toBeTruthy());
    expect(within(card("/home/ana/Exports")).getByText("3 of 10")).toBeTruthy();
  });

  it("mirrors deletes only after a confirmation that lists what would be deleted", async () => {
    const user = userEvent.setup();
    const plan = {
      pair: 1,
      items: [
        { path: "old/IMG_1.jpg", action: "delete" as const, size: 2048, other: null, reason: "deleted here" },
        { path: "new.jpg", action: "upload" as const, size: 10, other: null, reason: "new" },
      ],
      unchanged: 5,
      requests: 1,
      full: false,
      settles_in_ms: 0,
    };
    const api = memorySync([syncPair(1, "/home/ana/Exports", "local:photos/inbox/")], { 1: plan });
    show(api);
    await user.click(await screen.findByRole("button", { name: "Mirror deletes…" }));
    const dialog = screen.getByRole("alertdialog");
    expect(within(dialog).getByText(/The next sync deletes 1 object/)).toBeTruthy();
    expect(within(dialog).getByText("old/IMG_1.jpg")).toBeTruthy();
    expect(within(dialog).queryByText("new.jpg")).toBeNull();
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(api.calls.edited).toEqual([]);
    await user.click(screen.getByRole("button", { name: "Mirror deletes…" }));
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Mirror deletes" }));
    expect(api.calls.edited).toEqual([[1, { mirror_deletes: true, ignore: null }]]);
    expect(await screen.findByRole("button", { name: "Stop mirroring deletes" })).toBeTruthy();
  });

  it("shows the plan, and resolves conflicts", async () => {
    const user = userEvent.setup();
    const plan = {
      pair: 1,
      items: [{ path: "export.tif", action: "waiting" as const, size: 100, other: null, reason: "changed moments ago" }],
      unchanged: 7,
      requests: 0,
      full: false,
      settles_in_ms: 0,
    };
    const conflict = {
      id: 9,
      pair: 1,
      path: "a.txt",
      original: "local:photos/inbox/a.txt",
      copy: "local:photos/inbox/a (conflict 2026-11-23 10.00.00).txt",
      detected_at: "2026-11-23T10:00:00Z",
    };
    const api = memorySync([syncPair(1, "/home/ana/Exports", "local:photos/inbox/", { conflicts: 1 })], { 1: plan }, [conflict]);
    show(api);
    await user.click(await screen.findByRole("button", { name: "Show plan" }));
    const shown = screen.getByLabelText("Plan");
    expect(within(shown).getByText(/7 unchanged · 0 request/)).toBeTruthy();
    expect(within(shown).getByText("export.tif")).toBeTruthy();
    const conflicts = await screen.findByLabelText("Conflicts");
    await user.click(within(conflicts).getByRole("button", { name: "Use mine" }));
    expect(api.calls.resolved).toEqual([[9, "use_mine"]]);
  });

  it("removes a pair after a confirmation that keeps the objects", async () => {
    const user = userEvent.setup();
    const api = memorySync([syncPair(1, "/home/ana/Exports", "local:photos/inbox/")]);
    show(api);
    await user.click(await screen.findByRole("button", { name: "Remove" }));
    expect(screen.getByRole("alertdialog").textContent).toContain("objects already uploaded stay");
    await user.click(screen.getByRole("button", { name: "Remove pair" }));
    expect(api.calls.removed).toEqual([1]);
    expect(await screen.findByText("No folder is synced yet.")).toBeTruthy();
  });

  it("saves the notification and login choices as they are ticked", async () => {
    const user = userEvent.setup();
    const api = memorySync();
    show(api);
    await user.click(await screen.findByLabelText("Notify me when many uploads have finished"));
    await user.click(screen.getByLabelText("Start Strata at login (it keeps syncing from the tray)"));
    await waitFor(() => expect(api.desktop).toEqual({ notifications: { errors: true, bulk_uploads: false }, atLogin: true }));
  });

  it("archives a synced folder's uploaded prefix", async () => {
    const user = userEvent.setup();
    const api = memorySync([syncPair(1, "/home/ana/Exports/wedding-smith", "local:photos/clients/wedding-smith/")]);
    const asked: [string, string][] = [];
    renderWithEvents(<SyncView api={api} place="local:" onArchive={(source, name) => asked.push([source, name])} />);
    await user.click(await within(await screen.findByRole("listitem", { name: "Pair /home/ana/Exports/wedding-smith" })).findByRole("button", { name: "Archive…" }));
    expect(asked).toEqual([["local:photos/clients/wedding-smith/", "wedding-smith"]]);
  });

  it("shows the settings in seconds, minutes and hours and saves them in the engine's units", async () => {
    const user = userEvent.setup();
    const api = memorySync();
    show(api);
    const summary = await screen.findByText("Settings");
    await user.click(summary);
    const form = within(summary.closest("details")!);
    const settle = form.getByLabelText<HTMLInputElement>("A file goes up once unchanged for (seconds)");
    expect(settle.value).toBe("3");
    expect(form.getByLabelText<HTMLInputElement>("Scan the folders every (minutes)").value).toBe("10");
    await user.clear(settle);
    await user.type(settle, "5");
    await user.click(form.getByRole("button", { name: "Save" }));
    expect(await form.findByText("Saved.")).toBeTruthy();
    expect(await api.syncSettings()).toEqual({ settle_ms: 5000, rescan_secs: 600, reconcile_secs: 21600 });
    await user.type(settle, "0");
    expect(form.queryByText("Saved.")).toBeNull();
  });
});
