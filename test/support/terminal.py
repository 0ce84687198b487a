"""Runs a command on a pseudo-terminal, as a person at a terminal would, and answers its prompt once.

usage: terminal.py <answer> <prompt> -- <command> [args...]

Prints all the command wrote (stdout and stderr, as a terminal shows them) and exits with its exit code.
"""

import os
import pty
import select
import sys

answer, prompt = sys.argv[1], sys.argv[2].encode()
command = sys.argv[sys.argv.index("--") + 1 :]

pid, fd = pty.fork()
if pid == 0:
    os.execvp(command[0], command)

output = b""
answered = False
while True:
    ready, _, _ = select.select([fd], [], [], 60)
    if not ready:
        break
    try:
        chunk = os.read(fd, 4096)
    except OSError:  # the command exited and closed the terminal
        break
    if not chunk:
        break
    output += chunk
    if not answered and prompt in output:
        os.write(fd, (answer + "\n").encode())
        answered = True

sys.stdout.write(output.decode(errors="replace").replace("\r\n", "\n"))
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
