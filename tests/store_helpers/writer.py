"""A separate writer process for tests/test_store_concurrency.py (run as a script, not collected).

    writer.py append DB DESIGN_ID WORKER COUNT GO_FILE
        Print "ready", wait for GO_FILE, then append COUNT revisions to DESIGN_ID (retrying
        on RevisionConflict, pausing up to 1 ms between load and save so that the two
        writers really collide) and record COUNT events; print "done <conflicts>".
    writer.py forever DB DESIGN_ID
        Start a run (print "run <id>"), then save revisions and metrics until killed,
        printing each revision number once it is committed.
"""

from __future__ import annotations

import hashlib
import os
import random
import sys
import time

from modelstudio_widget.store import RevisionConflict, Store


def payload(revision: int) -> dict:
    """Deterministic content for a revision, of varying size, with its own checksum."""
    blob = f"{revision}:" + "x" * (200 + revision * 37 % 5000)
    return {"n": revision, "blob": blob, "sha": hashlib.sha256(blob.encode()).hexdigest()}


def append(db: str, design_id: str, worker: str, count: int, go_file: str) -> None:
    store = Store(db)
    print("ready", flush=True)
    while not os.path.exists(go_file):
        time.sleep(0.002)
    conflicts = 0
    for i in range(count):
        base = store.get_design(design_id).revision
        while True:
            time.sleep(random.random() / 1000)  # "think" between load and save: invites conflicts
            try:
                store.save_design(design_id, {"worker": worker, "i": i}, base_revision=base)
                break
            except RevisionConflict as e:
                conflicts += 1
                base = e.current_revision
        store.record_event("test.append", data={"worker": worker, "i": i})
    print(f"done {conflicts}", flush=True)


def forever(db: str, design_id: str) -> None:
    store = Store(db)
    run_id = store.create_run(design_id, design={"id": design_id}, config={})
    print(f"run {run_id}", flush=True)
    revision = store.get_design(design_id).revision
    while True:
        revision = store.save_design(design_id, payload(revision + 1),
                                     base_revision=revision).revision
        store.add_metrics(run_id, revision, {"revision": revision})
        print(revision, flush=True)


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "append":
        append(args[0], args[1], args[2], int(args[3]), args[4])
    else:
        forever(args[0], args[1])
