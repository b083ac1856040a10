"""dapper: the program's side of the dapper-adapter debugger.

Importable in a program the adapter runs (the runtime puts this package on
the end of sys.path, so a program's own ``dapper`` wins):

    import dapper
    dapper.get_integration_statistics()  # the runtime's statistics, a dict

docs/runtime.md ("Statistics") defines every field.
"""

from dapper.statistics import get_integration_statistics

__all__ = ["get_integration_statistics"]
