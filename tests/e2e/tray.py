"""A StatusNotifierWatcher on the test's own session bus, so the app's tray icon registers with
it as with a desktop's panel; then the icon is read (label, status, icon file) and its menu read
and clicked over D-Bus (dbusmenu), as the panel would."""
import asyncio
import threading
import time

from dbus_next import Message, MessageType, Variant
from dbus_next.aio import MessageBus
from dbus_next.service import PropertyAccess, ServiceInterface, dbus_property, method

ITEM = "org.kde.StatusNotifierItem"


class _Watcher(ServiceInterface):
    def __init__(self):
        super().__init__("org.kde.StatusNotifierWatcher")
        self.items = []

    @method()
    def RegisterStatusNotifierItem(self, service: "s"):  # noqa: F821 (D-Bus signature)
        pass  # recorded with its sender by the message handler

    @method()
    def RegisterStatusNotifierHost(self, service: "s"):  # noqa: F821
        pass

    @dbus_property(access=PropertyAccess.READ)
    def IsStatusNotifierHostRegistered(self) -> "b":  # noqa: F821
        return True

    @dbus_property(access=PropertyAccess.READ)
    def RegisteredStatusNotifierItems(self) -> "as":  # noqa: F821
        return [f"{sender}{path}" for sender, path in self.items]

    @dbus_property(access=PropertyAccess.READ)
    def ProtocolVersion(self) -> "i":  # noqa: F821
        return 0


def _plain(value):
    """A D-Bus value with its Variants unwrapped."""
    if isinstance(value, Variant):
        return _plain(value.value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class TrayWatcher:
    """Runs the watcher on an event loop of its own; the test calls it synchronously."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.watcher = _Watcher()
        self.bus = self._run(self._connect())

    def _run(self, coroutine, timeout=30):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def _connect(self):
        bus = await MessageBus().connect()

        def registered(message):
            if message.message_type == MessageType.METHOD_CALL and message.member == "RegisterStatusNotifierItem":
                path = message.body[0] if message.body[0].startswith("/") else "/StatusNotifierItem"
                self.watcher.items.append((message.sender, path))

        bus.add_message_handler(registered)
        bus.export("/StatusNotifierWatcher", self.watcher)
        await bus.request_name("org.kde.StatusNotifierWatcher")
        return bus

    def close(self):
        self.bus.disconnect()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def item(self, timeout=60):
        """The (bus name, path) of the first item that registered."""
        deadline = time.monotonic() + timeout
        while not self.watcher.items:
            assert time.monotonic() < deadline, "no tray item registered with the watcher"
            time.sleep(0.1)
        return self.watcher.items[0]

    def _call(self, interface, member, signature="", body=(), path=None):
        sender, item_path = self.item()
        reply = self._run(self.bus.call(Message(destination=sender, path=path or item_path, interface=interface,
                                                member=member, signature=signature, body=list(body))))
        assert reply.message_type == MessageType.METHOD_RETURN, reply.body
        return reply.body

    def properties(self):
        """The item's properties: Title, Status, IconName, XAyatanaLabel, Menu, ..."""
        return _plain(self._call("org.freedesktop.DBus.Properties", "GetAll", "s", [ITEM])[0])

    def label(self):
        return self.properties().get("XAyatanaLabel", "")

    def wait_for_label(self, expected, timeout=120):
        """Waits until the label satisfies `expected` (a predicate); returns it."""
        deadline = time.monotonic() + timeout
        while True:
            label = self.label()
            if expected(label):
                return label
            assert time.monotonic() < deadline, f"the tray label stayed {label!r}"
            time.sleep(0.1)

    def menu(self):
        """The menu's items as {label: id}."""
        _, layout = self._call("com.canonical.dbusmenu", "GetLayout", "iias", [0, -1, []],
                               path=self.properties()["Menu"])
        _, _, children = layout
        items = {}
        for child in children:
            item_id, props, _ = _plain(child)
            if "label" in props:
                items[props["label"]] = (item_id, props.get("enabled", True))
        return items

    def click(self, label):
        item_id, enabled = self.menu()[label]
        assert enabled, f"{label!r} is not enabled"
        self._call("com.canonical.dbusmenu", "Event", "isvu", [item_id, "clicked", Variant("s", ""), 0],
                   path=self.properties()["Menu"])
