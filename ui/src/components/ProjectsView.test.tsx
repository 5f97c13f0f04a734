import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderWithEvents } from "../testing/renderWithEvents";
import { memoryArchive, project } from "../testing/memoryArchive";
import { ArchiveDialog, ProjectsView } from "./ProjectsView";

describe("ProjectsView", () => {
  it("lists projects with where they live, verifies one and names what is missing", async () => {
    const user = userEvent.setup();
    const api = memoryArchive([project(1, "local:photos/clients/2026/wedding-smith/")]);
    renderWithEvents(<ProjectsView api={api} />);
    const card = (await screen.findByText("wedding-smith")).closest("li")!;
    expect(within(card).getByText("Archived")).toBeTruthy();
    expect(within(card).getByText("local:cold/photos/clients/2026/wedding-smith/")).toBeTruthy();
    expect(within(card).getByText("302 objects, 1.2 MB")).toBeTruthy();
    await user.click(within(card).getByRole("button", { name: "Verify" }));
    expect(await within(card).findByText("1 missing, 0 changed: raw/IMG_0003.CR3")).toBeTruthy();
    expect(api.calls.verified).toEqual([1]);
  });

  it("shows the restore's size and waits, offers no tier the class lacks, and follows the job", async () => {
    const user = userEvent.setup();
    const api = memoryArchive([project(1, "local:photos/clients/2026/wedding-smith/", { class: "DEEP_ARCHIVE" })]);
    const emit = renderWithEvents(<ProjectsView api={api} />);
    await user.click(await screen.findByRole("button", { name: "Restore…" }));
    const dialog = await screen.findByRole("dialog", { name: "Restore wedding-smith" });
    expect(await within(dialog).findByText(/302 objects, 1.2 MB. 302 in DEEP_ARCHIVE need a restore first/)).toBeTruthy();
    expect((within(dialog).getByLabelText(/Expedited/) as HTMLInputElement).disabled).toBe(true);
    await user.click(within(dialog).getByLabelText(/Bulk: within 48 hours/));
    await user.click(within(dialog).getByRole("button", { name: "Restore" }));
    expect(api.calls.restored).toEqual([[1, { tier: "bulk", days: 3, copy_back: true }]]);
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(await screen.findByText("Restoring…")).toBeTruthy();
    emit({ kind: "job_progress", job: 41, profile: "local", action: "restore", done: 12, items: 302, bytes: 0, total: null });
    expect(await screen.findByText("Restoring… 12 of 302 readable")).toBeTruthy();
  });

  it("says before a copy back which newer objects it keeps, and not when it only makes them readable", async () => {
    const user = userEvent.setup();
    const api = memoryArchive([project(1, "local:photos/clients/2026/wedding-smith/")], [], ["notes/brief.txt"]);
    renderWithEvents(<ProjectsView api={api} />);
    await user.click(await screen.findByRole("button", { name: "Restore…" }));
    const dialog = await screen.findByRole("dialog", { name: "Restore wedding-smith" });
    const note = await within(dialog).findByRole("note");
    expect(note.textContent).toMatch(/1 object there changed since the archive \(notes\/brief.txt\): kept/);
    await user.click(within(dialog).getByLabelText(/Copy back to hot storage/));
    expect(within(dialog).queryByRole("note")).toBeNull();
  });
});

describe("ArchiveDialog", () => {
  it("offers the last target and the provider's classes, and starts the archive", async () => {
    const user = userEvent.setup();
    const api = memoryArchive();
    const started: string[] = [];
    render(
      <ArchiveDialog
        api={api}
        source="local:photos/clients/2026/wedding-smith/"
        name="wedding-smith/"
        onStarted={(p) => started.push(p.name)}
        onCancel={() => {}}
      />,
    );
    const to = (await screen.findByDisplayValue("local:cold")) as HTMLInputElement;
    expect(to).toBeTruthy();
    await user.selectOptions(screen.getByLabelText("Storage class"), "GLACIER");
    await user.click(screen.getByRole("button", { name: "Archive" }));
    expect(api.calls.started).toEqual([["local:photos/clients/2026/wedding-smith/", { to: "local:cold", class: "GLACIER" }]]);
    expect(started).toEqual(["wedding-smith"]);
  });
});
