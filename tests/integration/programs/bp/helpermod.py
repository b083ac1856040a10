def compute(x):
    y = x * 3  # BREAK: compute_body
    return y
