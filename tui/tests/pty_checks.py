#!/usr/bin/env python3
"""chat-tui on a bare pseudo-terminal that, unlike tmux, never answers terminal queries
(as some terminals and slow ssh links do not). Checks what only a real terminal shows:

- Ctrl+L redraws at once, asks the terminal nothing, and the client keeps running
  (it used to send ESC[6n, wait for an answer and exit 1 "cursor position could not be
  read");
- Ctrl+X Ctrl+E hands the draft to $EDITOR (here a script that rewrites it) and the
  edited text comes back as the draft, with the keyboard working afterwards;
- the terminal closing (the pty master goes away: SIGHUP, then EIO on input) ends the
  process within moments.

Usage: pty_checks.py CHAT_TUI_BIN SERVER_URL WORK_DIR
"""
import os
import pty
import select
import signal
import struct
import sys
import termios
import fcntl
import time

TIMEOUT = 20


def read_until(fd, needle, seconds):
    """Reads output until `needle` shows (True) or `seconds` pass (False)."""
    out = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        if needle in out:
            return True, out
    return False, out


def main():
    tui, url, work = sys.argv[1:4]
    editor = os.path.join(work, "editor.sh")
    with open(editor, "w") as f:
        # Appends to the draft it is given, as a person would.
        f.write('#!/bin/sh\nprintf "%sEditedInEditor" "$(cat "$1")" > "$1"\n')
    os.chmod(editor, 0o755)
    pid, fd = pty.fork()
    if pid == 0:
        env = dict(os.environ, CHAT_USER="dave", CHAT_PASSWORD="password-dave",
                   CHAT_TUI_DATA_DIR=os.path.join(work, "tui-dave"), TERM="xterm-256color",
                   EDITOR=editor, VISUAL="")
        os.execve(tui, [tui, "--server", url, "--sign-up"], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    os.kill(pid, signal.SIGWINCH)

    ok, out = read_until(fd, "● connected".encode(), TIMEOUT)
    assert ok, f"never connected: {out[-500:]!r}"
    print("ok (pty): connected")

    os.write(fd, b"\x0c")  # Ctrl+L
    ok, out = read_until(fd, "● connected".encode(), 3)
    assert ok, f"nothing redrawn after Ctrl+L: {out[-300:]!r}"
    assert b"\x1b[6n" not in out, "Ctrl+L asked the terminal for the cursor position"
    # The old client gave up on the unanswered query after 2 s and exited 1.
    time.sleep(2.5)
    assert os.waitpid(pid, os.WNOHANG) == (0, 0), "chat-tui exited after Ctrl+L"
    # One character: drawn as one cell whenever it comes (a word may be drawn in pieces).
    os.write(fd, "Ж".encode())
    ok, out = read_until(fd, "Ж".encode(), 3)
    assert ok, f"typing after Ctrl+L is not drawn: {out[-300:]!r}"
    print("ok (pty): Ctrl+L redraws at once, queries nothing, and the client goes on")

    os.write(fd, b"\x18\x05")  # Ctrl+X Ctrl+E
    ok, out = read_until(fd, b"EditedInEditor", 5)
    assert ok, f"the edited draft did not come back: {out[-300:]!r}"
    os.write(fd, b"\x15")  # Ctrl+U: the keyboard is ours again
    ok, out = read_until(fd, b"type a message", 3)
    assert ok, f"keys after the editor are not read: {out[-300:]!r}"
    print("ok (pty): Ctrl+X Ctrl+E edits the draft in $EDITOR and comes back")

    closed = time.monotonic()
    os.close(fd)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - closed > 1:
            os.kill(pid, signal.SIGKILL)
            raise AssertionError("chat-tui still running 1 s after its terminal closed")
        time.sleep(0.01)
    took = int((time.monotonic() - closed) * 1000)
    assert os.WIFEXITED(status), f"chat-tui did not exit normally: {status}"
    print(f"ok (pty): the terminal closed and chat-tui exited ({os.WEXITSTATUS(status)}) after {took} ms")


if __name__ == "__main__":
    main()
