"""Run a command on a new pseudo-terminal and answer its password prompts.

usage: pty_answer.py PASSWORD COMMAND [ARGS...]

su and sudo read passwords from their terminal and flush typed-ahead
input first (sshpass's early answer is thrown away), so the answer goes
only once a prompt ("...assword...:") is on the screen. Exits with the
command's status; prints what it printed.
"""
import os
import pty
import select
import sys
import time


def main():
    password = sys.argv[1].encode()
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(sys.argv[2], sys.argv[2:])
    out = b""
    answered = 0
    while True:
        ready, _, _ = select.select([fd], [], [], 20)
        if not ready:
            break
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
        last = out.splitlines()[-1] if out.splitlines() else b""
        if out.rstrip().endswith(b":") and b"assword" in last and answered < 3:
            time.sleep(0.2)
            os.write(fd, password + b"\n")
            answered += 1
            out += b"\n"
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace"))
    sys.exit(os.waitstatus_to_exitcode(status))


main()
