def value():
    v = 41  # BREAK: value
    return v + 1


top = 1  # BREAK: top
