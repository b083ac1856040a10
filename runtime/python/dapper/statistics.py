"""The runtime's statistics from inside the debugged program."""

import sys


def get_integration_statistics():
    """The runtime's statistics: the dictionary the adapter sends as the
    ``dapper/statistics`` event (flat fields, ``integration_stats``,
    ``performance_data``, ``efficiency``, ``cache``, ``backend``; see
    docs/runtime.md, "Statistics"). Counted since the runtime started.

    Returns None when the program does not run under dapper-adapter (or
    before the adapter configured the runtime)."""
    runtime = sys.modules.get("_dapper_runtime")
    if runtime is None or not hasattr(runtime, "statistics"):
        return None
    return runtime.statistics()
