#!/usr/bin/env python3
"""Writes a gzip'd newc cpio initramfs for `winhv run`'s Linux boot test:
busybox (static) as /bin/busybox with /bin/sh beside it, and an /init that
prints a marker, the CPU count and the memory size, then ends the VM by
writing 0 to the isa-debug-exit port 0xf4 through /dev/port (exit status 1).

usage: mkinitramfs.py OUT BUSYBOX
"""
import gzip
import sys

INIT = b"""#!/bin/sh
/bin/busybox mkdir -p /proc /sys /dev
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs dev /dev
echo "WINHV-LINUX-INIT"
echo "cpus: $(/bin/busybox grep -c ^processor /proc/cpuinfo)"
echo "memory: $(/bin/busybox grep MemTotal /proc/meminfo)"
printf '\\000' | /bin/busybox dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
/bin/busybox poweroff -f
"""


def entry(ino, name, mode, data=b""):
    name = name.encode() + b"\0"
    header = b"070701" + b"".join(
        b"%08X" % v
        for v in (ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name), 0)
    )
    out = header + name
    out += b"\0" * (-len(out) % 4)
    out += data
    out += b"\0" * (-len(out) % 4)
    return out


def main():
    out, busybox = sys.argv[1], sys.argv[2]
    with open(busybox, "rb") as f:
        bb = f.read()
    parts = [
        entry(1, "bin", 0o040755),
        entry(2, "dev", 0o040755),
        entry(3, "proc", 0o040755),
        entry(4, "sys", 0o040755),
        entry(5, "bin/busybox", 0o100755, bb),
        entry(6, "bin/sh", 0o120777, b"busybox"),
        entry(7, "init", 0o100755, INIT),
        entry(0, "TRAILER!!!", 0),
    ]
    with gzip.open(out, "wb") as f:
        f.write(b"".join(parts))


if __name__ == "__main__":
    main()
