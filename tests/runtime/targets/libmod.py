def call_with(fn, v):
    return fn(v)  # BREAK: lib_call
