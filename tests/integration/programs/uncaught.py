# Dies of an uncaught exception: Python prints a traceback, exit status 1.
def fail():
    raise ValueError("boom from the dapper test")


fail()
