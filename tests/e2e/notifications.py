"""A notification server (org.freedesktop.Notifications) on the test's own session bus, as a
desktop runs one: it records what the app asks to show, for the test to read."""
import asyncio
import threading
import time

from dbus_next.aio import MessageBus
from dbus_next.service import ServiceInterface, method


class _Server(ServiceInterface):
    def __init__(self):
        super().__init__("org.freedesktop.Notifications")
        self.shown = []

    @method()
    def Notify(self, app_name: "s", replaces_id: "u", app_icon: "s", summary: "s", body: "s",  # noqa: F821
               actions: "as", hints: "a{sv}", expire_timeout: "i") -> "u":  # noqa: F821
        self.shown.append((summary, body))
        return len(self.shown)

    @method()
    def CloseNotification(self, id: "u"):  # noqa: F821
        pass

    @method()
    def GetCapabilities(self) -> "as":  # noqa: F821
        return ["body"]

    @method()
    def GetServerInformation(self) -> "ssss":  # noqa: F821
        return ["test", "strata", "1", "1.2"]


class NotificationServer:
    """Runs the server on an event loop of its own; the test calls it synchronously."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = _Server()
        self.bus = asyncio.run_coroutine_threadsafe(self._connect(), self.loop).result(30)

    async def _connect(self):
        bus = await MessageBus().connect()
        bus.export("/org/freedesktop/Notifications", self.server)
        await bus.request_name("org.freedesktop.Notifications")
        return bus

    def close(self):
        self.bus.disconnect()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def wait_for(self, expected, timeout=90):
        """Waits until a notification satisfies `expected(summary, body)`; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            for shown in list(self.server.shown):
                if expected(*shown):
                    return shown
            assert time.monotonic() < deadline, f"no such notification among {self.server.shown}"
            time.sleep(0.2)
