"""`python -m policy_kernel install [--user|--sys-prefix|--prefix P]` installs the kernel spec;
`python -m policy_kernel -f CONNECTION_FILE` (what the spec runs) starts the kernel."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

KERNEL_NAME = "policy"


def kernel_spec(policy_bin: str | None = None) -> dict:
    spec = {
        "argv": [sys.executable, "-m", "policy_kernel", "-f", "{connection_file}"],
        "display_name": "Policy",
        "language": "policy",
        # Jupyter interrupts by SIGINT to the kernel's process group; `policy` ignores it and
        # the kernel turns it into an `interrupt` request.
        "interrupt_mode": "signal",
        "metadata": {"debugger": False},
    }
    if policy_bin:
        spec["env"] = {"POLICY_BIN": os.path.abspath(os.path.expanduser(policy_bin))}
    return spec


def install(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m policy_kernel install",
        description="Install the Policy kernel spec (named 'policy') for Jupyter.",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="for this user (~/.local/share/jupyter)")
    where.add_argument("--sys-prefix", action="store_true", help=f"into this Python's prefix ({sys.prefix})")
    where.add_argument("--prefix", metavar="P", help="into prefix P (P/share/jupyter/kernels)")
    parser.add_argument(
        "--policy-bin",
        metavar="PATH",
        help="the `policy` executable the kernel runs (else $POLICY_BIN when Jupyter starts, else PATH)",
    )
    options = parser.parse_args(argv)

    from jupyter_client.kernelspec import KernelSpecManager

    prefix = sys.prefix if options.sys_prefix else options.prefix
    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o755)  # the spec folder's mode is copied; let others read it
        with open(os.path.join(folder, "kernel.json"), "w", encoding="utf-8") as out:
            json.dump(kernel_spec(options.policy_bin), out, indent=2)
            out.write("\n")
        destination = KernelSpecManager().install_kernel_spec(
            folder, KERNEL_NAME, user=options.user, prefix=prefix
        )
    print(f"policy: installed the kernel spec '{KERNEL_NAME}' in {destination}")
    return 0


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "install":
        return install(sys.argv[2:])
    from ipykernel.kernelapp import IPKernelApp

    from .kernel import PolicyKernel

    IPKernelApp.launch_instance(kernel_class=PolicyKernel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
