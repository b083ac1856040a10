/* Version differences between the CPython releases the runtime supports.
 *
 * This header is the ONLY place in runtime/ that tests PY_VERSION_HEX: every
 * other file uses the names defined here. The module is built once per
 * minor version (3.11, 3.12, 3.13); 3.11.2 and 3.11.7 share one build.
 * Private CPython API (internal frame layout, eval-frame hook, code extra)
 * will be wrapped here too when the breakpoint backends arrive. */
#ifndef RT_COMPAT_H
#define RT_COMPAT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#if PY_VERSION_HEX < 0x030B0000
#error "the dapper runtime needs CPython 3.11 or newer"
#endif

/* The minor version this file was compiled for (11, 12, 13, ...). */
#define RT_PY_MAJOR PY_MAJOR_VERSION
#define RT_PY_MINOR PY_MINOR_VERSION

/* Py_Version (3.11+) is the running interpreter's version, which may differ
 * from the headers' micro version but must match major.minor. */
static inline int rt_compat_running_minor_matches(void) {
  return ((Py_Version >> 24) & 0xff) == PY_MAJOR_VERSION &&
         ((Py_Version >> 16) & 0xff) == PY_MINOR_VERSION;
}

/* True while the interpreter is finalizing. Public from 3.13 on. */
#if PY_VERSION_HEX >= 0x030D0000
#define rt_compat_is_finalizing() Py_IsFinalizing()
#else
#define rt_compat_is_finalizing() _Py_IsFinalizing()
#endif

/* Module slots that only newer versions know. The channel is one per
 * process, so sub-interpreters are refused (3.12+ by slot; the exec function
 * also checks for 3.11). 3.13's free-threaded build is not supported: the
 * runtime relies on the GIL. */
#if PY_VERSION_HEX >= 0x030C0000
#define RT_COMPAT_SLOT_SUBINTERPRETERS \
  {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},
#else
#define RT_COMPAT_SLOT_SUBINTERPRETERS
#endif

#if PY_VERSION_HEX >= 0x030D0000
#define RT_COMPAT_SLOT_GIL {Py_mod_gil, Py_MOD_GIL_USED},
#else
#define RT_COMPAT_SLOT_GIL
#endif

#endif
