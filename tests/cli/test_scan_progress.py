"""menshen scan's progress line under a pseudo-terminal: drawn on stderr when
stderr is a terminal and the decisions go to a pipe, cleared at the end, and
without a bar or ETA when the input is a pipe of unknown size. No timing is
asserted: the input pauses longer than the line's refresh interval (0.2 s) so
that a line is drawn at all."""

import json
import os
import pty
import subprocess
import threading
import time

CLI = os.environ.get("MENSHEN_CLI", "build/tools/menshen/menshen")
CLEAR = b"\r\x1b[K"


def run_on_terminal(tmp_path, args, chunks, pause, stdout_on_terminal=False):
    """Runs `menshen scan ARGS` with stderr (and stdout if asked) on a
    pseudo-terminal, writing `chunks` (whole lines) to its stdin with `pause`
    seconds between them; returns the exit status, stdout (if a pipe) and
    what reached the terminal. Each pause starts once the decisions of the
    chunks before are out: an audit log makes scan print what it holds
    whenever its input pauses, so a pause is seen by the running scan, not
    spent while the engine is still being built."""
    master, slave = pty.openpty()
    args = [*args, "--audit-log", str(tmp_path / "audit.jsonl"),
            "--audit-durability", "written"]
    proc = subprocess.Popen([CLI, "scan", *args], stdin=subprocess.PIPE,
                            stdout=slave if stdout_on_terminal else subprocess.PIPE,
                            stderr=slave)
    os.close(slave)
    screen = bytearray()

    def read_terminal():
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the last writer closed the terminal
                return
            if not data:
                return
            screen.extend(data)

    reader = threading.Thread(target=read_terminal)
    reader.start()
    out = []
    written = 0
    for i, chunk in enumerate(chunks):
        if i > 0:
            while not stdout_on_terminal and len(out) < written:
                line = proc.stdout.readline()
                assert line, bytes(screen)
                out.append(line.decode())
            while stdout_on_terminal and screen.count(b'{"id":') < written:
                assert proc.poll() is None, bytes(screen)
                time.sleep(0.05)
            time.sleep(pause)
        proc.stdin.write(chunk)
        proc.stdin.flush()
        written += chunk.count(b"\n")
    proc.stdin.close()
    if not stdout_on_terminal:
        out.extend(line.decode() for line in proc.stdout)
    status = proc.wait(timeout=300)
    reader.join()
    os.close(master)
    return status, "".join(out), bytes(screen)


def test_progress_on_terminal_from_a_pipe(tmp_path):
    chunks = [("出售冰毒 %d\nhello %d\n" % (i, i)).encode() for i in range(4)]
    status, out, screen = run_on_terminal(tmp_path, ["--summary"], chunks, pause=0.5)
    assert status == 0, screen
    decisions = [json.loads(line) for line in out.splitlines()]
    assert [d["id"] for d in decisions] == list(range(1, 9))
    assert all("\r" not in line for line in out.splitlines())
    # At least one progress line was drawn: counts and rates, no bar or ETA
    # (a pipe's size is unknown).
    assert CLEAR in screen, screen
    drawn = [part for part in screen.split(CLEAR) if b"texts" in part and b"MB/s" in part]
    assert drawn, screen
    assert b"ETA" not in screen and b"%" not in screen, screen
    # The line is cleared before the summary, which stands on its own lines
    # (the terminal turns "\n" into "\r\n").
    summary_at = screen.index(b"menshen: summary: 8 inputs")
    assert screen[:summary_at].endswith(CLEAR), screen
    assert b"\x1b" not in screen[summary_at:], screen
    assert b"REFUSE 4" in screen[summary_at:], screen


def test_no_progress_when_stdout_is_the_terminal_too(tmp_path):
    # The decisions on the screen are the progress; a line drawn between them
    # would break them.
    chunks = ["hello\n".encode(), "出售冰毒\n".encode()]
    status, _, screen = run_on_terminal(tmp_path, [], chunks, pause=0.5,
                                     stdout_on_terminal=True)
    assert status == 0, screen
    assert b"\x1b[K" not in screen, screen
    assert screen.count(b'"action"') == 2, screen
