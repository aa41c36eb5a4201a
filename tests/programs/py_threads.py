# py_threads.py: the programs suite's python3 case (run.sh py_threads). Work
# spread over threads with threading, concurrent.futures.ThreadPoolExecutor
# and queue; every line it prints depends only on the work, not on how the
# threads were scheduled, so the guest's output must equal a native run's.
# It also checks that the work really ran on several threads.
import concurrent.futures
import hashlib
import queue
import threading

NTHREADS = 8


def digest(i):
    """Hash i's bytes 200 times over: enough work for a thread to be preempted."""
    h = hashlib.sha256(str(i).encode())
    for _ in range(200):
        h = hashlib.sha256(h.digest())
    return h.hexdigest()


# threading: each thread sums its share under a Lock; a Barrier holds them all
# until every one has started, so they are alive at the same time.
total = 0
total_lock = threading.Lock()
barrier = threading.Barrier(NTHREADS)
idents = set()


def share(k):
    global total
    barrier.wait()
    s = sum(int(digest(i)[:8], 16) for i in range(k, 400, NTHREADS))
    with total_lock:
        total += s
        idents.add(threading.get_native_id())


threads = [threading.Thread(target=share, args=(k,)) for k in range(NTHREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("threading: total", total, "threads", len(idents))

# Condition and Event: a counter that threads take turns to advance in order.
turn = 0
cond = threading.Condition()
order = []
done = threading.Event()


def taker(k, rounds):
    global turn
    for _ in range(rounds):
        with cond:
            cond.wait_for(lambda: turn % 4 == k)
            order.append(k)
            turn += 1
            cond.notify_all()
    if k == 3:
        done.set()


takers = [threading.Thread(target=taker, args=(k, 25)) for k in range(4)]
for t in takers:
    t.start()
print("event:", done.wait(60))
for t in takers:
    t.join()
print("condition:", len(order), order == [0, 1, 2, 3] * 25)

# concurrent.futures: map keeps the order of its inputs whatever the workers do.
with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
    outs = list(ex.map(digest, range(200)))
    futs = {ex.submit(digest, i * 1000): i for i in range(20)}
    by_input = sorted((futs[f], f.result()) for f in concurrent.futures.as_completed(futs))
print("executor:", hashlib.sha256("".join(outs).encode()).hexdigest())
print("as_completed:", hashlib.sha256(repr(by_input).encode()).hexdigest())

# queue: 3 consumers drain jobs from a producer; a None per consumer ends them.
jobs, results = queue.Queue(maxsize=16), queue.Queue()


def consumer():
    while True:
        j = jobs.get()
        if j is None:
            jobs.task_done()
            return
        results.put((j, digest(j)))
        jobs.task_done()


consumers = [threading.Thread(target=consumer) for _ in range(3)]
for t in consumers:
    t.start()
for j in range(300):
    jobs.put(j)
for _ in consumers:
    jobs.put(None)
jobs.join()
for t in consumers:
    t.join()
got = sorted(results.get() for _ in range(results.qsize()))
print("queue:", len(got), hashlib.sha256(repr(got).encode()).hexdigest())
print("alive at end:", threading.active_count())
