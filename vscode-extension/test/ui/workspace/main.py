def compute(n):
    x = n + 1
    y = x * 2
    return y


result = compute(40)
print("result", result)
