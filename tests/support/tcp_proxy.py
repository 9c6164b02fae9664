"""A TCP proxy on 127.0.0.1 that forwards to one address and can be cut and restored: a database outage
for the processes that connect through it, while the server itself (shared) keeps running.

cut() drops every open connection and answers new ones by closing them at once, as a server that went
away would; restore() lets connections through again. Run as a script for trials by hand:

    python tests/support/tcp_proxy.py 127.0.0.1:5432 [listen port]   # prints its port; SIGUSR1 cuts, SIGUSR2 restores
"""
import socket
import threading


class TcpProxy:
    def __init__(self, target_host, target_port, listen_port=0):
        self.target = (target_host, int(target_port))
        self.listener = socket.create_server(("127.0.0.1", listen_port))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.is_cut = threading.Event()
        self.closed = threading.Event()
        self.lock = threading.Lock()
        self.open = set()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def cut(self):
        self.is_cut.set()
        with self.lock:
            doomed, self.open = self.open, set()
        for s in doomed:
            _drop(s)

    def restore(self):
        self.is_cut.clear()

    def close(self):
        self.closed.set()
        self.cut()
        self.thread.join(5)
        self.listener.close()

    def _accept(self):
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.is_cut.is_set():
                _drop(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _drop(client)
                continue
            upstream.settimeout(None)
            with self.lock:
                self.open |= {client, upstream}
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with self.lock:
                self.open -= {src, dst}
            _drop(src)
            _drop(dst)


def _drop(s):
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()


if __name__ == "__main__":
    import signal
    import sys

    host, port = sys.argv[1].rsplit(":", 1)
    proxy = TcpProxy(host, port, int(sys.argv[2]) if len(sys.argv) > 2 else 0)
    signal.signal(signal.SIGUSR1, lambda *a: (proxy.cut(), print("cut", flush=True)))
    signal.signal(signal.SIGUSR2, lambda *a: (proxy.restore(), print("restored", flush=True)))
    with proxy:
        print(proxy.port, flush=True)
        signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
        while True:
            signal.pause()
