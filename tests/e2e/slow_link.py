"""A TCP proxy that carries uploads at a set pace, as a slow uplink would: long enough for a
test to pause a transfer half-way, whatever the machine's speed."""
import socket
import threading
import time


class SlowLink:
    def __init__(self, upstream_port, bytes_per_second):
        self.upstream_port = upstream_port
        self.bytes_per_second = bytes_per_second
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pipe, args=(client, server, self.bytes_per_second), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, None), daemon=True).start()

    @staticmethod
    def _pipe(source, target, pace):
        chunk = 16 << 10
        try:
            while data := source.recv(chunk):
                target.sendall(data)
                if pace:
                    time.sleep(len(data) / pace)
        except OSError:
            pass
        finally:
            for end in (source, target):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.listener.close()
