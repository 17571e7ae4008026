"""Per-day queues of scheduled events: deliveries, investigations reporting, evaluations,
arrests, arrest attempts, attacks and expiring protective actions.

Each queue holds, for each day of the run, a first-in-first-out linked list through one node
pool (:class:`sim.engine.Run`: ``queue_first``, ``queue_last``, ``node_next``,
``node_value``), sized when the run is built for every event its world can make. An event
scheduled for a day beyond the run would never be processed, so it is not kept.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.jit import kernel

DELIVER, RESOLVE, EVALUATE, INTERDICT, HOME, ATTACK, EXPIRE = range(7)
QUEUES = 7


@kernel
def push(st: Any, queue: int, day: int, value: int) -> None:
    """Schedule ``value`` on ``day`` in ``queue`` (dropped if the run ends before)."""
    if day < 0 or day >= st.queue_first.shape[1]:
        return
    state = st.state[0]
    node = state.nodes
    state.nodes = node + 1
    st.node_value[node] = value
    st.node_next[node] = -1
    last = st.queue_last[queue, day]
    if last < 0:
        st.queue_first[queue, day] = node
    else:
        st.node_next[last] = node
    st.queue_last[queue, day] = node


@kernel
def head(st: Any, queue: int, day: int) -> int:
    """The first node queued for ``day`` (-1: none); follow ``st.node_next``."""
    if day >= st.queue_first.shape[1]:
        return -1
    return st.queue_first[queue, day]


@kernel
def queued(st: Any, queue: int, day: int) -> np.ndarray:
    """The values queued for ``day``, in order."""
    count = 0
    node = head(st, queue, day)
    while node >= 0:
        count += 1
        node = st.node_next[node]
    out = np.empty(count, dtype=np.int64)
    node = head(st, queue, day)
    for i in range(count):
        out[i] = st.node_value[node]
        node = st.node_next[node]
    return out
