def gen():
    yield 1  # BREAK: y1
    yield 2  # BREAK: y2
    yield 3  # BREAK: y3
    yield 4  # BREAK: y4


g = gen()
a = next(g)  # BREAK: first_next
b = next(g)  # BREAK: second_next
total = 0
for v in g:  # BREAK: for
    total += v  # BREAK: body
print("gen", a, b, total)  # BREAK: end
