"""Every Py*/_Py* symbol the built module needs must be exported by the
interpreter that runs this script (its executable, or its libpython when the
executable links one), and the module must export PyInit__dapper_runtime
only. A private symbol that compiles but is not exported fails only at
import time, in the user's program: this catches it at build time.

usage: python check_symbols.py <module.so> [<nm>]"""
import os
import shutil
import subprocess
import sys
import sysconfig


def dynamic_symbols(nm, path, which):
    out = subprocess.run([nm, "-D", which, path], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=60, check=True)
    names = set()
    for line in out.stdout.decode().splitlines():
        parts = line.split()
        if parts:
            names.add(parts[-1].split("@")[0])
    return names


def exporters(nm):
    """The interpreter's files that export the C API."""
    exe = os.path.realpath(sys.executable)
    if "Py_IsInitialized" in dynamic_symbols(nm, exe, "--defined-only"):
        return [exe]  # e.g. Debian's statically linked python3.11
    libdir = sysconfig.get_config_var("LIBDIR") or ""
    for name in (sysconfig.get_config_var("INSTSONAME"),
                 sysconfig.get_config_var("LDLIBRARY")):
        if name and os.path.isfile(os.path.join(libdir, name)):
            return [os.path.join(libdir, name)]
    sys.exit("FAIL: %s does not export the C API and no libpython found in %s"
             % (exe, libdir))


def main():
    module = sys.argv[1]
    nm = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else shutil.which("nm")
    if not nm or not os.path.exists(nm):
        print("SKIPPED: nm not found, cannot check the symbols of %s" % module)
        return 77
    needed = {s for s in dynamic_symbols(nm, module, "--undefined-only")
              if s.startswith(("Py", "_Py"))}
    available = set()
    files = exporters(nm)
    for path in files:
        available |= dynamic_symbols(nm, path, "--defined-only")
    missing = sorted(needed - available)
    if missing:
        print("FAIL: %s needs symbols that %s does not export:\n  %s"
              % (module, ", ".join(files), "\n  ".join(missing)))
        return 1
    exported = dynamic_symbols(nm, module, "--defined-only")
    exported -= {"_init", "_fini", "__bss_start", "_edata", "_end"}
    if exported != {"PyInit__dapper_runtime"}:
        print("FAIL: %s exports more than PyInit__dapper_runtime: %s"
              % (module, ", ".join(sorted(exported))))
        return 1
    print("ok: %d Python symbols of %s are exported by %s"
          % (len(needed), os.path.basename(module), ", ".join(files)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
