"""The character table of the compiled scanner: shared by threads that score with one
CompiledMarkers, it must grow to the entries it would have grown to in one thread."""

import sys
import threading

from tests.transforms.markers.blocks import BLOCKS
from transforms.markers.tables import MAPPED, UNKNOWN, CharTable


def entries(table: CharTable, codes: list[int]) -> list:
    """Each code point's kind, or its output code points when MAPPED (None when the index
    points past the table's outputs)."""
    found = []
    for code in codes:
        kind, index = int(table.info[code]) & 7, int(table.info[code]) >> 3
        if kind == MAPPED:
            ends = table.out_off[index : index + 2].tolist()
            kind = tuple(table.out_cp[ends[0] : ends[1]].tolist()) if len(ends) == 2 else None
        found.append(kind)
    return found


def test_a_table_grown_by_threads_at_once_has_the_entries_grown_in_one():
    """Regression: two `add`s interleaved (polars and numpy release the GIL; a thread switch can
    come anywhere) gave code points the outputs of another thread's code points, so the
    scanner read wrong characters, or outputs past the end of the table, for the rest of the
    process. Frequent thread switches make the interleaving likely in every round."""
    codes = [code for block in BLOCKS for code in block]
    alone = CharTable()
    for block in BLOCKS:
        alone.add(block)
    expected = entries(alone, codes)
    assert UNKNOWN not in expected
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(8):
            table = CharTable()
            start = threading.Barrier(len(BLOCKS))

            def grow(block, table=table, start=start):
                start.wait()
                table.add(block)

            threads = [threading.Thread(target=grow, args=(block,)) for block in BLOCKS]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert entries(table, codes) == expected
    finally:
        sys.setswitchinterval(interval)
