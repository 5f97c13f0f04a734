import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { memorySync } from "../testing/memorySync";
import { renderWithEvents } from "../testing/renderWithEvents";
import { SyncView } from "./SyncView";

/** Opens the transfer settings; returns the user and what is inside them. */
async function openSettings() {
  const user = userEvent.setup();
  const summary = await screen.findByText("Transfer settings");
  await user.click(summary);
  return { user, form: within(summary.closest("details")!) };
}

describe("TransferSettingsForm", () => {
  it("shows Strata's choices for empty fields and saves what is typed, empty meaning Strata's choice", async () => {
    const api = memorySync();
    renderWithEvents(<SyncView api={api} place="local:" />);
    const { user, form } = await openSettings();
    const atOnce = form.getByLabelText<HTMLInputElement>("Files transferred at once");
    expect(atOnce.placeholder).toBe("16");
    expect(form.getByLabelText<HTMLInputElement>("Part size of large files (MiB)").placeholder).toBe("8");
    await user.type(atOnce, "4");
    await user.type(form.getByLabelText("Part size of large files (MiB)"), "16");
    await user.click(form.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("Saved.")).toBeTruthy();
    expect(api.transfers).toEqual({ at_once: 4, part_size_mib: 16, parts_in_flight: null });
    await user.clear(atOnce);
    await user.click(form.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(api.transfers.at_once).toBeNull());
  });

  it("says why a value is refused and keeps the saved one", async () => {
    const api = memorySync();
    renderWithEvents(<SyncView api={api} place="local:" />);
    const { user, form } = await openSettings();
    await user.type(form.getByLabelText("Files transferred at once"), "100");
    await user.click(form.getByRole("button", { name: "Save" }));
    expect(await screen.findByText(/100 transfers at once is outside 1 to 64/)).toBeTruthy();
    expect(screen.queryByText("Saved.")).toBeNull();
    expect(api.transfers.at_once).toBeNull();
  });
});
