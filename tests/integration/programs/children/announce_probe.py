"""Talks to the adapter's children socket as a stranger would: a wrong
secret, a right secret with garbage, an announcement without a socket, and
a well-formed announcement. The address is in the process's initial
environment (the boot took it out of os.environ)."""
import os
import socket

with open("/proc/self/environ", "rb") as f:
    initial = dict(item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item)
path = initial[b"DAPPER_CHILD_SOCKET"].decode()
secret = initial[b"DAPPER_CHILD_SECRET"].decode()
print("hidden from os.environ:", "DAPPER_CHILD_SOCKET" not in os.environ, flush=True)


def talk(data):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    s.sendall(data)
    try:
        return s.recv(100)
    finally:
        s.close()


print("wrong secret:", talk(b"0" * 64 + b"\n" + b'{"pid": 1}\n'), flush=True)
print("garbage:", talk(secret.encode() + b"\nnot json\n"), flush=True)
print("no socket:", talk(secret.encode() + b'\n{"pid": 12345}\n'), flush=True)
print("announced:", talk(secret.encode() + b'\n{"pid": 12345, "socket": "/nonexistent/s",'
                         b' "secret": "' + b"a" * 64 + b'", "name": "probe"}\n'), flush=True)
