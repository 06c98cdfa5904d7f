"""Start the project's python3 kernelspec once and run an ipywidgets cell in it.

Run by scripts/setup.sh after the Python environment was (re)built, with JUPYTER_PATH pointing at
the project's .jupyter, so jupyter_client resolves "python3" exactly as the Cohort server will.
Usage: check_kernel.py <expected kernelspec dir>
Exits non-zero, naming what went wrong, if the kernel does not start or widgets do not work.
"""

import os
import signal
import sys

# jupyter_client imports the system's ipykernel (and so debugpy) in this process to look for its
# built-in spec; debugpy then warns about frozen modules on stderr, which is noise here.
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")

from jupyter_client.manager import KernelManager  # noqa: E402 (after the environment is set)

DEADLINE_S = 120
CODE = (
    "import ipykernel, ipywidgets, comm\n"
    "w = ipywidgets.IntSlider()\n"
    "print('versions', ipykernel.__version__, ipywidgets.__version__, comm.__version__)\n"
)


def fail(message):
    print(f"kernel check: {message}", file=sys.stderr)
    sys.exit(1)


def on_deadline(_signum, _frame):
    # Raised rather than exiting so the finally block below still shuts the kernel down.
    raise TimeoutError(f"no answer from the kernel within {DEADLINE_S}s")


def main():
    expected_dir = os.path.realpath(sys.argv[1])
    signal.signal(signal.SIGALRM, on_deadline)
    signal.alarm(DEADLINE_S)

    km = KernelManager(kernel_name="python3")
    resource_dir = os.path.realpath(km.kernel_spec.resource_dir)
    if resource_dir != expected_dir:
        fail(f"'python3' resolved to {resource_dir}, not {expected_dir} (is JUPYTER_PATH set?)")

    stdout = []
    widget_comms = []

    def on_iopub(msg):
        kind = msg["msg_type"]
        if kind == "stream":
            stdout.append(msg["content"]["text"])
        elif kind == "comm_open" and msg["content"].get("target_name") == "jupyter.widget":
            widget_comms.append(msg["content"]["comm_id"])
        elif kind == "error":
            stdout.append("\n".join(msg["content"]["traceback"]))

    km.start_kernel()
    kc = km.client()
    try:
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        reply = kc.execute_interactive(CODE, timeout=60, output_hook=on_iopub)
        text = "".join(stdout)
        if reply["content"]["status"] != "ok":
            fail(f"the widget cell failed:\n{text}")
        versions = next((line.split()[1:] for line in text.splitlines() if line.startswith("versions ")), None)
        if versions is None or len(versions) != 3:
            fail(f"unexpected output from the widget cell: {text!r}")
        if int(versions[1].split(".")[0]) < 8:
            fail(f"the kernel has ipywidgets {versions[1]}; Cohort needs ipywidgets 8")
        if not widget_comms:
            fail("IntSlider() opened no jupyter.widget comm")
        print(f"ipykernel {versions[0]}, ipywidgets {versions[1]}, comm {versions[2]}; "
              f"IntSlider opened comm {widget_comms[0][:8]}")
    finally:
        signal.alarm(0)
        kc.stop_channels()
        km.shutdown_kernel(now=False)
        if km.is_alive():
            km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
