import { act, createEvent, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { createEventHub, EventsContext } from "../events";
import type { Place } from "../navigation";
import { memoryObjects } from "../testing/memoryObjects";
import { ObjectBrowser } from "./ObjectBrowser";
import { MAX_SCROLL_HEIGHT, scrollScale } from "./VirtualList";

const rows = () => within(screen.getByRole("listbox", { name: "Objects" })).queryAllByRole("option");
const names = () => rows().map((r) => r.querySelector(".cell-name")?.textContent);

function browse(api: ReturnType<typeof memoryObjects>, prefix = "") {
  const places: Place[] = [];
  const hub = createEventHub(() => () => {});
  const view = render(
    <EventsContext.Provider value={hub}>
      <ObjectBrowser api={api} place={{ profile: "local", bucket: "shoot", prefix }} onNavigate={(p) => places.push(p)} />
    </EventsContext.Provider>,
  );
  return { places, view };
}

describe("ObjectBrowser", () => {
  it("shows folders first, opens them, and says where it is", async () => {
    const user = userEvent.setup();
    const api = memoryObjects({ "b.jpg": 10, "a/x.cr3": 5, "c/y.cr3": 7, "a.txt": 2 });
    const { places } = browse(api);
    await waitFor(() => expect(names()).toEqual(["a/", "c/", "a.txt", "b.jpg"]));
    expect(screen.getByTestId("object-path").textContent).toBe("local:shoot");
    screen.getByRole("listbox", { name: "Objects" }).focus();
    await user.keyboard("{Enter}");
    expect(places).toEqual([{ profile: "local", bucket: "shoot", prefix: "a/" }]);
  });

  it("sorts by size, filters, and shows an object's details", async () => {
    const user = userEvent.setup();
    browse(memoryObjects({ "big.raw": 9_000_000, "small.jpg": 100, "mid.png": 5_000 }));
    await waitFor(() => expect(rows()).toHaveLength(3));
    await user.click(screen.getByRole("button", { name: "Size" }));
    expect(names()).toEqual(["small.jpg", "mid.png", "big.raw"]);
    await user.click(screen.getByRole("button", { name: /Size/ }));
    expect(names()).toEqual(["big.raw", "mid.png", "small.jpg"]);
    await user.type(screen.getByRole("searchbox", { name: "Filter this folder" }), "PNG");
    await waitFor(() => expect(names()).toEqual(["mid.png"]));
    const details = await screen.findByTestId("object-details");
    expect(details.textContent).toContain("5.0 KB");
    expect(details.textContent).toContain("X-T5");
  });

  it("deletes a folder after saying how many objects and bytes go", async () => {
    const user = userEvent.setup();
    const api = memoryObjects({ "old/1.jpg": 1_500_000, "old/2.jpg": 1_500_000, "keep.jpg": 1 });
    browse(api);
    await waitFor(() => expect(rows()).toHaveLength(2));
    await user.click(rows()[0]);
    await user.click(screen.getByRole("button", { name: "Delete…" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog.textContent).toContain("2 objects, 3.0 MB");
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    expect(api.calls.deleted).toEqual([["old/"]]);
  });

  it("makes a link and shows it", async () => {
    const user = userEvent.setup();
    const api = memoryObjects({ "share.jpg": 3 });
    browse(api);
    await waitFor(() => expect(rows()).toHaveLength(1));
    await user.click(rows()[0]);
    await user.click(screen.getByRole("button", { name: "Copy link" }));
    expect(((await screen.findByTestId("link-url")) as HTMLTextAreaElement).value).toContain("shoot/share.jpg");
    expect(api.calls.presigned).toEqual(["share.jpg"]);
  });

  it("downloads to a chosen folder, and a cancelled picker downloads nothing", async () => {
    const user = userEvent.setup();
    const api = memoryObjects({ "wedding.cr3": 3 });
    browse(api);
    await waitFor(() => expect(rows()).toHaveLength(1));
    await user.click(rows()[0]);
    await user.click(screen.getByRole("button", { name: "Download to…" }));
    expect(api.calls.downloaded).toEqual([]);
    api.picker.next = "/media/archive";
    await user.click(screen.getByRole("button", { name: "Download to…" }));
    await user.click(screen.getByRole("button", { name: "Download" }));
    expect(api.calls.downloaded).toEqual([
      [["wedding.cr3"], "/media/archive"],
      [["wedding.cr3"], "/media/archive"],
    ]);
  });

  it("uploads picked and dropped files into the folder on show, or the folder dropped on", async () => {
    const user = userEvent.setup();
    const api = memoryObjects({ "raw/a.cr3": 1, "raw/day2/b.cr3": 1 });
    browse(api, "raw/");
    await waitFor(() => expect(names()).toEqual(["day2/", "a.cr3"]));
    api.picker.files = ["/home/me/b.cr3", "/home/me/c.cr3"];
    await user.click(screen.getByRole("button", { name: "Upload…" }));
    expect(await screen.findByText("Uploading 2 files to local:shoot/raw/…")).toBeTruthy();
    // Metadata set for uploads goes with the next ones, dropped or picked.
    await user.click(screen.getByRole("button", { name: "Upload metadata" }));
    await user.type(screen.getByLabelText(/Metadata for new uploads/), "photographer: Ana Ruiz");
    expect(screen.getByRole("button", { name: "Upload metadata (1)" })).toBeTruthy();

    // Dragged over no folder: the drop goes into the folder on show, and the window says so.
    const under = { element: null as Element | null };
    document.elementFromPoint = () => under.element;
    act(() => api.drag({ kind: "over", x: 400, y: 300 }));
    expect(screen.getByRole("status").textContent).toBe("Drop to upload into local:shoot/raw/");
    act(() => api.drag({ kind: "drop", paths: ["/home/me/export"], x: 400, y: 300 }));
    expect(screen.queryByText(/^Drop to upload/)).toBeNull();

    // Over a folder's row: that row is marked, and the drop goes into that folder.
    const folderRow = rows()[0];
    under.element = folderRow.querySelector(".cell-name");
    act(() => api.drag({ kind: "over", x: 40, y: 60 }));
    expect(folderRow.classList.contains("drop-target")).toBe(true);
    expect(screen.getByRole("status").textContent).toBe("Drop to upload into local:shoot/raw/day2/");
    act(() => api.drag({ kind: "drop", paths: ["/home/me/d.cr3"], x: 40, y: 60 }));
    expect(folderRow.classList.contains("drop-target")).toBe(false);
    expect(await screen.findByText("Uploading 1 file to local:shoot/raw/day2/…")).toBeTruthy();

    // A drag that leaves the window drops nothing.
    act(() => api.drag({ kind: "over", x: 40, y: 60 }));
    act(() => api.drag({ kind: "leave" }));
    expect(folderRow.classList.contains("drop-target")).toBe(false);
    await waitFor(() =>
      expect(api.calls.uploaded).toEqual([
        [["/home/me/b.cr3", "/home/me/c.cr3"], "shoot/raw/", []],
        [["/home/me/export"], "shoot/raw/", [["photographer", "Ana Ruiz"]]],
        [["/home/me/d.cr3"], "shoot/raw/day2/", [["photographer", "Ana Ruiz"]]],
      ]),
    );
  });

  it("hands an object or folder dragged out of the list to the shell's drag", async () => {
    const api = memoryObjects({ "raw/a.cr3": 1, "raw/day2/b.cr3": 1 });
    browse(api, "raw/");
    await waitFor(() => expect(names()).toEqual(["day2/", "a.cr3"]));
    expect(rows()[1].getAttribute("draggable")).toBe("true");
    const started = createEvent.dragStart(rows()[1]);
    fireEvent(rows()[1], started);
    // The page's own drag is cancelled: the shell's carries the object.
    expect(started.defaultPrevented).toBe(true);
    fireEvent.dragStart(rows()[0]);
    await waitFor(() => expect(api.calls.draggedOut).toEqual(["raw/a.cr3", "raw/day2/"]));
  });

  it("edits an object's type, metadata and tags", async () => {
    const user = userEvent.setup();
    const api = memoryObjects({ "portrait.jpg": 10 });
    browse(api);
    await waitFor(() => expect(rows()).toHaveLength(1));
    await user.click(rows()[0]);
    await screen.findByTestId("object-details");
    await user.click(screen.getByRole("button", { name: "Edit…" }));
    const dialog = await screen.findByRole("dialog", { name: "Edit object" });
    const type = within(dialog).getByLabelText("Content type");
    await user.clear(type);
    await user.type(type, "image/png");
    await user.type(within(dialog).getByLabelText(/^Tags/), "client=Smith");
    await user.click(within(dialog).getByRole("button", { name: "Save" }));
    expect(await screen.findByText("Saved the details of portrait.jpg.")).toBeTruthy();
    expect(api.tags).toEqual([["client", "Smith"]]);
    expect(screen.getByTestId("object-details").textContent).toContain("image/png");
  });

  it("moves an object to a folder typed as a remote path", async () => {
    const user = userEvent.setup();
    const api = memoryObjects({ "a.jpg": 1 });
    browse(api);
    await waitFor(() => expect(rows()).toHaveLength(1));
    await user.click(rows()[0]);
    await user.click(screen.getByRole("button", { name: "Move to…" }));
    const field = within(screen.getByRole("dialog")).getByRole("textbox");
    expect((field as HTMLInputElement).value).toBe("local:shoot");
    await user.clear(field);
    await user.type(field, "archive:cold/2026");
    await user.click(screen.getByRole("button", { name: "Move" }));
    expect(api.calls.copied).toEqual([["local:shoot/a.jpg", "archive:cold/2026/", true]]);
  });

  it("shows a folder as last listed at once, then the fresh listing", async () => {
    const api = memoryObjects({ "new.jpg": 1 });
    let answer: () => void = () => {};
    const slow = api.listObjects;
    api.listObjects = (...args) => new Promise((resolve) => (answer = () => void slow(...args).then(resolve)));
    api.listRecent = async () => ({ entries: [{ name: "old.jpg", key: "old.jpg", folder: false, size: 1, last_modified: null, storage_class: null, etag: null }], next: null });
    browse(api);
    await waitFor(() => expect(names()).toEqual(["old.jpg"]));
    expect(screen.getByTestId("object-summary").textContent).toContain("as last listed");
    answer();
    await waitFor(() => expect(names()).toEqual(["new.jpg"]));
    expect(screen.getByTestId("object-summary").textContent).not.toContain("as last listed");
  });

  it("loads the next page as the list nears the end of what it has", async () => {
    const keys = Object.fromEntries(Array.from({ length: 2_500 }, (_, i) => [`k${String(i).padStart(5, "0")}`, 1]));
    browse(memoryObjects(keys, 1000));
    // The first page is 1,000 rows; the view is near its start, so no more yet...
    expect(await screen.findByText("1,000+ items")).toBeTruthy();
    const list = screen.getByRole("listbox", { name: "Objects" });
    // ...until it is scrolled to the end.
    list.scrollTop = 1000 * 32;
    list.dispatchEvent(new Event("scroll"));
    expect(await screen.findByText("2,000+ items")).toBeTruthy();
  });

  it("scales the scroll area past WebKit's height limit and still reaches the last row", () => {
    const viewport = 480;
    const { height, scale } = scrollScale(1_000_000, viewport);
    expect(height).toBe(MAX_SCROLL_HEIGHT);
    const bottom = (height - viewport) * scale;
    // The view's bottom at the scroll area's end is the last row's bottom (as the list computes it).
    expect(Math.ceil((bottom + viewport) / 32)).toBe(1_000_000);
    expect(scrollScale(100, viewport)).toEqual({ height: 3_200, scale: 1 });
  });

  it("lists the bucket's unfinished uploads and aborts one", async () => {
    const user = userEvent.setup();
    const api = memoryObjects({ "a.cr3": 1 });
    api.open.push(
      { key: "raw/film.mov", upload_id: "u1", initiated: "2026-11-20T09:30:00Z", parts: 3, bytes: 25_165_824, job: 7 },
      { key: "old/export.zip", upload_id: "u2", initiated: "2026-10-01T12:00:00Z", parts: 12, bytes: 100_663_296, job: null },
    );
    browse(api);
    await user.click(screen.getByRole("button", { name: "Unfinished uploads" }));
    const panel = await screen.findByRole("region", { name: "Unfinished uploads" });
    expect(await within(panel).findByText("raw/film.mov")).toBeTruthy();
    const foreign = within(panel).getByText("old/export.zip").closest("li") as HTMLElement;
    expect(foreign.textContent).toContain("12 parts, 101 MB");
    expect(foreign.textContent).toContain("not Strata's");
    expect(within(panel).getByText("transfer 7 resumes it")).toBeTruthy();
    await user.click(within(foreign).getByRole("button", { name: "Abort" }));
    await waitFor(() => expect(within(panel).queryByText("old/export.zip")).toBeNull());
    expect(api.open.map((u) => u.upload_id)).toEqual(["u1"]);
  });
});
