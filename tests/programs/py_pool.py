# py_pool.py - concurrent.futures.ProcessPoolExecutor with two worker
# processes (issue 11): each task hashes its own range of numbers; the
# results, and that a worker process other than the parent computed each,
# must come out the same in the guest as natively.
import concurrent.futures
import hashlib
import os

PARENT = os.getpid()


def work(n):
    h = hashlib.sha256()
    for i in range(n * 1000, n * 1000 + 20000):
        h.update(str(i * i).encode())
    return n, os.getpid() != PARENT, h.hexdigest()


if __name__ == '__main__':
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as ex:
        for n, other, digest in ex.map(work, range(8)):
            print(n, 'in a worker' if other else 'in the parent', digest)
