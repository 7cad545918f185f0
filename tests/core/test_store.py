"""The model store (core.store): round trips, one copy per file, refusing what is not whole, the cap, and saves
from several threads and processes at once."""
import multiprocessing
import os
import pickle
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.charlm.model import CharConfig, CharRNN
from core.checkpoints import CheckpointError, checkpoint_bytes
from core.seeded import build_seeded
from core.store import ModelStore, clean_name

VOCAB = ("a", "b", "c", "d", "e")


def tiny(seed: int, hidden: int = 4, loss: float = 1.5) -> bytes:
    model = build_seeded(lambda: CharRNN(CharConfig(len(VOCAB), "lstm", hidden, 1, 2)), seed)
    return checkpoint_bytes("charlm", model, VOCAB, {"val_loss": loss}, {"corpus": "shakespeare"})


def test_a_saved_model_is_listed_and_loads_back_the_same(tmp_path):
    store = ModelStore(tmp_path, 10**9)
    data = tiny(1)
    entry = store.save(data, "my <b>first</b>\x00 model", "")
    assert entry.id == __import__("hashlib").sha256(data).hexdigest()[:16]
    assert entry.name == "my <b>first</b> model" and entry.who == "anonymous"  # kept as text; the page escapes it
    assert (entry.kind, entry.corpus, entry.cell, entry.hidden) == ("charlm", "shakespeare", "lstm", 4)
    assert entry.val_loss == 1.5
    assert store.entries() == [entry] and store.get(entry.id) == entry
    loaded = store.load(entry.id)
    again = checkpoint_bytes("charlm", loaded.model, loaded.vocab, loaded.metrics, loaded.train_config)
    assert again == data
    other = ModelStore(tmp_path, 10**9)  # another process sharing the folder, or the server after a restart
    assert [e.id for e in other.entries()] == [entry.id]
    assert store.save(data, "the same file again", "Eve") == entry  # one copy, still its first name and trainer
    assert len(list(tmp_path.glob("*.pt"))) == 1 and store.entries() == [entry]


def test_what_is_not_a_checkpoint_is_refused_before_it_is_stored(tmp_path):
    store = ModelStore(tmp_path, 10**9)
    marker = tmp_path / "ran"
    payload = pickle.dumps(type("P", (), {"__reduce__": lambda self: (os.system, (f"touch {marker}",))})())
    for bad in (b"", b"not a checkpoint", tiny(1)[:200], payload):
        with pytest.raises(CheckpointError):
            store.save(bad, "bad")
    assert not marker.exists() and store.entries() == []


def test_a_file_cut_short_or_replaced_in_the_store_is_refused_without_running_anything(tmp_path):
    store = ModelStore(tmp_path, 10**9)
    cut, swapped = store.save(tiny(1), "cut"), store.save(tiny(2), "swapped")
    assert len(store.entries()) == 2
    marker = tmp_path / "ran"
    (tmp_path / f"{cut.id}.pt").write_bytes(tiny(1)[:300])
    (tmp_path / f"{swapped.id}.pt").write_bytes(
        pickle.dumps(type("P", (), {"__reduce__": lambda self: (os.system, (f"touch {marker}",))})()))
    fresh = ModelStore(tmp_path, 10**9)
    for s in (store, fresh):
        assert s.entries() == []
        for entry in (cut, swapped):
            assert s.get(entry.id) is None
            with pytest.raises(CheckpointError):
                s.load(entry.id)
    assert not marker.exists()


def test_a_model_removed_after_it_was_listed_is_refused_with_a_message(tmp_path):
    store = ModelStore(tmp_path, 10**9)
    entry = store.save(tiny(1), "m")
    assert store.get(entry.id) == entry
    (tmp_path / f"{entry.id}.pt").unlink()  # another process's save evicted it just now
    with pytest.raises(CheckpointError, match="no longer on the server|no saved model"):
        store.load(entry.id)
    (tmp_path / f"{entry.id}.json").unlink()
    damaged = store.save(tiny(1), "m")  # saving it again restores it
    (tmp_path / f"{damaged.id}.pt").write_bytes(b"x" * damaged.size)  # damaged, same size
    assert store.get(damaged.id) is None
    assert store.save(tiny(1), "m again").id == damaged.id and store.load(damaged.id).kind == "charlm"  # rewritten


@pytest.mark.parametrize("hostile", ["", "../../etc/passwd", "<script>", "0" * 15, "0" * 17, "ABCDEF0123456789",
                                     None, 7])
def test_an_id_that_is_not_one_finds_nothing(tmp_path, hostile):
    store = ModelStore(tmp_path, 10**9)
    store.save(tiny(1), "m")
    assert store.get(hostile) is None
    with pytest.raises(CheckpointError):
        store.load(hostile)


def test_the_cap_evicts_the_oldest_first_and_never_the_model_just_saved(tmp_path):
    size = len(tiny(1))
    store = ModelStore(tmp_path, int(2.5 * size))
    first = store.save(tiny(1), "first")
    time.sleep(0.01)
    second = store.save(tiny(2), "second")
    time.sleep(0.01)
    third = store.save(tiny(3), "third")
    assert [e.id for e in store.entries()] == [third.id, second.id]  # over the cap: the oldest went
    big = ModelStore(tmp_path, 1)  # a cap smaller than any model still keeps the one just saved
    fourth = big.save(tiny(4), "fourth")
    assert [e.id for e in big.entries()] == [fourth.id] and first.id not in {p.stem for p in tmp_path.glob("*.pt")}


def test_eight_threads_saving_at_once_lose_nothing(tmp_path):
    store = ModelStore(tmp_path, 10**9)
    files = [tiny(seed) for seed in range(8)]
    with ThreadPoolExecutor(8) as pool:
        saved = list(pool.map(lambda k: store.save(files[k], f"model {k}", "thread"), range(8)))
    assert sorted(e.id for e in store.entries()) == sorted(e.id for e in saved)
    for e in saved:
        assert store.load(e.id).model.config.hidden_size == 4


def _save_from_a_process(root: str, seeds: list[int]) -> None:
    store = ModelStore(root, 10**9)
    for seed in seeds:
        store.save(tiny(seed), f"model {seed}", f"process {os.getpid()}")


def test_two_processes_saving_at_once_lose_nothing(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_save_from_a_process, args=(str(tmp_path), seeds))
             for seeds in ([0, 1, 2, 3], [4, 5, 6, 7, 0])]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    store = ModelStore(tmp_path, 10**9)
    assert len(store.entries()) == 8
    assert {store.load(e.id).model.config.hidden_size for e in store.entries()} == {4}
    assert not list(tmp_path.glob(".*.tmp"))  # no half-written file left behind


def test_names_are_cleaned_to_one_printable_line():
    assert clean_name("  two\nlines\tand\x07 bells  ", "x") == "two lines and bells"
    assert clean_name("", "anonymous") == "anonymous" and clean_name(None, "anon") == "anon"
    assert len(clean_name("y" * 500, "x")) == 60
