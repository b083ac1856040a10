"""A scripted DAP session that shows what a client sees: launch a program
through dapper-adapter over stdio, stop at a breakpoint, look at the stack,
continue, and print the program's output and exit code.

    python3 tests/integration/demo.py --adapter build/dev/adapter/dapper-adapter \\
        docs/examples/demo.py [--python python3.12] [args...]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dap_client import DapClient  # noqa: E402


def marker_line(path, name):
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.rstrip().endswith("# BREAK: " + name):
                return number
    return None


def show(prefix, text):
    for line in text.splitlines():
        print(f"  {prefix} {line}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--adapter", required=True)
    ap.add_argument("--python", default="python3")
    ap.add_argument("program")
    ap.add_argument("args", nargs="*", default=["5"])
    opts = ap.parse_args()
    program = os.path.abspath(opts.program)

    print(f"demo: {opts.adapter} (stdio) debugging {program} {' '.join(opts.args)}")
    client = DapClient.spawn_stdio(opts.adapter)
    try:
        init = client.request("initialize", {"adapterID": "dapper", "clientID": "demo",
                                             "linesStartAt1": True, "columnsStartAt1": True})
        caps = sorted(k for k, v in init["body"].items() if v is True)
        print("initialize: capabilities " + ", ".join(caps))
        launch_seq = client.send_request("launch", {
            "program": program, "args": opts.args, "python": opts.python,
            "cwd": os.path.dirname(program)})
        client.wait_event("initialized")
        line = marker_line(program, "demo")
        if line:
            bps = client.request("setBreakpoints", {
                "source": {"path": program},
                "breakpoints": [{"line": line, "hitCondition": "3"}]})
            print(f"setBreakpoints: line {line} (third hit) ->",
                  bps["body"]["breakpoints"])
        client.request("configurationDone")
        launch = client.wait_response(launch_seq)
        if not launch["success"]:
            print("launch failed:", launch.get("message"))
            return 1
        process = client.wait_event("process")
        print(f"process: pid {process['body']['systemProcessId']}")
        if line:
            stopped = client.wait_event("stopped", timeout=15)
            body = stopped["body"]
            print(f"stopped: reason {body['reason']}, thread {body['threadId']}")
            stack = client.request("stackTrace", {"threadId": body["threadId"]})
            for frame in stack["body"]["stackFrames"]:
                print(f"  frame {frame['name']} at "
                      f"{os.path.basename(frame['source']['path'])}:{frame['line']}")
            client.request("continue", {"threadId": body["threadId"]})
            print("continue")
        exited = client.wait_event("exited", timeout=30)
        client.wait_event("terminated")
        show("stdout|", client.output("stdout"))
        show("stderr|", client.output("stderr"))
        print(f"exited: code {exited['body']['exitCode']}")
        client.request("disconnect")
        problems = client.protocol_problems()
        if problems:
            print("protocol problems:", *problems, sep="\n  ")
            return 1
        return 0
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
