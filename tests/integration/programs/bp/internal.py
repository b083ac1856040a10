# The debugger's own Python work (stack traces, logpoints, conditions)
# calls json.dumps and os.path functions; only the program's own call
# may stop there.
import json

total = 0
for i in range(3):
    total += i  # BREAK: loop
data = json.dumps({"total": total})  # BREAK: user_call
print(data)
