# Exceptions: caught in user code, raised into library code and handled,
# and (with the argument "fail") one that ends the program.
import json
import sys


class AppError(Exception):
    pass


def caught():
    try:
        raise KeyError("inner")  # BREAK: raise_key
    except KeyError:
        pass
    try:
        raise AppError("app")  # BREAK: raise_app
    except AppError:
        pass


def hook(d):
    raise RuntimeError("from user hook")  # BREAK: hook_raise


def user_unhandled():
    try:
        json.loads('{"a": 1}', object_hook=hook)  # BREAK: lib_call
    except RuntimeError:
        print("handled")


def fail():
    raise ValueError("bad value")  # BREAK: raise_uncaught


caught()
user_unhandled()
if sys.argv[1:] == ["fail"]:
    fail()  # BREAK: fail_call
print("no failure")
