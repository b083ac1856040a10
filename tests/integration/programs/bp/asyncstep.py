# Stepping in coroutines: over an await (other tasks run meanwhile), into
# an awaited coroutine, out of it back to its awaiter.
import asyncio

log = []


async def other():
    await asyncio.sleep(0)  # BREAK: other_first
    return 5  # BREAK: other_return


async def ticker():
    for i in range(4):
        log.append(i)
        await asyncio.sleep(0)


async def main():
    t = asyncio.create_task(ticker())
    a = 1  # BREAK: main_start
    await asyncio.sleep(0)  # BREAK: await_sleep
    b = await other()  # BREAK: await_other
    c = a + b  # BREAK: after_other
    await t
    return c  # BREAK: main_return


print("result", asyncio.run(main()), log)  # BREAK: end
