# A worker thread ends with an uncaught exception; a second worker steps.
import threading


def failing():
    raise LookupError("worker failed")  # BREAK: worker_raise


def stepper():
    a = 1  # BREAK: step_start
    b = a + 1  # BREAK: step_next
    return b


t = threading.Thread(target=failing, name="failing")
t.start()
t.join()
s = threading.Thread(target=stepper, name="stepper")
s.start()
s.join()
print("main done")  # BREAK: main_done
